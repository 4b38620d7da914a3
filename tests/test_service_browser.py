"""The web pages in a real browser: Playwright for Python driving Debian's Chromium
(/usr/bin/chromium, headless; no browser download) against a uvicorn server on loopback, over a
temp SQLite registry built through the Python API. The tests assert on what a person sees and
leave screenshots of the main pages in /tmp/web-*.png."""
import threading
import time
from pathlib import Path

import pytest

import greenal.registry as registry
from greenal.service.app import create_app
from greenal.service.users import add_user
from test_service_web import workbook_with_a_bad_cell

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
YUNNAN_USCC = "91530000MA6N9PPP3C"
VERIFIER = "Browser Verifier Co"
PASSWORD = "a-long-test-password"

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (Debian package chromium); browser tests skipped", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory, data_dir):
    """uvicorn on 127.0.0.1 (a free port) in a thread, over a registry holding: alice (producer of
    the Yunnan example), vera (verifier with a key), one issued certificate (the Guangxi example) and
    one declaration waiting for review (the Xinjiang example)."""
    import uvicorn

    base = tmp_path_factory.mktemp("browser")
    db = f"sqlite:///{base / 'registry.sqlite'}"
    registry.init(db)
    registry.add_organisation("云南示例绿色铝业有限公司 (Yunnan Example Green Aluminium Co.)", "producer", YUNNAN_USCC,
                              db=db)
    registry.add_organisation(VERIFIER, "verifier", "91110000MA00000009", db=db)
    keys = registry.new_key_pair(base / "keys", "vera")
    registry.add_key(keys["public_key"], VERIFIER, "vera", db=db)
    add_user(YUNNAN_USCC, "alice", PASSWORD, "producer", db=db)
    add_user(VERIFIER, "vera", PASSWORD, "verifier", db=db)
    issued = registry.submit(EXAMPLES / "guangxi-smelter.yaml", db=db, data_dir=data_dir)["declaration"]
    registry.approve(issued, keys["private_key"], db=db, data_dir=data_dir)
    number = registry.issue(issued, db=db)["certificate"]
    registry.submit(EXAMPLES / "xinjiang-captive-coal.yaml", db=db, data_dir=data_dir)  # for the review queue
    config = uvicorn.Config(create_app(db, data_dir), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not web.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    port = web.servers[0].sockets[0].getsockname()[1]
    yield {"url": f"http://127.0.0.1:{port}", "db": db, "data_dir": data_dir, "number": number, "base": base}
    web.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    yield context.new_page()
    context.close()


def log_in(page, url: str, organisation: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Organisation").fill(organisation)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/declarations")


def test_a_producer_logs_in_uploads_sees_the_footprint_and_submits(server, page, tmp_path):
    url = server["url"]
    page.goto(f"{url}/declarations")  # not logged in: the log-in form
    assert page.url.startswith(f"{url}/login")
    page.screenshot(path="/tmp/web-login.png")
    log_in(page, url, YUNNAN_USCC, "alice")
    assert page.get_by_text("No declarations yet.").is_visible()
    assert page.locator("header").get_by_text("alice").is_visible()

    page.goto(f"{url}/upload")
    page.set_input_files("input[name=file]", str(EXAMPLES / "yunnan-hydro-smelter.yaml"))
    page.get_by_role("button", name="Compute and check").click()
    page.wait_for_selector("#market-total", timeout=180_000)
    expected = registry.prepare(EXAMPLES / "yunnan-hydro-smelter.yaml", server["data_dir"]).results
    assert page.locator("#market-total").inner_text() == f"{expected['market_based']['total_t_co2e']:,.3f}"
    assert page.locator("#location-total").inner_text() == f"{expected['location_based']['total_t_co2e']:,.3f}"
    assert page.get_by_role("heading", name="Verdicts").is_visible()
    assert page.locator("figure svg").count() >= 2  # stage and scope charts
    page.screenshot(path="/tmp/web-check.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("button", name="PACT JSON").click()
    assert download.value.suggested_filename.endswith(".pact.json")

    page.get_by_role("button", name="Submit to the registry").click()
    page.wait_for_url(f"{url}/declarations/*")
    assert page.get_by_text("Submitted to the registry; a verifier will review it.").is_visible()
    page.screenshot(path="/tmp/web-declaration.png", full_page=True)
    page.get_by_role("link", name="中文").click()
    assert page.locator("h1 .status").inner_text() == "已提交"
    assert page.get_by_role("heading", name="评价结论").is_visible()
    page.screenshot(path="/tmp/web-declaration-zh.png", full_page=True)


def test_a_questionnaire_error_is_shown_with_sheet_and_cell(server, page, tmp_path):
    book_path, row = workbook_with_a_bad_cell(tmp_path)
    log_in(page, server["url"], YUNNAN_USCC, "alice")
    page.goto(f"{server['url']}/upload")
    page.set_input_files("input[name=file]", str(book_path))
    page.get_by_role("button", name="Compute and check").click()
    box = page.get_by_role("alert")
    box.wait_for(timeout=120_000)
    assert box.locator(".where").inner_text() == f"sheet 'electrolysis' cell D{row}"
    assert "lots" in box.inner_text() and "plant.xlsx" in box.inner_text()
    page.screenshot(path="/tmp/web-error.png", full_page=True)


def test_a_verifier_sees_the_queue_and_the_checks(server, page):
    log_in(page, server["url"], VERIFIER, "vera")
    page.get_by_role("link", name="Review queue").click()
    page.wait_for_url(f"{server['url']}/queue")
    page.screenshot(path="/tmp/web-queue.png", full_page=True)
    assert page.get_by_text("Xinjiang Example Aluminium Co.").first.is_visible()
    page.locator("table.list tbody tr").first.get_by_role("link").first.click()
    page.get_by_role("heading", name="Plausibility checks").wait_for(timeout=120_000)
    assert page.get_by_role("button", name="Approve and sign").is_visible()
    assert page.get_by_role("button", name="Reject").is_visible()
    page.screenshot(path="/tmp/web-review.png", full_page=True)


def test_anyone_verifies_a_certificate_in_either_language(server, page):
    page.goto(f"{server['url']}/verify/{server['number']}")
    state = page.locator("#certificate-state .state")
    assert state.inner_text() == "Valid"
    assert page.locator("#signature-check").inner_text().startswith("valid (a registered verifier's key)")
    assert page.get_by_text("Guangxi Example Aluminium Co.").first.is_visible()
    page.screenshot(path="/tmp/web-verify.png", full_page=True)
    page.get_by_role("link", name="中文").click()
    assert state.inner_text() == "有效"
    page.screenshot(path="/tmp/web-verify-zh.png", full_page=True)
    page.goto(f"{server['url']}/verify/GA-2024-NOSUCHNUMBER")
    assert page.locator("#certificate-state .state").inner_text() == "未知证书"
