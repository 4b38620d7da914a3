"""The certifier desk (issue 9), on SQLite always and on PostgreSQL in a throwaway cluster.

Each test gets a fresh registry. PostgreSQL runs from Debian's `postgresql` (initdb/pg_ctl as the
`postgres` user, listening only on a unix socket in a temp dir); where it cannot start the
PostgreSQL cases are skipped with the reason.
"""
import datetime as dt
import gc
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

import greenal.registry as registry
from greenal.errors import InputError
from greenal.registry import db as regdb
from greenal.registry.canonical import canonical

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "guangxi-smelter.yaml"
EXAMPLE_USCC = "91451000MA5K8XXX1A"
EXAMPLE_NAME = "广西示例铝业有限公司 (Guangxi Example Aluminium Co.)"
VERIFIER_USCC = "91110000MA00000001"


# ---------------------------------------------------------------- backends


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """A fresh, initialised registry URL on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    else:
        socket_dir = request.getfixturevalue("postgres_cluster")
        url = f"postgresql://postgres@/postgres?host={socket_dir}"
        admin = create_engine(regdb.resolve_url(url), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:  # an empty database for each test, cheaper than CREATE DATABASE
            c.execute(text("DROP SCHEMA public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
        admin.dispose()
    registry.init(url)
    return url


def declaration(tmp_path, name: str, uscc: str, first_serial_from: str = "GEC2024GX000000001",
                first_serial_to: str = "GEC2024GX001200000", ac_kwh_per_t: int = 13150, pv_block: int = 5) -> Path:
    """The Guangxi example as another organisation's declaration, its first certificate range moved
    and its second (400,000 serials from GEC2024GX<pv_block>000001) in another block of a million."""
    text_ = EXAMPLE.read_text(encoding="utf-8")
    for old, new in ((EXAMPLE_USCC, uscc), (EXAMPLE_NAME, name), ("GEC2024GX001200000", first_serial_to),
                     ("GEC2024GX000000001", first_serial_from),
                     ("ac_kwh_per_t: 13150", f"ac_kwh_per_t: {ac_kwh_per_t}"),
                     ("GEC2024GX005", f"GEC2024GX{pv_block:03d}"),
                     # the grid supply follows the use: 400,000 t x 1.002 t liquid/t x the AC change (EAC-8)
                     ("mwh: 5399000", f"mwh: {5_399_000 + round((ac_kwh_per_t - 13150) * 1.002 * 400)}")):
        text_ = text_.replace(old, new)
    path = tmp_path / f"{uscc}.yaml"
    path.write_text(text_, encoding="utf-8")
    return path


@pytest.fixture
def desk(db, tmp_path, data_dir, engine):
    """A registry with one verifier organisation and its registered key."""
    registry.add_organisation("Example Verification Co", "verifier", VERIFIER_USCC, db=db)
    keys = registry.new_key_pair(tmp_path / "keys", "alice")
    registry.add_key(keys["public_key"], "Example Verification Co", "alice", db=db)
    return {"db": db, "key": keys["private_key"], "data_dir": data_dir, "tmp": tmp_path}


def issued(desk, path, valid_days=365, valid_from=None):
    """Submit, approve and issue one declaration; returns (declaration id, certificate file)."""
    r = registry.submit(path, db=desk["db"], data_dir=desk["data_dir"])
    registry.approve(r["declaration"], desk["key"], db=desk["db"], data_dir=desk["data_dir"], valid_days=valid_days,
                     valid_from=valid_from)
    out = desk["tmp"] / f"cert-{r['declaration']}.json"
    registry.issue(r["declaration"], db=desk["db"], out=out)
    return r["declaration"], out


def failed(checks):
    return [c for c in checks if not c["ok"]]


# ---------------------------------------------------------------- schema


def test_migrations_up_and_down(db):
    engine = regdb.open_engine(db)
    tables = {"organisations", "users", "signing_keys", "declarations", "declaration_versions", "claims",
              "certificates", "revocations", "audit_log", "issued_files"}
    assert tables <= set(inspect(engine).get_table_names())
    assert regdb.revision(engine) == regdb.head() == "0004"
    regdb.migrate(engine, "0003")  # 0004 down alone: the issued files' table goes, the rest stays
    assert regdb.revision(engine) == "0003"
    assert set(inspect(engine).get_table_names()) & tables == tables - {"issued_files"}
    regdb.migrate(engine)
    assert "issued_files" in inspect(engine).get_table_names() and regdb.revision(engine) == "0004"
    regdb.migrate(engine, "base")
    assert not tables & set(inspect(engine).get_table_names())
    assert regdb.revision(engine) is None
    with pytest.raises(InputError, match="registry init"):
        registry.list_declarations(db=db)
    registry.init(db)
    assert tables <= set(inspect(engine).get_table_names())
    assert registry.list_declarations(db=db) == []
    engine.dispose()


# ---------------------------------------------------------------- no double claim


def test_same_serial_in_two_organisations_declarations_is_refused(desk, tmp_path):
    first = registry.submit(declaration(tmp_path, "Plant A Co", "91450100MA5K8YYY2B"), db=desk["db"],
                            data_dir=desk["data_dir"])
    # Plant B's range starts on the last serial of plant A's first range: one certificate in common.
    second = declaration(tmp_path, "Plant B Co", "91450200MA5K8WWW3C", "GEC2024GX001200000", "GEC2024GX002399999")
    with pytest.raises(InputError) as refused:
        registry.submit(second, db=desk["db"], data_dir=desk["data_dir"])
    message = str(refused.value)
    assert "Plant A Co" in message and f"declaration {first['declaration']}" in message
    assert "2024-01-01 to 2024-12-31" in message and "GEC2024GX001200000" in message
    assert [d["organisation"] for d in registry.list_declarations(db=desk["db"])] == ["Plant A Co"]  # nothing of B
    # A range that merely touches (next serial) is no overlap.
    third = declaration(tmp_path, "Plant C Co", "91450300MA5K8QQQ4D", "GEC2024GX001200001", "GEC2024GX002400000",
                        pv_block=6)
    registry.submit(third, db=desk["db"], data_dir=desk["data_dir"])
    assert registry.check(db=desk["db"])["problems"] == []


def _record_at_once(url, submission, barrier, results, pause_s):
    """Child process: wait for the other one, then claim (pausing between check and insert)."""
    from greenal.registry import service

    service.hooks["after_claim_check"] = lambda: time.sleep(pause_s)
    engine = regdb.open_engine(url)
    barrier.wait(timeout=60)
    try:
        r = service.record(engine, submission)
        results.put(("ok", submission.declarant["name"], r["declaration"]))
    except InputError as error:
        results.put(("refused", submission.declarant["name"], str(error)))
    except Exception as error:  # reported to the parent, which fails the test
        results.put(("error", submission.declarant["name"], repr(error)))


def test_concurrent_overlapping_claims_one_wins(desk, tmp_path):
    a = registry.prepare(declaration(tmp_path, "Plant A Co", "91450100MA5K8YYY2B"), desk["data_dir"])
    b = registry.prepare(declaration(tmp_path, "Plant B Co", "91450200MA5K8WWW3C"), desk["data_dir"])
    gc.collect()  # close the connections of engines already dropped, before the children inherit them
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_record_at_once, args=(desk["db"], s, barrier, results, 0.3)) for s in (a, b)]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert sorted(o[0] for o in outcomes) == ["ok", "refused"], outcomes
    winner = next(o for o in outcomes if o[0] == "ok")
    loser = next(o for o in outcomes if o[0] == "refused")
    assert winner[1] in loser[2] and f"declaration {winner[2]}" in loser[2]
    rows = registry.list_declarations(db=desk["db"])
    assert [r["organisation"] for r in rows] == [winner[1]]
    assert registry.check(db=desk["db"])["problems"] == []


def _record_then_hang(url, submission, marker):
    from greenal.registry import service

    def hang():
        Path(marker).write_text("inside the transaction")
        time.sleep(120)
    service.hooks["before_commit"] = hang
    service.record(regdb.open_engine(url), submission)


def kill_inside(process, marker: Path) -> None:
    """Start `process`, wait until it writes `marker` (inside its transaction), SIGKILL it."""
    process.start()
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline and process.is_alive():
        time.sleep(0.02)
    assert marker.exists(), "the child never reached the write"
    os.kill(process.pid, signal.SIGKILL)
    process.join(timeout=30)


def test_killed_write_leaves_no_row(desk, tmp_path):
    sub = registry.prepare(declaration(tmp_path, "Plant A Co", "91450100MA5K8YYY2B"), desk["data_dir"])
    marker = tmp_path / "inside"
    gc.collect()
    process = multiprocessing.get_context("fork").Process(target=_record_then_hang, args=(desk["db"], sub, str(marker)))
    kill_inside(process, marker)
    assert process.exitcode == -signal.SIGKILL
    assert registry.list_declarations(db=desk["db"]) == []
    assert registry.check(db=desk["db"])["problems"] == []
    # The database opens cleanly and takes the same claim afterwards.
    assert registry.record(regdb.open_engine(desk["db"]), sub)["claims"] == 2


def _approve_then_hang(url, declaration_id, key, data_dir, marker):
    from greenal.registry import service

    def hang():
        Path(marker).write_text("inside the transaction")
        time.sleep(120)
    service.hooks["before_commit"] = hang
    registry.approve(declaration_id, key, db=url, data_dir=data_dir)


def test_killed_approval_leaves_no_certificate(tmp_path, data_dir, engine):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    registry.init(url)
    registry.add_organisation("Example Verification Co", "verifier", VERIFIER_USCC, db=url)
    keys = registry.new_key_pair(tmp_path / "keys", "alice")
    registry.add_key(keys["public_key"], "Example Verification Co", "alice", db=url)
    r = registry.submit(EXAMPLE, db=url, data_dir=data_dir)
    marker = tmp_path / "inside"
    gc.collect()
    process = multiprocessing.get_context("fork").Process(
        target=_approve_then_hang, args=(url, r["declaration"], keys["private_key"], data_dir, str(marker)))
    kill_inside(process, marker)
    shown = registry.show(r["declaration"], db=url)
    assert shown["status"] == "submitted" and shown["certificates"] == []
    assert registry.check(db=url)["problems"] == []


# ---------------------------------------------------------------- review and approval


def test_review_checks_carry_their_basis(desk):
    r = registry.submit(EXAMPLE, db=desk["db"], data_dir=desk["data_dir"],
                        evidence={"electrolysis.ac_kwh_per_t": "potline meter log 2024"})
    checks = {c["check"]: c for c in registry.review(r["declaration"], db=desk["db"], data_dir=desk["data_dir"])}
    # Stoichiometry by hand: Al2O3 / 2 Al = (2 x 26.9815384 + 3 x 15.999) / (2 x 26.9815384).
    assert "1.8894" in checks["alumina vs stoichiometry"]["basis"]
    assert checks["alumina vs stoichiometry"]["status"] == "ok"
    # Example: NC 0.410, S 2.2 %, ash 0.35 %, 1.002 t liquid per t ingot -> 0.410 x 0.9745 x 44/12 x 1.002.
    anode = checks["net anode carbon vs anode CO2"]
    assert anode["status"] == "ok" and f"{0.410 * (1 - 0.022 - 0.0035) * 44 / 12 * 1.002:.4f}" in anode["detail"]
    assert "Eq. 4.21" in anode["basis"]
    ac = checks["AC kWh/t vs GB 21346"]
    assert ac["value"] == 13150 and ac["detail"] == "level 3" and "12950 / 13000 / 13350" in ac["basis"]
    assert checks["certificates vs supplies"]["value"] == 1_200_000 + 400_000
    assert checks["evidence references"]["status"] == "warn"
    assert "electrolysis.alumina_t_per_t" in checks["evidence references"]["detail"]
    assert "electrolysis.ac_kwh_per_t," not in checks["evidence references"]["detail"] + ","


def test_outlier_among_the_same_product_and_resubmission(tmp_path, data_dir, engine):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    registry.init(url)
    peers = [("Plant A Co", "91450100MA5K8YYY2B", 13000), ("Plant B Co", "91450200MA5K8WWW3C", 13100),
             ("Plant C Co", "91450300MA5K8QQQ4D", 13200)]
    for i, (name, uscc, ac) in enumerate(peers):
        registry.submit(declaration(tmp_path, name, uscc, f"GEC2024GX{40 + 2 * i:03d}000001",
                                    f"GEC2024GX{41 + 2 * i:03d}200000",
                                    ac_kwh_per_t=ac, pv_block=20 + i), db=url, data_dir=data_dir)
    path = declaration(tmp_path, "Plant D Co", "91450400MA5K8RRR5E", "GEC2024GX050000001", "GEC2024GX051200000",
                       ac_kwh_per_t=16500, pv_block=30)
    r = registry.submit(path, db=url, data_dir=data_dir)
    checks = {c["check"]: c for c in registry.review(r["declaration"], db=url, data_dir=data_dir)}
    outlier = checks["market-based total vs 3 other declarations"]
    totals = sorted(d["market_t_co2e_per_t"] for d in registry.list_declarations(db=url)[:3])
    median, mad = totals[1], sorted(abs(t - totals[1]) for t in totals)[1]
    assert outlier["status"] == "warn"
    assert f"modified z {0.6745 * (outlier['value'] - median) / mad:.2f}" in outlier["detail"]
    assert checks["AC kWh/t vs GB 21346"]["status"] == "warn"  # above level 3 (13350)
    # A corrected file is a new version of the same declaration; its claims replace the old ones.
    corrected = declaration(tmp_path, "Plant D Co", "91450400MA5K8RRR5E", "GEC2024GX050000001", "GEC2024GX051200000",
                            ac_kwh_per_t=13150, pv_block=30)
    assert corrected == path  # the same file, rewritten
    again = registry.submit(path, db=url, data_dir=data_dir)
    assert (again["declaration"], again["version"]) == (r["declaration"], 2)
    shown = registry.show(r["declaration"], db=url)
    assert [v["number"] for v in shown["versions"]] == [1, 2] and len(shown["claims"]) == 2
    with pytest.raises(InputError, match="same file"):
        registry.submit(path, db=url, data_dir=data_dir)
    assert registry.check(db=url)["problems"] == []


def test_verifier_cannot_approve_own_organisation(desk, tmp_path):
    # The verifier organisation submits a declaration of its own (same code): it may not sign it.
    own = declaration(tmp_path, "Example Verification Co", VERIFIER_USCC)
    r = registry.submit(own, db=desk["db"], data_dir=desk["data_dir"])
    with pytest.raises(InputError, match="own organisation"):
        registry.approve(r["declaration"], desk["key"], db=desk["db"], data_dir=desk["data_dir"])
    assert registry.show(r["declaration"], db=desk["db"])["status"] == "submitted"


def test_unregistered_key_and_changed_declaration_after_approval(desk, tmp_path):
    stranger = registry.new_key_pair(tmp_path / "other", "mallory")
    r = registry.submit(EXAMPLE, db=desk["db"], data_dir=desk["data_dir"])
    with pytest.raises(InputError, match="registered"):
        registry.approve(r["declaration"], stranger["private_key"], db=desk["db"], data_dir=desk["data_dir"])
    registry.approve(r["declaration"], desk["key"], db=desk["db"], data_dir=desk["data_dir"])
    changed = tmp_path / "guangxi-smelter.yaml"
    changed.write_text(EXAMPLE.read_text(encoding="utf-8").replace("ac_kwh_per_t: 13150", "ac_kwh_per_t: 13100"),
                       encoding="utf-8")
    with pytest.raises(InputError, match="approved"):
        registry.submit(changed, db=desk["db"], data_dir=desk["data_dir"])


# ---------------------------------------------------------------- signed certificates


def test_issue_verify_and_one_byte_tampers(desk, tmp_path):
    declaration_id, cert = issued(desk, EXAMPLE)
    assert failed(registry.verify(cert, db=desk["db"], data_dir=desk["data_dir"])) == []
    raw = cert.read_bytes()
    document = json.loads(raw)
    assert raw == canonical(document)  # the file is exactly the RFC 8785 form
    assert document["declaration"]["sha256"] == registry.show(declaration_id, db=desk["db"])["versions"][0]["sha256"]
    assert document["verifier"]["organisation"] == "Example Verification Co"
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(raw + b" ")
    assert failed(registry.verify(tampered, db=desk["db"]))[0]["check"] == "canonical form"
    # One changed byte of the declaration.
    decl = tmp_path / "guangxi-smelter.yaml"
    decl.write_bytes(EXAMPLE.read_bytes().replace(b"ac_kwh_per_t: 13150", b"ac_kwh_per_t: 13151"))
    bad = failed(registry.verify(cert, decl, db=desk["db"], data_dir=desk["data_dir"]))
    assert bad[0]["check"] == "declaration" and "changed after approval" in bad[0]["detail"]


def test_any_changed_byte_fails(tmp_path, data_dir, engine):
    """One changed byte anywhere: sampled over the whole file, and every byte of the signature.
    (Backend-independent: the file fails before the registry is consulted.)"""
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    registry.init(url)
    registry.add_organisation("Example Verification Co", "verifier", VERIFIER_USCC, db=url)
    keys = registry.new_key_pair(tmp_path / "keys", "alice")
    registry.add_key(keys["public_key"], "Example Verification Co", "alice", db=url)
    _, cert = issued({"db": url, "key": keys["private_key"], "data_dir": data_dir, "tmp": tmp_path}, EXAMPLE)
    raw = cert.read_bytes()
    value = json.loads(raw)["signature"]["value"].encode()
    at = raw.index(value)
    positions = sorted(set(range(0, len(raw), max(1, len(raw) // 120))) | set(range(at, at + len(value))))
    tampered = tmp_path / "tampered.json"
    for i in positions:
        changed = bytearray(raw)
        changed[i] = ord("1") if raw[i] != ord("1") else ord("2")
        tampered.write_bytes(bytes(changed))
        assert failed(registry.verify(tampered, db=url)), f"byte {i} changed, still valid"


def test_signature_by_unregistered_key_fails(desk, tmp_path):
    from greenal.registry import signing

    _, cert = issued(desk, EXAMPLE)
    document = json.loads(cert.read_bytes())
    mallory = registry.new_key_pair(tmp_path / "m", "mallory")
    private = signing.load_private(mallory["private_key"])
    body = {k: v for k, v in document.items() if k != "signature"}
    body["verifier"] = {**body["verifier"], "public_key": mallory["public_key_hex"], "key_id": mallory["key_id"]}
    forged = {**body, "signature": {"algorithm": "Ed25519", "key_id": mallory["key_id"],
                                    "value": signing.sign(private, canonical(body))}}
    path = tmp_path / "forged.json"
    path.write_bytes(canonical(forged))
    bad = failed(registry.verify(path, db=desk["db"]))
    assert bad[0]["check"] == "signer's key" and "not registered" in bad[0]["detail"]


def test_revocation(desk):
    declaration_id, cert = issued(desk, EXAMPLE)
    number = json.loads(cert.read_bytes())["number"]
    for reason in ("", "  \n ", "x" * 501):  # public, so one readable line of 1 to 500 characters (as on the web)
        with pytest.raises(InputError, match="1 to 500 characters"):
            registry.revoke(number, reason, db=desk["db"])
    registry.revoke(number, "meter data found falsified", db=desk["db"])
    bad = failed(registry.verify(cert, db=desk["db"]))
    assert bad[0]["check"] == "not revoked" and "meter data found falsified" in bad[0]["detail"]
    with pytest.raises(InputError, match="issued certificate"):
        registry.revoke(number, "again", db=desk["db"])
    with pytest.raises(InputError, match=r"\(revoked\)'; expected a certificate not revoked"):  # no new files
        registry.issue(declaration_id, db=desk["db"], out=desk["tmp"] / "again.json")
    assert not (desk["tmp"] / "again.json").exists()
    assert registry.check(db=desk["db"])["problems"] == []


def test_a_stored_reason_with_controls_is_shown_as_one_line(desk):
    """A reason stored before `revoke` checked them (or edited in): `greenal verify` shows it on one
    line, a terminal escape and a right-to-left override as U+FFFD, never as themselves."""
    from sqlalchemy import text

    from greenal.registry.db import open_engine

    _, cert = issued(desk, EXAMPLE)
    number = json.loads(cert.read_bytes())["number"]
    registry.revoke(number, "first line", db=desk["db"])
    with open_engine(desk["db"]).begin() as c:
        c.execute(text("UPDATE revocations SET reason = :r"), {"r": "typo\nCERT.pdf: valid\x1b[2K \u202eok"})
    detail = failed(registry.verify(cert, db=desk["db"]))[0]["detail"]
    assert detail.endswith(": typo CERT.pdf: valid\ufffd[2K \ufffdok"), detail


def test_expiry(desk):
    start = dt.date(2025, 1, 1)
    _, cert = issued(desk, EXAMPLE, valid_days=30, valid_from=start)
    checks = registry.verify(cert, db=desk["db"], data_dir=desk["data_dir"], today=start + dt.timedelta(days=30))
    assert failed(checks) == []  # the last day is still valid
    bad = failed(registry.verify(cert, db=desk["db"], today=start + dt.timedelta(days=31)))
    assert bad[0]["check"] == "validity" and "expired" in bad[0]["detail"]
    bad = failed(registry.verify(cert, db=desk["db"], today=start - dt.timedelta(days=1)))
    assert bad[0]["check"] == "validity"


def test_recomputation_mismatch_is_reported(desk):
    sub = registry.prepare(EXAMPLE, desk["data_dir"])
    stated = sub.results["market_based"]["total_t_co2e"]
    sub.results["market_based"]["total_t_co2e"] = stated + 0.5  # as if computed on other data
    r = registry.record(regdb.open_engine(desk["db"]), sub)
    registry.approve(r["declaration"], desk["key"], db=desk["db"], data_dir=desk["data_dir"])
    out = desk["tmp"] / "cert.json"
    registry.issue(r["declaration"], db=desk["db"], out=out)
    bad = failed(registry.verify(out, db=desk["db"], data_dir=desk["data_dir"]))
    assert bad[0]["check"] == "recomputed"
    assert "results.market_based.total_t_co2e" in bad[0]["detail"] and repr(stated + 0.5) in bad[0]["detail"]


# ---------------------------------------------------------------- audit log, export and import


def test_audit_chain_detects_changed_and_deleted_rows(desk):
    _, cert = issued(desk, EXAMPLE)
    assert registry.check(db=desk["db"])["problems"] == []
    engine = regdb.open_engine(desk["db"])
    with engine.begin() as c:
        with pytest.raises(Exception, match="append-only"):
            with c.begin_nested():
                c.execute(text("UPDATE audit_log SET actor = 'someone else' WHERE id = 1"))
        c.execute(text("UPDATE declarations SET status = 'submitted' WHERE id = 1"))
        c.execute(text("DELETE FROM claims WHERE id = (SELECT MIN(id) FROM claims)"))
        c.execute(text("UPDATE certificates SET document = :d WHERE id = 1"),
                  {"d": cert.read_bytes().replace(b'"total_t_co2e":', b'"total_t_co2e":1', 1)})
    problems = registry.check(db=desk["db"])["problems"]
    assert any("declarations row 1: changed" in p for p in problems)
    assert any(p.startswith("certificate GA-2024-") and "no longer verifies" in p for p in problems)
    assert any(p.startswith("claims row") and "deleted" in p for p in problems)
    engine.dispose()


def test_audit_entry_rewritten_behind_the_trigger_is_detected(tmp_path, data_dir, engine):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    registry.init(url)
    registry.add_organisation("Example Verification Co", "verifier", VERIFIER_USCC, db=url)
    registry.add_organisation("Another Verifier", "verifier", db=url)
    db_engine = regdb.open_engine(url)
    with db_engine.begin() as c:
        c.execute(text("DROP TRIGGER audit_log_no_update"))
        c.execute(text("UPDATE audit_log SET actor = 'someone else' WHERE id = 1"))
    assert "audit entry 1: changed after it was written (hash mismatch)" in registry.check(db=url)["problems"]
    db_engine.dispose()


def test_export_import_restores_exactly(desk, tmp_path):
    _, cert = issued(desk, EXAMPLE)
    registry.submit(declaration(tmp_path, "Plant B Co", "91450200MA5K8WWW3C", "GEC2024GX009000001",
                                "GEC2024GX010200000", pv_block=11), db=desk["db"], data_dir=desk["data_dir"])
    from greenal.registry.db import open_engine
    from greenal.service import auth, publish

    publish.publish_certificates(open_engine(desk["db"]))  # the service's rows travel with the registry
    auth.add_client(open_engine(desk["db"]), "buyer-export-test")
    first = tmp_path / "export.jsonl"
    registry.export(first, db=desk["db"])
    tables = {json.loads(line).get("table") for line in first.read_text(encoding="utf-8").splitlines()}
    assert {"published_footprints", "api_clients"} <= tables and "service_settings" not in tables
    target = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    registry.init(target)
    assert registry.import_(first, db=target)["problems"] == []
    again = tmp_path / "again.jsonl"
    registry.export(again, db=target)
    assert again.read_bytes() == first.read_bytes()
    assert failed(registry.verify(cert, db=target, data_dir=desk["data_dir"])) == []
    with pytest.raises(InputError, match="empty registry"):
        registry.import_(first, db=target)


# ---------------------------------------------------------------- command line


def test_cli_desk_round_trip_and_one_line_errors(tmp_path, data_dir, engine, monkeypatch, capsys):
    """The commands in-process through greenal.cli.run (exit codes as a user sees them), and one real
    subprocess for the end-to-end exit status 2 with one line and no traceback."""
    from greenal import cli

    monkeypatch.setenv("GREENAL_DB", f"sqlite:///{tmp_path / 'r.sqlite'}")
    monkeypatch.setenv("GREENAL_DATA_DIR", str(data_dir))
    monkeypatch.chdir(tmp_path)

    def greenal(*args, status=0):
        monkeypatch.setattr(sys, "argv", ["greenal", *args])
        try:
            cli.run()
            code = 0
        except SystemExit as end:
            code = end.code or 0
        out, err = capsys.readouterr()
        assert code == status, err
        if status == 2:
            assert err.strip().count("\n") == 0, err
        return out, err

    greenal("registry", "init")
    out, _ = greenal("keys", "new", "--name", "alice", "--dir", "keys")
    private = tmp_path / "keys" / "alice.key"
    assert private.stat().st_mode & 0o777 == 0o600
    assert "PRIVATE" not in out and private.read_text().splitlines()[1] not in out
    greenal("registry", "org", "Example Verification Co", "--kind", "verifier", "--uscc", VERIFIER_USCC)
    greenal("registry", "key", "keys/alice.pub", "--org", "Example Verification Co", "--user", "alice")
    greenal("registry", "submit", str(EXAMPLE), "--evidence", "electrolysis.ac_kwh_per_t=meter log")
    assert "basis:" in greenal("registry", "review", "1")[0]
    assert "declaration id" in greenal("registry", "show", "99", status=2)[1]
    private.chmod(0o644)
    assert "0600" in greenal("registry", "approve", "1", "--key", "keys/alice.key", status=2)[1]
    private.chmod(0o600)
    greenal("registry", "approve", "1", "--key", "keys/alice.key")
    greenal("registry", "issue", "1", "--out", "cert.json")
    assert "cert.json: valid" in greenal("verify", "cert.json")[0]
    assert "audit chain intact" in greenal("registry", "check")[0]
    raw = (tmp_path / "cert.json").read_bytes()
    (tmp_path / "cert.json").write_bytes(raw.replace(b'"total_t_co2e":1', b'"total_t_co2e":2', 1))
    assert "signature failed" in greenal("verify", "cert.json", status=2)[1]
    result = subprocess.run([sys.executable, "-m", "greenal.cli", "verify", "cert.json"], capture_output=True,
                            text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "signature failed" in result.stderr
