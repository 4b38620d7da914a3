"""The service (web pages and PACT API) on PostgreSQL, as users run it: the web whole flow with the
PACT reads of the footprint it publishes, the database-held failure counters shared by two app
instances (two uvicorn workers), and two workers racing to issue and to revoke one certificate.

One database for the module in the session's throwaway cluster (conftest.postgres_cluster; skipped
with the reason where PostgreSQL cannot start), built through the Python API; the web is driven
through Starlette's TestClient with test_service_web's helpers.
"""
import base64
import json
import os
import re
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, delete, func, select, text

import greenal.registry as registry
from greenal.registry import db as regdb
from greenal.registry.models import AuditEntry, AuthFailure, Certificate, PublishedFootprint, Revocation
from greenal.service import auth, web
from greenal.service.app import create_app
from greenal.service.users import MAX_PASSWORD_CHARS, add_user
from test_service_web import (EXAMPLES, GUANGXI_USCC, PASSWORD, YUNNAN_USCC, client_of, csrf_of, logged_in,
                              revocation_state, token)

# The longest organisation name the registry takes (organisations.name): vera's web actions are
# audited as "vera (<this>, web)", longer than audit_entries.actor holds.
VERIFIER = ("Test Verifier Co - " + "green aluminium certification and carbon footprint verification " * 5)[:300]


@pytest.fixture(scope="module")
def site(postgres_cluster, tmp_path_factory, data_dir):
    """A database of its own (test_registry.py empties `postgres` for each of its tests) with alice
    (producer, Yunnan Example), the Guangxi example's declaration approved by vera through the
    Python API (not yet issued), vera (verifier, with a registered key), and a PACT client of each
    producer organisation."""
    db = new_database(postgres_cluster, f"greenal_service_{os.getpid()}")
    base = tmp_path_factory.mktemp("pgweb")
    registry.init(db)
    registry.add_organisation("云南示例绿色铝业有限公司 (Yunnan Example Green Aluminium Co.)", "producer", YUNNAN_USCC,
                              db=db)
    registry.add_organisation(VERIFIER, "verifier", "91110000MA00000001", db=db)
    keys = registry.new_key_pair(base / "keys", "vera")
    registry.add_key(keys["public_key"], VERIFIER, "vera", db=db)
    bob_decl = registry.submit(EXAMPLES / "guangxi-smelter.yaml", db=db, data_dir=data_dir)["declaration"]
    registry.approve(bob_decl, keys["private_key"], db=db, data_dir=data_dir)
    add_user(YUNNAN_USCC, "alice", PASSWORD["alice"], "producer", db=db)
    add_user(VERIFIER, "vera", PASSWORD["vera"], "verifier", db=db)
    app = create_app(db, data_dir)
    engine = app.state.engine
    assert engine.dialect.name == "postgresql"
    clients = {uscc: auth.add_client(engine, f"client-{uscc}", uscc) for uscc in (YUNNAN_USCC, GUANGXI_USCC)}
    return {"db": db, "app": app, "bob_decl": bob_decl, "key": Path(keys["private_key"]), "base": base,
            "data_dir": data_dir, "clients": clients}


def new_database(postgres_cluster, name: str) -> str:
    """An empty database in the session's cluster; its URL."""
    admin = create_engine(regdb.resolve_url(f"postgresql://postgres@/postgres?host={postgres_cluster}"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        c.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"postgresql://postgres@/{name}?host={postgres_cluster}"


def second_app(site):
    """Another app on the same database: what a second uvicorn worker is."""
    return create_app(site["db"], site["data_dir"])


@pytest.fixture
def no_failures(site):
    """The registry's record of failed authentications emptied before and after the test."""
    def forget():
        regdb.transaction(site["app"].state.engine, lambda session: session.execute(delete(AuthFailure)))
    forget()
    yield forget
    forget()


def failures(site) -> int:
    return regdb.transaction(site["app"].state.engine, lambda session: session.execute(
        select(func.count()).select_from(AuthFailure)).scalar_one())


# ---------------------------------------------------------------- PACT helpers


def api_of(app) -> TestClient:
    return TestClient(app, base_url="https://testserver")


def access_token(api: TestClient, credentials: dict) -> str:
    """A token by the client credentials grant (RFC 6749 §4.4), secret in HTTP Basic (§2.3.1)."""
    basic = base64.b64encode(f"{credentials['client_id']}:{credentials['client_secret']}".encode()).decode()
    r = api.post("/auth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200, r.text
    assert r.json()["token_type"] == "Bearer"
    return r.json()["access_token"]


def pact_get(api: TestClient, bearer: str, path: str):
    return api.get(path, headers={"Authorization": f"Bearer {bearer}"})


# ---------------------------------------------------------------- the whole flow


def test_web_whole_flow_and_pact_reads_on_postgres(site):
    """alice uploads the Yunnan example and submits it; vera approves with her uploaded key and
    issues; the public page says valid and the PACT API serves the certificate's footprint (Active)
    to a client of alice's organisation only; vera revokes it on the web page; the public page says
    revoked with the reason and the footprint is Deprecated."""
    engine = site["app"].state.engine
    first = regdb.transaction(engine, lambda session: session.execute(select(func.max(AuditEntry.id))).scalar_one())
    alice = logged_in(site, "alice", YUNNAN_USCC)
    content = (EXAMPLES / "yunnan-hydro-smelter.yaml").read_bytes()
    checked = alice.post("/upload", data={"csrf": token(alice), "gwp": "ar6"}, files={"file": ("yunnan.yaml", content)})
    assert checked.status_code == 200, checked.text[:500]
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', checked.text))
    done = alice.post("/upload/submit", data={**form, "evidence": "electrolysis.ac_kwh_per_t = meter-log-2024.pdf"})
    assert done.status_code == 303, done.text[:500]
    decl = int(re.search(r"/declarations/(\d+)", done.headers["location"]).group(1))
    assert registry.show(decl, db=site["db"])["evidence"] == {"electrolysis.ac_kwh_per_t": "meter-log-2024.pdf"}

    vera = logged_in(site, "vera", VERIFIER)
    assert f'href="/declarations/{decl}"' in vera.get("/queue").text
    r = vera.post(f"/declarations/{decl}/approve", data={"csrf": token(vera), "valid_days": "365"},
                  files={"key": ("vera.key", site["key"].read_bytes())})
    assert r.status_code == 303, r.text[:800]
    r = vera.post(f"/declarations/{decl}/issue", data={"csrf": token(vera)})
    assert r.status_code == 303, r.text[:800]
    shown = registry.show(decl, db=site["db"])
    assert shown["status"] == "issued"
    number = shown["certificates"][0]["number"]
    public = client_of(site).get(f"/verify/{number}")
    assert public.status_code == 200 and ">Valid<" in public.text
    assert revocation_state(site, number) == ("issued", [], "Active", "Active")

    # PACT: the footprint the issue published, read by id and in the list, by alice's organisation's client
    pf_id = regdb.transaction(site["app"].state.engine, lambda session: session.execute(
        select(PublishedFootprint.pf_id).where(PublishedFootprint.source_ref == number)).scalar_one())
    api = api_of(site["app"])
    mine = access_token(api, site["clients"][YUNNAN_USCC])
    one = pact_get(api, mine, f"/3/footprints/{pf_id}")
    assert one.status_code == 200, one.text
    document = one.json()["data"]
    assert document["id"] == pf_id and document["status"] == "Active"
    assert document["companyIds"] == [f"urn:pact:company:cn:uscc:{YUNNAN_USCC}"]
    listed = pact_get(api, mine, "/3/footprints")
    assert listed.status_code == 200 and [d["id"] for d in listed.json()["data"]] == [pf_id]
    assert pact_get(api, mine, "/3/footprints?status=Deprecated").json()["data"] == []
    theirs = access_token(api, site["clients"][GUANGXI_USCC])
    assert pact_get(api, theirs, f"/3/footprints/{pf_id}").status_code == 403
    assert pact_get(api, theirs, "/3/footprints").json()["data"] == []

    reason = "meter logs for March found altered"
    r = vera.post(f"/declarations/{decl}/revoke", data={"csrf": token(vera), "certificate": number, "reason": reason})
    assert r.status_code == 303 and r.headers["location"] == f"/declarations/{decl}?done=revoked", r.text[:800]
    assert revocation_state(site, number) == ("revoked", [reason], "Deprecated", "Deprecated")
    public = client_of(site).get(f"/verify/{number}")
    assert public.status_code == 200 and ">Revoked<" in public.text and reason in public.text
    assert pact_get(api, mine, f"/3/footprints/{pf_id}").json()["data"]["status"] == "Deprecated"
    assert [d["id"] for d in pact_get(api, mine, "/3/footprints?status=Deprecated").json()["data"]] == [pf_id]
    # vera's actions are audited under her name and organisation, cut to the 200 characters of
    # audit_entries.actor with '…' (PostgreSQL refused the whole 312-character actor: a server error)
    actor = f"vera ({VERIFIER}, web)"
    assert len(actor) == 312  # 4 + 2 + 300 + 6
    actors = regdb.transaction(engine, lambda session: session.execute(select(AuditEntry.actor).where(
        AuditEntry.id > first, AuditEntry.action.in_(("approve", "issue", "revoke")))).scalars().all())
    assert actors and set(actors) == {actor[:199] + "…"}
    assert registry.check(db=site["db"])["problems"] == []  # the audit chain and the signatures intact


def test_names_longer_than_their_columns_are_refused_in_one_line(site):
    """PostgreSQL refuses a value longer than its varchar column (SQLite stores it): an organisation
    name over 300 characters and a user name over 200 are refused as bad input naming the field (a
    declarant's name is held to 200 by the declaration's own check), and nothing is written."""
    from greenal.errors import InputError
    from greenal.registry.models import Organisation, User

    def rows(session):
        return (session.execute(select(func.count()).select_from(Organisation)).scalar_one(),
                session.execute(select(func.count()).select_from(User)).scalar_one())
    before = regdb.transaction(site["app"].state.engine, rows)
    with pytest.raises(InputError, match="at most 300 characters") as error:
        registry.add_organisation("O" * 301, "producer", "91310000MA1FL0000C", db=site["db"])
    assert error.value.where == "NAME" and "301 characters" in str(error.value)
    with pytest.raises(InputError, match="at most 200 characters") as error:
        add_user(YUNNAN_USCC, "u" * 201, PASSWORD["alice"], "producer", db=site["db"])
    assert error.value.where == "NAME"
    assert regdb.transaction(site["app"].state.engine, rows) == before


# ---------------------------------------------------------------- failure counters held in the database


def test_failed_token_attempts_count_across_two_apps(site, no_failures):
    """MAX_FAILURES failed client authentications at one worker's /auth/token (a wrong secret, then
    requests without credentials, which fail without the scrypt work): the other worker refuses even
    the right secret (429); forgotten in the database, it gives a token again."""
    one, two = api_of(site["app"]), api_of(second_app(site))
    good = site["clients"][YUNNAN_USCC]
    bad = {"grant_type": "client_credentials", "client_id": good["client_id"], "client_secret": "not-the-secret"}
    assert one.post("/auth/token", data=bad).status_code == 401
    for _ in range(auth.MAX_FAILURES - 1):
        assert one.post("/auth/token", data={"grant_type": "client_credentials"}).status_code == 401
    assert failures(site) == auth.MAX_FAILURES
    r = two.post("/auth/token", data={**bad, "client_secret": good["client_secret"]})
    assert r.status_code == 429 and r.json()["error"] == "invalid_client"
    no_failures()
    assert access_token(two, good)


def test_failed_log_ins_count_across_two_apps(site, no_failures):
    """LOGIN_FAILURES failed log-ins as alice at one worker (a wrong password, then passwords over
    the longest allowed, which fail without the scrypt work): the other worker refuses alice's right
    password (429) but lets vera in; forgotten in the database, alice gets in."""
    one, two = client_of(site), TestClient(second_app(site), follow_redirects=False)
    form = {"csrf": csrf_of(one.get("/login").text), "organisation": YUNNAN_USCC, "name": "alice",
            "password": "wrong-password"}
    assert one.post("/login", data=form).status_code == 401
    for _ in range(web.LOGIN_FAILURES - 1):
        assert one.post("/login", data={**form, "password": "x" * (MAX_PASSWORD_CHARS + 1)}).status_code == 401
    assert failures(site) == 2 * web.LOGIN_FAILURES  # one for alice from this address, one for the address
    right = {**form, "csrf": csrf_of(two.get("/login").text), "password": PASSWORD["alice"]}
    r = two.post("/login", data=right)
    assert r.status_code == 429 and "Too many failed log-ins" in r.text
    assert logged_in({"app": two.app}, "vera", VERIFIER).get("/declarations").status_code == 200
    no_failures()
    assert two.post("/login", data=right).status_code == 303


# ---------------------------------------------------------------- two workers racing


def race(clients: list[TestClient], url: str, forms: list[dict]) -> list:
    """The same POST by each client (each its own app: its own worker) released at once."""
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def run(i):
        barrier.wait(timeout=30)
        results[i] = clients[i].post(url, data=forms[i])
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_workers_issue_and_revoke_one_certificate_at_once(site):
    """vera presses Issue at once in two tabs served by two workers: both see it issued, and it is
    issued once (one audit entry, one PACT footprint). Then both tabs revoke it at once, with two
    reasons: one revocation is recorded, the other tab is told it is already revoked; the footprint is
    Deprecated and the audit chain intact."""
    decl, engine = site["bob_decl"], site["app"].state.engine
    tabs = [logged_in(site, "vera", VERIFIER), logged_in({"app": second_app(site)}, "vera", VERIFIER)]
    results = race(tabs, f"/declarations/{decl}/issue", [{"csrf": token(tab)} for tab in tabs])
    assert [r.status_code for r in results] == [303, 303], [r.text[:500] for r in results]
    number = registry.show(decl, db=site["db"])["certificates"][0]["number"]

    def counts(session):
        cert = session.execute(select(Certificate).where(Certificate.number == number)).scalar_one()
        issues = session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "issue", AuditEntry.table_name == "certificates",
            AuditEntry.row_id == cert.id)).scalar_one()
        footprints = session.execute(select(PublishedFootprint.status).where(
            PublishedFootprint.source_ref == number)).scalars().all()
        revocations = session.execute(select(Revocation.reason).where(Revocation.certificate_id == cert.id)).scalars()
        return cert.status, issues, footprints, list(revocations)
    assert regdb.transaction(engine, counts) == ("issued", 1, ["Active"], [])

    url = f"/declarations/{decl}/revoke"
    forms = [{"csrf": token(tab), "certificate": number, "reason": f"revoked in tab {i}"} for i, tab in enumerate(tabs)]
    results = race(tabs, url, forms)
    assert sorted(r.status_code for r in results) == [303, 409], [r.text[:500] for r in results]
    loser = next(r for r in results if r.status_code == 409)
    assert "already revoked" in loser.text  # as when revoking a certificate revoked before
    status, issues, footprints, reasons = regdb.transaction(engine, counts)
    winner = [r.status_code for r in results].index(303)
    assert (status, issues, footprints, reasons) == ("revoked", 1, ["Deprecated"], [f"revoked in tab {winner}"])
    assert json.loads(regdb.transaction(engine, lambda session: session.execute(
        select(PublishedFootprint.document).where(PublishedFootprint.source_ref == number)).scalar_one()))[
        "status"] == "Deprecated"
    assert registry.check(db=site["db"])["problems"] == []


# ---------------------------------------------------------------- restored on PostgreSQL


def test_a_restored_registry_takes_new_clients(site, postgres_cluster, tmp_path):
    """`registry export` of this database, `registry import` into a new one: the imported rows keep
    their ids, and the next API client and organisation get new ones (the import moved each table's
    PostgreSQL sequence past its rows), so the restored service works on."""
    export = tmp_path / "registry.jsonl"
    registry.export(export, db=site["db"])
    restored = new_database(postgres_cluster, f"greenal_restored_{os.getpid()}")
    registry.init(restored)
    registry.import_(export, db=restored)
    engine = regdb.ready(regdb.open_engine(restored))
    added = auth.add_client(engine, "client-after-restore", YUNNAN_USCC)
    registry.add_organisation("Other Rolling Co", "producer", "91310000MA1FL0000B", db=restored)
    assert [c["client_id"] for c in auth.list_clients(engine)] == [
        *(c["client_id"] for c in site["clients"].values()), added["client_id"]]
    imported = site["clients"][YUNNAN_USCC]  # its secret, stored hashed, still authenticates it
    assert auth.authenticate(engine, imported["client_id"], imported["client_secret"]) is not None
    engine.dispose()
    assert registry.check(db=restored)["problems"] == []
