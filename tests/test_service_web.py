"""The web pages (greenal.service.web) through Starlette's TestClient: log-in, sessions, CSRF,
organisation isolation, uploads (errors, size limit, macro workbooks), the verifier's decisions
and the public certificate page. One registry per module, built through the Python API."""
import datetime as dt
import io
import re
import shutil
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

import greenal.registry as registry
from greenal.service import sessions
from greenal.service.app import create_app
from greenal.service.users import add_user, authenticate, check_password, hash_password
from greenal.service.web import MAX_UPLOAD_BYTES, certificate_status

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
YUNNAN_USCC = "91530000MA6N9PPP3C"  # examples/yunnan-hydro-smelter.yaml (alice's organisation)
GUANGXI_USCC = "91451000MA5K8XXX1A"  # examples/guangxi-smelter.yaml (bob's)
VERIFIER_USCC = "91110000MA00000001"
PASSWORD = {"alice": "alice-password-1", "bob": "bob-password-22", "vera": "vera-password-333",
            "victor": "victor-password-4444", "sam": "sam-password-55555", "otto": "otto-password-666666"}
SCRAP_USCC = "91440000MA4W1QQQ4D"  # examples/scrap-recycler.yaml (sam's organisation)
OTHER_VERIFIER_USCC = "91110000MA00000002"  # otto's: a second verifier organisation


@pytest.fixture(scope="module")
def site(tmp_path_factory, data_dir):
    """A registry with: alice (producer, Yunnan Example), bob (producer, Guangxi Example, one
    declaration submitted), vera (verifier, Test Verifier Co, with a registered key) and victor
    (verifier of the same organisation), plus a declaration by the verifier organisation itself."""
    base = tmp_path_factory.mktemp("web")
    db = f"sqlite:///{base / 'registry.sqlite'}"
    registry.init(db)
    registry.add_organisation("云南示例绿色铝业有限公司 (Yunnan Example Green Aluminium Co.)", "producer", YUNNAN_USCC,
                              db=db)
    registry.add_organisation("Test Verifier Co", "verifier", VERIFIER_USCC, db=db)
    bob_decl = registry.submit(EXAMPLES / "guangxi-smelter.yaml", db=db, data_dir=data_dir)["declaration"]
    own = base / "verifier-own.yaml"  # a declaration by the verifier organisation itself
    own.write_text((EXAMPLES / "scrap-recycler.yaml").read_text(encoding="utf-8")
                   .replace("91440000MA4W1QQQ4D", VERIFIER_USCC), encoding="utf-8")
    own_decl = registry.submit(own, db=db, data_dir=data_dir)["declaration"]
    keys = registry.new_key_pair(base / "keys", "vera")
    registry.add_key(keys["public_key"], "Test Verifier Co", "vera", db=db)
    add_user(YUNNAN_USCC, "alice", PASSWORD["alice"], "producer", db=db)
    add_user(GUANGXI_USCC, "bob", PASSWORD["bob"], "producer", db=db)
    add_user("Test Verifier Co", "vera", PASSWORD["vera"], "verifier", db=db)
    add_user("Test Verifier Co", "victor", PASSWORD["victor"], "verifier", db=db)
    app = create_app(db, data_dir)
    return {"db": db, "app": app, "bob_decl": bob_decl, "own_decl": own_decl, "key": Path(keys["private_key"]),
            "base": base, "data_dir": data_dir}


def client_of(site) -> TestClient:
    return TestClient(site["app"], follow_redirects=False)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:300]
    return found.group(1)


def logged_in(site, user: str, org: str) -> TestClient:
    client = client_of(site)
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"csrf": token, "organisation": org, "name": user, "password": PASSWORD[user],
                                    "next": "/declarations"})
    assert r.status_code == 303 and r.headers["location"] == "/declarations", r.text[:300]
    return client


def token(client: TestClient, path: str = "/declarations") -> str:
    return csrf_of(client.get(path).text)


# ---------------------------------------------------------------- passwords and log-in


def test_password_hash_is_salted_scrypt_and_checks():
    one, two = hash_password("correct horse"), hash_password("correct horse")
    assert one != two and one.startswith("scrypt$32768$8$1$")
    assert check_password("correct horse", one) and not check_password("correct hors", one)
    assert not check_password("x", None) and not check_password("x", "garbage")


def test_add_user_refuses_short_password_and_wrong_role(site):
    with pytest.raises(ValueError, match="10 to 1000 characters"):
        add_user(YUNNAN_USCC, "carol", "short", "producer", db=site["db"])
    with pytest.raises(ValueError, match="a role for a producer organisation"):
        add_user(YUNNAN_USCC, "carol", "long-enough-pw", "verifier", db=site["db"])


def test_every_page_but_verification_needs_log_in(site):
    client = client_of(site)
    for path in ("/declarations", "/upload", "/queue", f"/declarations/{site['bob_decl']}",
                 f"/declarations/{site['bob_decl']}/report/pact"):
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    r = client.get("/verify/GA-2024-NOSUCHCERT")
    assert r.status_code == 404 and "Unknown" in r.text
    assert client.get("/verify").status_code == 200


def test_log_in_sets_a_signed_http_only_cookie_and_a_wrong_password_is_refused(site):
    client = client_of(site)
    page = client.get("/login")
    r = client.post("/login", data={"csrf": csrf_of(page.text), "organisation": YUNNAN_USCC, "name": "alice",
                                    "password": "wrong-password"})
    assert r.status_code == 401 and "password is not right" in r.text
    assert sessions.SESSION_COOKIE not in r.headers.get("set-cookie", "")  # no new session for a failure
    r = client.post("/login", data={"csrf": csrf_of(page.text), "organisation": YUNNAN_USCC, "name": "alice",
                                    "password": PASSWORD["alice"]})
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert 8 * 3600 - 60 <= int(re.search(r"max-age=(\d+)", cookie).group(1)) <= 8 * 3600  # 8 h sessions
    page = client.get("/declarations")
    assert page.status_code == 200 and "alice" in page.text and "Log out" in page.text


def test_the_log_in_by_organisation_name_and_unknown_users_fail_alike(site):
    from greenal.registry.db import open_engine

    engine = open_engine(site["db"])
    assert authenticate(engine, "Test Verifier Co", "vera", PASSWORD["vera"])["role"] == "verifier"
    assert authenticate(engine, "Test Verifier Co", "nobody", PASSWORD["vera"]) is None
    assert authenticate(engine, YUNNAN_USCC, "vera", PASSWORD["vera"]) is None  # vera is not Yunnan's


def test_forged_and_expired_sessions_count_as_logged_out(site):
    client = logged_in(site, "alice", YUNNAN_USCC)
    good = client.cookies[sessions.SESSION_COOKIE]
    body, mac = good.split(".")
    forged = sessions.sign(b"another secret", {"u": 1, "p": "x", "n": "n", "exp": time.time() + 999})
    for value in (f"{body}.{mac[:-2]}AA", forged):
        client.cookies.set(sessions.SESSION_COOKIE, value)
        assert client.get("/declarations").status_code == 303
    key = site["app"].state.web_secret
    payload = sessions.unsign(key, good)
    expired = sessions.sign(key, {**payload, "exp": time.time() - 1})
    client.cookies.set(sessions.SESSION_COOKIE, expired)
    assert client.get("/declarations").status_code == 303
    client.cookies.set(sessions.SESSION_COOKIE, good)
    assert client.get("/declarations").status_code == 200


def test_a_new_password_ends_the_old_sessions(site):
    client = logged_in(site, "victor", "Test Verifier Co")
    assert client.get("/queue").status_code == 200
    add_user("Test Verifier Co", "victor", PASSWORD["victor"] + "-new", "verifier", db=site["db"])
    assert client.get("/queue").status_code == 303
    add_user("Test Verifier Co", "victor", PASSWORD["victor"], "verifier", db=site["db"])


# ---------------------------------------------------------------- CSRF


def test_posts_without_the_csrf_token_are_refused(site):
    client = client_of(site)
    client.get("/login")
    r = client.post("/login", data={"organisation": YUNNAN_USCC, "name": "alice", "password": PASSWORD["alice"]})
    assert r.status_code == 403 and "did not come from this site" in r.text
    client = logged_in(site, "alice", YUNNAN_USCC)
    yaml_bytes = (EXAMPLES / "yunnan-hydro-smelter.yaml").read_bytes()
    for bad in ({}, {"csrf": "not-the-token"}):
        r = client.post("/upload", data=bad, files={"file": ("plant.yaml", yaml_bytes)})
        assert r.status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    vera = logged_in(site, "vera", "Test Verifier Co")
    other_token = token(client)  # alice's token does not work in vera's session
    r = vera.post(f"/declarations/{site['bob_decl']}/reject", data={"csrf": other_token, "reason": "forged"})
    assert r.status_code == 403
    assert registry.show(site["bob_decl"], db=site["db"])["status"] == "submitted"


def test_log_out_ends_the_session(site):
    client = logged_in(site, "bob", GUANGXI_USCC)
    r = client.post("/logout", data={"csrf": token(client)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/declarations").status_code == 303


# ---------------------------------------------------------------- organisation isolation and roles


def test_a_producer_sees_only_its_own_organisations_declarations(site):
    bob = logged_in(site, "bob", GUANGXI_USCC)
    alice = logged_in(site, "alice", YUNNAN_USCC)
    mine = bob.get("/declarations").text
    assert f'href="/declarations/{site["bob_decl"]}"' in mine and "Guangxi Example" in mine
    theirs = alice.get("/declarations").text
    assert "Guangxi Example" not in theirs and f'href="/declarations/{site["bob_decl"]}"' not in theirs
    for path in (f"/declarations/{site['bob_decl']}", f"/declarations/{site['bob_decl']}/report/pact",
                 f"/declarations/{site['own_decl']}"):
        r = alice.get(path)
        assert r.status_code == 404 and "Guangxi" not in r.text, path
    assert bob.get(f"/declarations/{site['bob_decl']}").status_code == 200
    assert alice.get("/queue").status_code == 403  # producers have no review queue
    add_user(YUNNAN_USCC, "ada", "ada-admin-password", "admin", db=site["db"])  # an administrator of a producer
    PASSWORD["ada"] = "ada-admin-password"
    ada = logged_in(site, "ada", YUNNAN_USCC)
    assert ada.get(f"/declarations/{site['bob_decl']}").status_code == 404
    assert "Guangxi Example" not in ada.get("/declarations").text


def test_pages_use_the_apps_database_engine(site, monkeypatch):
    """A page that asks the registry (the declaration page: registry.show) uses the app's engine and
    its connection pool: no new engine (on PostgreSQL, a new pool of connections) per request."""
    from greenal.registry import db as regdb
    bob = logged_in(site, "bob", GUANGXI_USCC)

    def no_new_engine(*args, **kwargs):
        raise AssertionError("a new database engine was created for a request")
    monkeypatch.setattr(regdb, "create_engine", no_new_engine)
    page = bob.get(f"/declarations/{site['bob_decl']}")
    assert page.status_code == 200 and "Guangxi Example" in page.text


def test_producers_cannot_decide_and_verifiers_cannot_upload(site):
    bob = logged_in(site, "bob", GUANGXI_USCC)
    r = bob.post(f"/declarations/{site['bob_decl']}/reject", data={"csrf": token(bob), "reason": "mine"})
    assert r.status_code == 403
    vera = logged_in(site, "vera", "Test Verifier Co")
    assert vera.get("/upload").status_code == 403


def test_a_producer_cannot_submit_another_organisations_declaration(site):
    alice = logged_in(site, "alice", YUNNAN_USCC)
    r = alice.post("/upload", data={"csrf": token(alice), "gwp": "ar6"},
                   files={"file": ("other.yaml", (EXAMPLES / "xinjiang-captive-coal.yaml").read_bytes())})
    assert r.status_code == 200 and "is not your organisation" in r.text and "Submit to the registry" not in r.text
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', r.text))
    r = alice.post("/upload/submit", data=form)
    assert r.status_code == 422 and "a producer submits only its own declarations" in r.text
    names = [d["organisation"] for d in registry.list_declarations(db=site["db"])]
    assert not any("Xinjiang" in n for n in names)


# ---------------------------------------------------------------- uploads


def workbook_with_a_bad_cell(folder: Path) -> tuple[Path, int]:
    """The Yunnan example questionnaire with text ("lots") in its AC-consumption value cell (column
    D); returns the file and the cell's row."""
    book_path = folder / "plant.xlsx"
    shutil.copy(EXAMPLES / "yunnan-hydro-smelter.xlsx", book_path)
    book = openpyxl.load_workbook(book_path)
    sheet = book["electrolysis"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == "ac_kwh_per_t")
    sheet.cell(row, 4).value = "lots"
    book.save(book_path)
    return book_path, row


def test_a_questionnaire_error_is_shown_with_its_sheet_and_cell(site, tmp_path):
    book_path, row = workbook_with_a_bad_cell(tmp_path)
    alice = logged_in(site, "alice", YUNNAN_USCC)
    r = alice.post("/upload", data={"csrf": token(alice)}, files={"file": ("plant.xlsx", book_path.read_bytes())})
    assert r.status_code == 422
    assert f"sheet &#39;electrolysis&#39; cell D{row}" in r.text and "lots" in r.text
    assert "plant.xlsx" in r.text and "/tmp" not in r.text  # the user's file name, not the server's path


def test_a_yaml_error_names_the_field(site):
    alice = logged_in(site, "alice", YUNNAN_USCC)
    text = (EXAMPLES / "yunnan-hydro-smelter.yaml").read_text(encoding="utf-8").replace("ac_kwh_per_t: 12950",
                                                                                        "ac_kwh_per_t: -5")
    r = alice.post("/upload", data={"csrf": token(alice)}, files={"file": ("bad.yaml", text.encode())})
    assert r.status_code == 422 and "electrolysis.ac_kwh_per_t" in r.text and "bad.yaml" in r.text


def test_uploads_over_the_size_limit_are_refused(site):
    alice = logged_in(site, "alice", YUNNAN_USCC)
    big = b"# padding\n" * (MAX_UPLOAD_BYTES // 10 + 1)
    r = alice.post("/upload", data={"csrf": token(alice)}, files={"file": ("big.yaml", big)})
    assert r.status_code == 413 and "too large" in r.text


def test_macro_workbooks_are_refused_as_in_the_cli(site, tmp_path):
    alice = logged_in(site, "alice", YUNNAN_USCC)
    xlsx = (EXAMPLES / "yunnan-hydro-smelter.xlsx").read_bytes()
    r = alice.post("/upload", data={"csrf": token(alice)}, files={"file": ("plant.xlsm", xlsx)})
    assert r.status_code == 422 and "macro-enabled .xlsm" in r.text
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("xl/vbaProject.bin", b"\0" * 64)
    r = alice.post("/upload", data={"csrf": token(alice)}, files={"file": ("renamed.xlsx", buffer.getvalue())})
    assert r.status_code == 422 and "a macro-enabled workbook" in r.text


# ---------------------------------------------------------------- the whole flow


def test_upload_check_download_submit_review_approve_issue_verify_revoke(site):
    """alice uploads and submits; vera reviews, approves with her uploaded key and issues; the public
    page says valid; revoked (`greenal registry revoke`: its PACT footprint Deprecated too), it says revoked."""
    alice = logged_in(site, "alice", YUNNAN_USCC)
    content = (EXAMPLES / "yunnan-hydro-smelter.yaml").read_bytes()
    checked = alice.post("/upload", data={"csrf": token(alice), "gwp": "ar6"},
                         files={"file": ("yunnan.yaml", content)})
    assert checked.status_code == 200, checked.text[:500]
    expected = registry.prepare(EXAMPLES / "yunnan-hydro-smelter.yaml", site["data_dir"]).results
    market = expected["market_based"]["total_t_co2e"]
    assert f'id="market-total">{market:,.3f}<' in checked.text  # the same number the registry records
    assert "Submit to the registry" in checked.text and "Verdicts" in checked.text and "<svg" in checked.text
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', checked.text))
    pact = alice.post("/upload/report", data={**form, "kind": "pact"})
    assert pact.status_code == 200 and "attachment" in pact.headers["content-disposition"]
    assert pact.json()["companyIds"] == [f"urn:pact:company:cn:uscc:{YUNNAN_USCC}"]
    tampered = {**form, "name": "other.yaml"}
    assert alice.post("/upload/report", data={**tampered, "kind": "pact"}).status_code == 400
    done = alice.post("/upload/submit", data={**form, "evidence": "electrolysis.ac_kwh_per_t = meter-log-2024.pdf"})
    assert done.status_code == 303, done.text[:500]
    page = alice.get(done.headers["location"])
    decl = int(re.search(r"/declarations/(\d+)", done.headers["location"]).group(1))
    assert registry.show(decl, db=site["db"])["evidence"] == {"electrolysis.ac_kwh_per_t": "meter-log-2024.pdf"}
    assert "Submitted to the registry" in page.text and "submitted" in page.text
    cbam = alice.get(f"/declarations/{decl}/report/cbam")
    assert cbam.status_code == 200 and cbam.content[:2] == b"PK"

    vera = logged_in(site, "vera", "Test Verifier Co")
    queue = vera.get("/queue").text
    assert f'href="/declarations/{decl}"' in queue and f'href="/declarations/{site["own_decl"]}"' not in queue
    review = vera.get(f"/declarations/{decl}")
    assert "Plausibility checks" in review.text and "Approve and sign" in review.text
    r = vera.post(f"/declarations/{decl}/approve", data={"csrf": token(vera), "valid_days": "365"},
                  files={"key": ("vera.key", site["key"].read_bytes())})
    assert r.status_code == 303, r.text[:800]
    assert registry.show(decl, db=site["db"])["status"] == "approved"
    r = vera.post(f"/declarations/{decl}/issue", data={"csrf": token(vera)})
    assert r.status_code == 303
    number = registry.show(decl, db=site["db"])["certificates"][0]["number"]
    public = client_of(site).get(f"/verify/{number}")
    assert public.status_code == 200 and ">Valid<" in public.text and "valid (a registered verifier" in public.text
    assert "Yunnan Example" in public.text and f"{market:,.3f}" in public.text
    assert revocation_state(site, number) == ("issued", [], "Active", "Active")  # issuing published it
    from click.testing import CliRunner

    from greenal.cli import main
    result = CliRunner().invoke(main, ["registry", "--db", site["db"], "revoke", number, "--reason", "test revocation"])
    assert result.exit_code == 0, result.output
    assert revocation_state(site, number) == ("revoked", ["test revocation"], "Deprecated", "Deprecated")
    public = client_of(site).get(f"/verify/{number}")
    # the reason in <bdi>: a right-to-left reason stored before reasons were checked cannot reorder the page
    assert ">Revoked<" in public.text and "<bdi>test revocation</bdi>" in public.text


def test_a_verifier_cannot_decide_on_their_own_organisations_declaration(site):
    vera = logged_in(site, "vera", "Test Verifier Co")
    page = vera.get(f"/declarations/{site['own_decl']}")
    assert page.status_code == 200 and "cannot decide on their own organisation" in page.text
    assert "Approve and sign" not in page.text
    r = vera.post(f"/declarations/{site['own_decl']}/approve", data={"csrf": token(vera)},
                  files={"key": ("vera.key", site["key"].read_bytes())})
    assert r.status_code == 403
    r = vera.post(f"/declarations/{site['own_decl']}/reject", data={"csrf": token(vera), "reason": "own"})
    assert r.status_code == 403
    assert registry.show(site["own_decl"], db=site["db"])["status"] == "submitted"


def test_a_verifier_signs_only_with_their_own_registered_key(site, tmp_path):
    victor = logged_in(site, "victor", "Test Verifier Co")  # same organisation as vera, not vera's key
    r = victor.post(f"/declarations/{site['bob_decl']}/approve", data={"csrf": token(victor)},
                    files={"key": ("vera.key", site["key"].read_bytes())})
    assert r.status_code == 422 and "a signing key registered to victor" in r.text
    assert str(site["base"]) not in r.text and "/tmp" not in r.text
    r = victor.post(f"/declarations/{site['bob_decl']}/approve", data={"csrf": token(victor)},
                    files={"key": ("x.key", b"not a key")})
    assert r.status_code == 422 and "Ed25519 private key" in r.text
    assert registry.show(site["bob_decl"], db=site["db"])["status"] == "submitted"


def test_a_verifier_rejects_with_a_reason(site):
    vera = logged_in(site, "vera", "Test Verifier Co")
    r = vera.post(f"/declarations/{site['bob_decl']}/reject", data={"csrf": token(vera), "reason": "  "})
    assert r.status_code == 422 and "the reason for the rejection" in r.text
    r = vera.post(f"/declarations/{site['bob_decl']}/reject",
                  data={"csrf": token(vera), "reason": "meter logs missing"})
    assert r.status_code == 303
    bob = logged_in(site, "bob", GUANGXI_USCC)
    page = bob.get(f"/declarations/{site['bob_decl']}").text
    assert "meter logs missing" in page and "rejected" in page


# ---------------------------------------------------------------- the public certificate page


def test_certificate_states_by_date_and_tampering(site, tmp_path):
    """valid inside its dates, not yet valid before, expired after, unknown when not issued, and
    'invalid' when the registry's copy no longer matches its signature."""
    from sqlalchemy import update

    from greenal.registry.db import open_engine
    from greenal.registry.models import Certificate

    path = tmp_path / "scrap.yaml"
    path.write_text((EXAMPLES / "scrap-recycler.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    decl = registry.submit(path, db=site["db"], data_dir=site["data_dir"])["declaration"]
    approved = registry.approve(decl, site["key"], db=site["db"], data_dir=site["data_dir"], valid_days=30,
                                valid_from=dt.date(2025, 1, 1))
    engine = open_engine(site["db"])
    number = approved["certificate"]
    assert certificate_status(engine, number, dt.date(2025, 1, 10))["state"] == "unknown"  # approved, not issued
    registry.issue(decl, db=site["db"])
    assert certificate_status(engine, number, dt.date(2025, 1, 10))["state"] == "valid"
    assert certificate_status(engine, number, dt.date(2024, 12, 31))["state"] == "not-yet-valid"
    assert certificate_status(engine, number, dt.date(2025, 2, 1))["state"] == "expired"  # 2025-01-01 + 30 days
    page = client_of(site).get(f"/verify/{number}")  # today (2026 or later): expired
    assert ">Expired<" in page.text and "2025-01-31" in page.text
    with engine.begin() as c:
        document = c.execute(Certificate.__table__.select().where(Certificate.number == number)).one().document
        c.execute(update(Certificate).where(Certificate.number == number)
                  .values(document=document.replace(b"2025-01-31", b"2026-01-31")))
    changed = certificate_status(engine, number, dt.date(2025, 1, 10))
    assert changed["state"] == "invalid" and not changed["signature_ok"]
    assert certificate_status(engine, "GA-0000-NOTHING", dt.date(2025, 1, 10))["state"] == "unknown"


# ---------------------------------------------------------------- language and errors


def test_the_language_switch_and_error_pages(site):
    client = client_of(site)
    r = client.get("/lang/zh?next=/login")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "登录" in client.get("/login").text
    assert client.get("/lang/en?next=https://evil.example/").headers["location"] == "/"
    assert client.get("/lang/en?next=//evil.example/").headers["location"] == "/"
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "Page not found" in r.text and "Traceback" not in r.text
    alice = logged_in(site, "alice", YUNNAN_USCC)
    r = alice.get("/declarations/not-a-number")
    assert r.status_code == 404 and "<html" in r.text
    r = alice.get("/login?next=https://evil.example/")
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_a_server_failure_shows_a_page_without_a_stack_trace(site, monkeypatch):
    from greenal.service import web

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals at /srv/greenal/registry.sqlite")
    monkeypatch.setattr(web, "_listing", boom)
    alice = logged_in(site, "alice", YUNNAN_USCC)
    r = alice.get("/declarations")
    assert r.status_code == 500 and "Something went wrong" in r.text
    assert "secret internals" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text


def test_pages_carry_security_headers(site):
    r = client_of(site).get("/login")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_every_web_message_key_is_in_the_catalogue_in_both_languages():
    from greenal.report.i18n import messages
    from greenal.service.users import ROLES
    from greenal.service.web import DOWNLOADS

    table = messages()
    used = set()
    for template in (ROOT / "templates" / "web").glob("*.html"):
        used |= set(re.findall(r"\bt\('(web_[a-z_0-9]+)'", template.read_text(encoding="utf-8")))
    used |= set(re.findall(r'"(web_error_[a-z_]+)"', (ROOT / "greenal" / "service" / "web.py").read_text()))
    used = {k for k in used if not k.endswith("_")}  # prefixes of the keys made from codes, below
    states = ("valid", "revoked", "expired", "not_yet_valid", "invalid", "unknown")
    used |= {f"web_state_{s}" for s in states} | {f"web_state_help_{s}" for s in states}
    used |= {f"web_role_{r}" for r in ROLES} | {f"web_dl_{k.replace('-', '_')}" for k in DOWNLOADS}
    used |= {f"web_status_{s}" for s in ("submitted", "approved", "rejected", "issued", "revoked")}
    used |= {f"web_check_{s}" for s in ("ok", "warn", "fail", "info")} | {f"web_done_{s}" for s in
                                                                          ("approved", "rejected", "issued",
                                                                           "revoked")}
    assert sorted(used - set(table)) == []
    assert all(table[key].get("zh") and table[key].get("en") for key in used)


def test_registry_user_command_reads_the_password_from_stdin(site):
    from click.testing import CliRunner

    from greenal.cli import main
    from greenal.errors import InputError
    from greenal.registry.db import open_engine

    runner = CliRunner()
    args = ["registry", "--db", site["db"], "user", "Test Verifier Co", "walter", "--role", "verifier"]
    result = runner.invoke(main, args, input="walter-password-1\n")
    assert result.exit_code == 0, result.output
    assert "user walter of Test Verifier Co: web log-in as verifier (new user)" in result.output
    walter = authenticate(open_engine(site["db"]), "Test Verifier Co", "walter", "walter-password-1")
    assert walter["role"] == "verifier"
    result = runner.invoke(main, args, input="short\n")
    assert isinstance(result.exception, InputError) and "10 to 1000 characters" in str(result.exception)


def test_evidence_references_are_read_one_a_line():
    from greenal.service.web import evidence_lines

    assert evidence_lines("a.b = log.pdf\n\n c=d=e ") == {"a.b": "log.pdf", "c": "d=e"}
    with pytest.raises(ValueError, match="line 2"):
        evidence_lines("a=b\nno equals sign")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="PDF output needs Debian's chromium")
def test_a_registered_declaration_downloads_as_pdf(site):
    bob = logged_in(site, "bob", GUANGXI_USCC)
    r = bob.get(f"/declarations/{site['bob_decl']}/report/certificate-pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF") and r.headers["content-type"] == "application/pdf"
    assert re.search(r"filename\*=UTF-8''.+-en-certificate\.pdf", r.headers["content-disposition"])


@pytest.fixture
def no_failures(site):
    """The registry's record of failed log-ins emptied before and after the test (as after the
    window); yields the function that empties it."""
    from sqlalchemy import delete

    from greenal.registry import db as regdb
    from greenal.registry.models import AuthFailure

    def forget():
        regdb.transaction(site["app"].state.engine, lambda session: session.execute(delete(AuthFailure)))
    forget()
    yield forget
    forget()


def test_repeated_failed_log_ins_are_throttled(site, no_failures):
    from greenal.service import web

    client = client_of(site)
    form = {"csrf": csrf_of(client.get("/login").text), "organisation": GUANGXI_USCC, "name": "bob"}
    for _ in range(web.LOGIN_FAILURES):
        assert client.post("/login", data={**form, "password": "wrong-password"}).status_code == 401
    r = client.post("/login", data={**form, "password": PASSWORD["bob"]})  # right, but too late
    assert r.status_code == 429 and "Too many failed log-ins" in r.text
    assert logged_in(site, "alice", YUNNAN_USCC).get("/declarations").status_code == 200  # others unaffected


def test_a_chunked_upload_over_the_limit_is_cut_off(site):
    """No Content-Length: the body is counted as it arrives and refused once past the limit."""
    alice = logged_in(site, "alice", YUNNAN_USCC)
    boundary = "greenalboundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{token(alice)}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.yaml"\r\n\r\n').encode()
    def body():
        yield head
        for _ in range(MAX_UPLOAD_BYTES // 100_000 + 5):
            yield b"#" * 99_999 + b"\n"
        yield f"\r\n--{boundary}--\r\n".encode()
    r = alice.post("/upload", content=body(), headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413 and "too large" in r.text


def test_the_api_paths_are_left_to_the_api(site):
    r = client_of(site).get("/3/no-such-endpoint")
    assert r.status_code in (401, 403, 404) and "text/html" not in r.headers.get("content-type", "")


def test_log_ins_sent_at_once_do_not_pass_the_limit_together(site, no_failures, monkeypatch):
    """Audit: wrong passwords for one user sent at once all passed the limit's check before any
    failure was recorded (each records only after its password check), so many more than
    LOGIN_FAILURES were tried. Each attempt now counts before its password is checked: of
    LOGIN_FAILURES + 5 sent at once, at most LOGIN_FAILURES reach the check, the others get 429.
    (Here the password check waits until every request has reached it or been refused.)"""
    import threading

    from conftest import Burst
    from greenal.service import web

    sent = web.LOGIN_FAILURES + 5
    burst = Burst(sent)

    def waiting_check(engine, organisation, name, password):
        burst.hold()
        return None
    monkeypatch.setattr(web.users, "authenticate", waiting_check)
    clients = [client_of(site) for _ in range(sent)]
    forms = [{"csrf": csrf_of(c.get("/login").text), "organisation": GUANGXI_USCC, "name": "bob",
              "password": "wrong-password"} for c in clients]
    codes: list[int] = []

    def attempt(client, form) -> None:
        code = client.post("/login", data=form).status_code
        codes.append(code)
        if code == 429:
            burst.refused()
    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(clients, forms, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # (how many of the LOGIN_FAILURES get through depends on the order the reservations and their
    # re-checks interleave: a re-check may count later requests' reservations too, never fewer)
    assert len(codes) == sent and set(codes) <= {401, 429} and codes.count(401) <= web.LOGIN_FAILURES, codes


def test_the_organisation_by_name_or_code_is_one_counter(site, no_failures):
    """Audit: the organisation may be given by name or by USCC; the counter was keyed by the text
    typed, so alternating the two gave one account twice the tries."""
    from greenal.service import web

    client = client_of(site)
    form = {"csrf": csrf_of(client.get("/login").text), "name": "bob", "password": "wrong-password"}
    for i in range(web.LOGIN_FAILURES):
        organisation = GUANGXI_USCC if i % 2 else "广西示例铝业有限公司 (Guangxi Example Aluminium Co.)"
        assert client.post("/login", data={**form, "organisation": organisation}).status_code == 401
    r = client.post("/login", data={**form, "organisation": GUANGXI_USCC, "password": PASSWORD["bob"]})
    assert r.status_code == 429


def test_failed_log_ins_count_across_workers(site, no_failures):
    """Two apps on one database, as two uvicorn workers: the failures made through one block the
    user in the other, and the count is the database's (forgotten there, the user gets in again)."""
    from sqlalchemy import func, select

    from greenal.registry import db as regdb
    from greenal.registry.models import AuthFailure
    from greenal.service import web

    one = client_of(site)
    two = TestClient(create_app(site["db"], site["data_dir"]), follow_redirects=False)
    form = {"csrf": csrf_of(one.get("/login").text), "organisation": GUANGXI_USCC, "name": "bob",
            "password": "wrong-password"}
    for _ in range(web.LOGIN_FAILURES):
        assert one.post("/login", data=form).status_code == 401
    right = {**form, "csrf": csrf_of(two.get("/login").text), "password": PASSWORD["bob"]}
    r = two.post("/login", data=right)
    assert r.status_code == 429 and "Too many failed log-ins" in r.text
    rows = regdb.transaction(site["app"].state.engine,
                             lambda session: session.execute(select(func.count()).select_from(AuthFailure)).scalar())
    assert rows == 2 * web.LOGIN_FAILURES  # each failure: one for bob from this address, one for the address
    no_failures()
    assert two.post("/login", data=right).status_code == 303


# ---------------------------------------------------------------- revocation on the web


@pytest.fixture(scope="module")
def issued(site):
    """A certificate for the scrap recycler's 2023 (another period than the example's), approved with
    vera's key and issued through the web page (which publishes its PACT footprint); sam is the
    recycler's producer, otto a verifier of another verifier organisation."""
    path = site["base"] / "scrap-2023.yaml"
    text = (EXAMPLES / "scrap-recycler.yaml").read_text(encoding="utf-8")
    assert "period: {start: 2024-01-01, end: 2024-12-31}" in text
    path.write_text(text.replace("period: {start: 2024-01-01, end: 2024-12-31}",
                                 "period: {start: 2023-01-01, end: 2023-12-31}"), encoding="utf-8")
    db = site["db"]
    decl = registry.submit(path, db=db, data_dir=site["data_dir"])["declaration"]
    registry.approve(decl, site["key"], db=db, data_dir=site["data_dir"])
    add_user(SCRAP_USCC, "sam", PASSWORD["sam"], "producer", db=db)
    registry.add_organisation("Other Verifier Co", "verifier", OTHER_VERIFIER_USCC, db=db)
    add_user("Other Verifier Co", "otto", PASSWORD["otto"], "verifier", db=db)
    vera = logged_in(site, "vera", "Test Verifier Co")
    assert vera.post(f"/declarations/{decl}/issue", data={"csrf": token(vera)}).status_code == 303
    number = registry.show(decl, db=db)["certificates"][0]["number"]
    return {"decl": decl, "number": number, "url": f"/declarations/{decl}/revoke"}


def revocation_state(site, number: str) -> tuple[str, list[str], str, str]:
    """The certificate's status, its revocations' reasons, and its published PACT footprint's status
    (column and document)."""
    import json

    from sqlalchemy import select

    from greenal.registry import db as regdb
    from greenal.registry.models import Certificate, PublishedFootprint, Revocation

    def work(session):
        cert = session.execute(select(Certificate).where(Certificate.number == number)).scalar_one()
        reasons = session.execute(select(Revocation.reason).where(Revocation.certificate_id == cert.id)).scalars()
        footprint = session.execute(select(PublishedFootprint).where(
            PublishedFootprint.source == "certificate", PublishedFootprint.source_ref == number)).scalar_one()
        return cert.status, list(reasons), footprint.status, json.loads(footprint.document)["status"]
    return regdb.transaction(site["app"].state.engine, work)


def test_revocation_is_refused_to_others_and_to_bad_forms(site, issued):
    """Anonymous: to the log-in page; the declarant's producer and another verifier organisation's
    verifier: 403; no CSRF token: 403; an empty or 501-character reason: one line. Nothing changes."""
    url, number = issued["url"], issued["number"]
    good = {"certificate": number, "reason": "meter logs altered"}
    before = revocation_state(site, number)
    assert before == ("issued", [], "Active", "Active")
    anonymous = client_of(site)
    r = anonymous.post(url, data={**good, "csrf": csrf_of(anonymous.get("/login").text)})
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    sam = logged_in(site, "sam", SCRAP_USCC)
    assert sam.get(f"/declarations/{issued['decl']}").status_code == 200
    assert "Revoke certificate" not in sam.get(f"/declarations/{issued['decl']}").text
    assert sam.post(url, data={**good, "csrf": token(sam)}).status_code == 403
    otto = logged_in(site, "otto", "Other Verifier Co")
    assert "Revoke certificate" not in otto.get(f"/declarations/{issued['decl']}").text
    assert otto.post(url, data={**good, "csrf": token(otto)}).status_code == 403
    vera = logged_in(site, "vera", "Test Verifier Co")
    assert vera.post(url, data=good).status_code == 403  # no CSRF token
    for reason in ("", "   \n ", "x" * 501):
        r = vera.post(url, data={**good, "reason": reason, "csrf": token(vera)})
        assert r.status_code == 422 and "1 to 500 characters" in r.text, reason[:10]
    # The reason is public (verify page, `greenal verify` in a terminal): a terminal escape that
    # would erase the printed FAIL line, or a right-to-left override, is refused with its position
    for reason, where in (("ok\x1b[2K\rok   not revoked", "character 3: U+001B"),
                          ("typo \u202edilav", "character 6: U+202E")):
        r = vera.post(url, data={**good, "reason": reason, "csrf": token(vera)})
        assert r.status_code == 422 and where in r.text and "without control or bidirectional" in r.text, reason
    assert revocation_state(site, number) == before


def test_a_verifier_of_the_issuing_organisation_revokes_on_the_web(site, issued):
    """The reason (trimmed, 500 characters: the most allowed) is recorded with vera as the actor,
    the PACT footprint becomes Deprecated, the public page says revoked with the reason; a second
    revocation is refused with a message and adds no row."""
    from sqlalchemy import select

    from greenal.registry import db as regdb
    from greenal.registry.models import AuditEntry

    url, number = issued["url"], issued["number"]
    reason = ("meter logs for March found altered " * 20)[:499] + "."
    assert len(reason) == 500
    vera = logged_in(site, "vera", "Test Verifier Co")
    assert f"Revoke certificate {number}" in vera.get(f"/declarations/{issued['decl']}").text
    space = reason.index(" ", 100)
    posted = reason[:space] + "\r\n" + reason[space + 1:]  # a line break inside: one space when stored
    r = vera.post(url, data={"csrf": token(vera), "certificate": number, "reason": f"  {posted}\n"})
    assert r.status_code == 303 and r.headers["location"] == f"/declarations/{issued['decl']}?done=revoked"
    assert revocation_state(site, number) == ("revoked", [reason], "Deprecated", "Deprecated")
    actors = regdb.transaction(site["app"].state.engine, lambda session: session.execute(
        select(AuditEntry.actor).where(AuditEntry.action == "revoke").order_by(AuditEntry.id.desc()).limit(2)).scalars()
        .all())
    assert actors == ["vera (Test Verifier Co, web)"] * 2  # the certificate and its revocation row
    page = vera.get(r.headers["location"]).text
    assert "The certificate is revoked" in page and "Revoke certificate" not in page
    public = client_of(site).get(f"/verify/{number}")
    assert public.status_code == 200 and ">Revoked<" in public.text and reason in public.text
    again = vera.post(url, data={"csrf": token(vera), "certificate": number, "reason": "again"})
    assert again.status_code == 409 and "already revoked" in again.text
    assert revocation_state(site, number) == ("revoked", [reason], "Deprecated", "Deprecated")
