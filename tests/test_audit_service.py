"""Audit of the web pages and the registry behind them (issues 9 and 14): a careless user, a
dishonest producer and an attacker. Each test was written to fail on the code before its fix."""
import pytest

import greenal.registry as registry
from greenal.errors import InputError
from greenal.service import sessions
from tests import test_service_web as web_tests
from tests.test_service_web import GUANGXI_USCC, client_of, logged_in, token

site = web_tests.site  # the module's registry: alice, bob (producers), vera, victor (verifiers)
no_failures = web_tests.no_failures  # failed log-ins forgotten before and after a test
BEYOND_INT64 = "9" * 23  # a declaration id no database integer holds


def test_a_session_cookie_copied_before_log_out_is_dead_after_it(site):
    """Log-out ends the session itself, not only the browser's copy: a cookie taken before
    (another tab, a stolen copy) is refused after."""
    bob = logged_in(site, "bob", GUANGXI_USCC)
    copied = bob.cookies[sessions.SESSION_COOKIE]
    assert bob.post("/logout", data={"csrf": token(bob)}).status_code == 303
    thief = client_of(site)
    thief.cookies.set(sessions.SESSION_COOKIE, copied)
    r = thief.get("/declarations")
    assert r.status_code == 303 and r.headers["location"].startswith("/login"), r.status_code
    again = logged_in(site, "bob", GUANGXI_USCC)  # a new log-in works
    assert again.get("/declarations").status_code == 200


def test_a_declaration_id_beyond_any_integer_is_not_found_not_a_server_error(site):
    vera = logged_in(site, "vera", "Test Verifier Co")
    for path in (f"/declarations/{BEYOND_INT64}", f"/declarations/{BEYOND_INT64}/report/pact"):
        r = vera.get(path)
        assert r.status_code == 404, (path, r.status_code)
    for action in ("reject", "issue"):
        r = vera.post(f"/declarations/{BEYOND_INT64}/{action}", data={"csrf": token(vera), "reason": "x"})
        assert r.status_code == 404, (action, r.status_code)


def test_registry_show_of_an_id_beyond_any_integer_is_bad_input(site):
    with pytest.raises(InputError, match="declaration id"):
        registry.show(BEYOND_INT64, db=site["db"])


def test_a_declarant_taking_a_registered_organisations_name_is_refused(tmp_path, data_dir):
    """A producer naming itself as the verifier organisation (another code) would make two
    organisations of one name: `key add --org NAME` and the log-in by name then stop being
    one organisation. The submission is refused, naming the field; nothing is written."""
    db = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    registry.init(db)
    registry.add_organisation("Test Verifier Co", "verifier", "91110000MA00000001", db=db)
    text = (web_tests.EXAMPLES / "guangxi-smelter.yaml").read_text(encoding="utf-8")
    impostor = tmp_path / "impostor.yaml"
    impostor.write_text(text.replace("广西示例铝业有限公司 (Guangxi Example Aluminium Co.)", "Test Verifier Co"),
                        encoding="utf-8")
    with pytest.raises(InputError, match="declarant.name"):
        registry.submit(impostor, db=db, data_dir=data_dir)
    assert registry.list_declarations(db=db) == []
    keys = registry.new_key_pair(tmp_path / "keys", "vera")
    assert registry.add_key(keys["public_key"], "Test Verifier Co", "vera", db=db)["organisation"] == "Test Verifier Co"


def test_the_same_serials_under_another_scheme_name_are_a_double_claim(tmp_path, data_dir):
    """A green-power-trade certificate is a GEC: the national GEC system issues it and moves it to
    the buyer's account (NEA Q&A, 中国碳交易网 2025-04-03, 绿色电力交易对应绿证如何核发), and the
    GEC code is one 32-digit number whatever the trade. The serials another declaration claims
    under "green-power-trade" cannot be claimed again under "GEC" (as EAC-2 compares them within
    one declaration: by serial, whatever the scheme)."""
    db = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    registry.init(db)
    original = web_tests.EXAMPLES / "yunnan-hydro-smelter.yaml"
    text = original.read_text(encoding="utf-8")
    assert text.count("scheme: green-power-trade") == 1
    other = tmp_path / "other-smelter.yaml"
    other.write_text(text.replace("scheme: green-power-trade", "scheme: GEC")
                     .replace(web_tests.YUNNAN_USCC, "91530000MA6N9QQQ9X")
                     .replace("云南示例绿色铝业有限公司 (Yunnan Example Green Aluminium Co.)", "Other Smelter Co"),
                     encoding="utf-8")
    first = registry.submit(original, db=db, data_dir=data_dir)
    with pytest.raises(InputError, match=f"already claimed by .*declaration {first['declaration']}"):
        registry.submit(other, db=db, data_dir=data_dir)
    assert len(registry.list_declarations(db=db)) == 1


def test_the_same_serials_with_other_zero_padding_are_a_double_claim(tmp_path, data_dir):
    """Another organisation writing the first declaration's serials GEC…-000001 as GEC…-1 (the
    running number padded otherwise, count unchanged) is refused, naming the first claim."""
    import yaml

    db = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    registry.init(db)
    original = web_tests.EXAMPLES / "yunnan-hydro-smelter.yaml"
    data = yaml.safe_load(original.read_text(encoding="utf-8"))
    first_cert = data["electricity"]["certificates"][0]
    mwh = first_cert["mwh"]
    for c in data["electricity"]["certificates"]:
        c["serial_from"], c["serial_to"] = "GEC-2024-YN-0000000001", f"GEC-2024-YN-{c['mwh']:010d}"
        break
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    first = registry.submit(mine, db=db, data_dir=data_dir)
    first_cert["serial_from"], first_cert["serial_to"] = "GEC-2024-YN-1", f"GEC-2024-YN-{mwh}"
    data["declarant"]["uscc"] = "91530000MA6N9QQQ9X"
    data["declarant"]["name"] = "Other Smelter Co"
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(InputError, match=f"already claimed by .*declaration {first['declaration']}"):
        registry.submit(other, db=db, data_dir=data_dir)


def test_a_log_cut_back_with_its_rows_is_caught_against_a_recorded_head(tmp_path):
    """Deleting the newest rows together with their audit entries leaves a chain that is intact
    as far as it goes: only a head recorded outside the database shows the cut. `check`
    reports the head (id:hash) and checks a recorded one."""
    from sqlalchemy import create_engine, text

    db = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    registry.init(db)
    registry.add_organisation("First Verifier Co", "verifier", "91110000MA00000001", db=db)
    head = registry.check(db=db)["head"]
    assert registry.check(db=db, head=head)["problems"] == []
    registry.add_organisation("Second Verifier Co", "verifier", "91110000MA00000002", db=db)
    later = registry.check(db=db)["head"]
    assert later != head and registry.check(db=db, head=later)["problems"] == []
    engine = create_engine(db)
    with engine.begin() as connection:  # the cut: the newest row and every audit entry after `head`
        connection.execute(text("DROP TRIGGER audit_log_no_delete"))  # whoever can write the file can
        connection.execute(text("DELETE FROM organisations WHERE name = 'Second Verifier Co'"))
        connection.execute(text("DELETE FROM audit_log WHERE id > :n"), {"n": int(head.split(":")[0])})
    engine.dispose()
    assert registry.check(db=db)["problems"] == []  # the hole the recorded head closes
    problems = registry.check(db=db, head=later)["problems"]
    assert len(problems) == 1 and "cut back or rewritten" in problems[0], problems
    with pytest.raises(InputError, match="--head"):
        registry.check(db=db, head="not-a-head")


def test_a_tampered_export_is_refused_and_nothing_is_imported(tmp_path):
    """Import of an export whose rows no longer match their audit entries is refused as a whole:
    the registry stays empty, so the good export can still be imported."""
    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    registry.init(source)
    registry.add_organisation("Honest Verifier Co", "verifier", "91110000MA00000001", db=source)
    good = tmp_path / "good.jsonl"
    registry.export(good, db=source)
    text = good.read_text(encoding="utf-8")
    assert text.count("Honest Verifier Co") == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text(text.replace("Honest Verifier Co", "Other Verifier Co"), encoding="utf-8")
    target = f"sqlite:///{tmp_path / 'target.sqlite'}"
    registry.init(target)
    with pytest.raises(InputError, match="audit chain"):
        registry.import_(bad, db=target)
    assert registry.import_(good, db=target)["problems"] == []  # nothing of the bad one was kept
    assert registry.check(db=target)["problems"] == []


def test_a_validity_beyond_the_calendar_is_bad_input_not_an_overflow(site, tmp_path):
    """`--valid-days 999999999` (a slip of the finger) is one line, not an OverflowError."""
    with pytest.raises(InputError, match="--valid-days"):
        registry.approve(site["bob_decl"], site["key"], db=site["db"], data_dir=site["data_dir"],
                         valid_days=999_999_999)
    assert registry.show(site["bob_decl"], db=site["db"])["status"] == "submitted"


def test_failed_log_ins_rotating_user_names_are_throttled_per_address(site, no_failures, monkeypatch):
    """The per-user limit alone lets one address try every user name (password spraying) and
    spend ~50 ms of scrypt on each try (CPU exhaustion); one address gets a bounded number of
    failures in the window, whatever the names."""
    from greenal.service import web
    from tests.test_service_web import csrf_of

    monkeypatch.setattr(web, "LOGIN_FAILURES_PER_ADDRESS", 3)
    client = client_of(site)
    form = {"csrf": csrf_of(client.get("/login").text), "organisation": GUANGXI_USCC, "password": "wrong-password"}
    for name in ("mallory-1", "mallory-2", "mallory-3"):
        assert client.post("/login", data={**form, "name": name}).status_code == 401
    assert client.post("/login", data={**form, "name": "mallory-4"}).status_code == 429
