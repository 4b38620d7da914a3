"""The certificate PDF (issue 9) and one Chromium per report run (issue 12).

One registry (SQLite) for the module: the Yunnan example (a passing green claim) submitted,
approved and issued as JSON plus a PDF in each language. The QR code is read back from the
printed page with an independent decoder (zxing-cpp) on a pdftoppm image.
"""
import hashlib
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import greenal.registry as registry
from greenal.errors import InputError, MissingTool
from greenal.registry import pdfdoc
from greenal.registry.canonical import canonical, sha256_hex
from greenal.report import html, pdf
from greenal.report.i18n import translator

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "yunnan-hydro-smelter.yaml"
BASE = "https://registry.example.org/greenal"


@pytest.fixture(scope="module")
def desk(tmp_path_factory, data_dir, engine):
    tmp = tmp_path_factory.mktemp("certificate-pdf")
    url = f"sqlite:///{tmp / 'registry.sqlite'}"
    registry.init(url)
    registry.add_organisation("Example Verification Co", "verifier", "91110000MA00000001", db=url)
    keys = registry.new_key_pair(tmp / "keys", "alice")
    registry.add_key(keys["public_key"], "Example Verification Co", "alice", db=url)
    r = registry.submit(EXAMPLE, db=url, data_dir=data_dir)
    registry.approve(r["declaration"], keys["private_key"], db=url, data_dir=data_dir)
    issued = pdfdoc.issue_files(r["declaration"], tmp / "certs", db=url, data_dir=data_dir, base=BASE)
    paths = [Path(p) for p in issued["paths"]]
    return {"db": url, "data_dir": data_dir, "tmp": tmp, "issued": issued, "declaration": r["declaration"],
            "json": paths[0], "pdf": {p.stem.rsplit("-", 1)[1]: p for p in paths[1:]}}


def failed(checks):
    return [c for c in checks if not c["ok"]]


def pdftotext(path: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", "-layout", *args, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_issue_writes_json_and_a_pdf_per_language(desk):
    number = desk["issued"]["certificate"]
    assert desk["json"].name == f"{number}.json"
    assert sorted(desk["pdf"]) == ["en", "zh"]
    assert all(p.name == f"{number}-{lang}.pdf" and p.read_bytes()[:5] == b"%PDF-" for lang, p in desk["pdf"].items())
    assert [p.name for p in desk["json"].parent.iterdir() if p.name.startswith(".")] == []  # no temp folder left


def test_pdf_embeds_the_exact_signed_document(desk):
    raw = desk["json"].read_bytes()
    for path in desk["pdf"].values():
        embedded, _ = pdfdoc.read_certificate_pdf(path)
        assert embedded == raw and canonical(json.loads(embedded)) == raw
        listed = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True).stdout
        assert pdfdoc.ATTACHMENT in listed  # an independent reader (poppler) sees the attachment


def test_number_code_and_qr_on_the_certificate_page(desk, tmp_path):
    """Page 1 shows the number and the verification code (the first 12 hex digits of the
    document's SHA-256, grouped by 4), and its QR code decodes to <base>/verify/<number>."""
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (test extras) decodes the printed QR code")
    from PIL import Image

    raw = desk["json"].read_bytes()
    number = json.loads(raw)["number"]
    digest = sha256_hex(raw)[:12].upper()
    code = f"{digest[:4]}-{digest[4:8]}-{digest[8:]}"
    assert desk["issued"]["verification_code"] == code
    for lang, path in desk["pdf"].items():
        first = pdftotext(path, "-f", "1", "-l", "1")
        assert number in first and code in first, lang
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(path), str(tmp_path / lang)],
                       check=True)
        image = Image.open(next(tmp_path.glob(f"{lang}-*.png")))
        decoded = [b.text for b in zxingcpp.read_barcodes(image)]
        assert decoded == [f"{BASE}/verify/{number}"], (lang, decoded)


def test_certificate_fits_with_both_signature_blocks(desk):
    for lang, path in desk["pdf"].items():
        t = translator(lang)
        pages = pdftotext(path).rstrip("\f").split("\f")
        assert len(pages) <= 2, lang
        last = pages[-1]
        assert t("signature_declarant") in last and t("signature_verifier") in last, lang
        assert last.count(t("signature_seal")) >= 2 and last.count(t("date")) >= 2, lang
        assert "Example Verification Co" in last and "alice" in last, lang


def test_good_pdf_verifies(desk, tmp_path):
    """Each issued PDF verifies, the exact file matched to the registry's record; a byte-identical
    copy under another name is the same file (the English one is checked through its copy)."""
    copy = tmp_path / "forwarded-by-mail.pdf"
    shutil.copyfile(desk["pdf"]["en"], copy)
    for path in (desk["pdf"]["zh"], copy):
        checks = registry.verify(path, db=desk["db"], data_dir=desk["data_dir"])
        assert failed(checks) == [], checks
        names = [c["check"] for c in checks]
        assert "printed certificate" in names and names.index("issued file") == names.index("registered") + 1
        detail = next(c["detail"] for c in checks if c["check"] == "issued file")
        assert detail.startswith("this exact PDF was issued by the registry on "), detail


# ---------------------------------------------------------------- issued files (migration 0004)


def issued_rows(db_url: str) -> list[tuple]:
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as c:
        return c.execute("SELECT lang, kind, sha256, bytes, certificate_id FROM issued_files ORDER BY id").fetchall()


def test_issued_pdfs_hashes_are_recorded(desk):
    """The registry records the SHA-256 and size of each PDF as it is on disk (hashlib over the
    file's bytes, independently of greenal's hashing), and `registry check` accepts the rows."""
    on_disk = {lang: path.read_bytes() for lang, path in desk["pdf"].items()}
    expected = {(lang, "pdf", hashlib.sha256(b).hexdigest(), len(b)) for lang, b in on_disk.items()}
    assert {(f["lang"], f["kind"], f["sha256"], f["bytes"]) for f in desk["issued"]["files"]} == expected
    assert {f["path"] for f in desk["issued"]["files"]} == {str(p) for p in desk["pdf"].values()}
    assert expected <= {row[:4] for row in issued_rows(desk["db"])}
    assert registry.check(db=desk["db"])["problems"] == []


def test_remade_pdf_fails_only_the_issued_file_check(desk, tmp_path):
    """The genuine signed document embedded (pdfdoc.embed) in a re-made PDF of the same page (same
    number, code and figures, pages copied into a new file): every check passes but "issued file"."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(desk["pdf"]["en"]).pages:
        writer.add_page(page)
    writer.add_metadata({"/Producer": "a print shop"})
    page = io.BytesIO()
    writer.write(page)
    remade = tmp_path / "remade.pdf"
    remade.write_bytes(pdfdoc.embed(page.getvalue(), desk["json"].read_bytes()))
    assert remade.read_bytes() != desk["pdf"]["en"].read_bytes()
    checks = registry.verify(remade, db=desk["db"], data_dir=desk["data_dir"])
    assert [c["check"] for c in failed(checks)] == ["issued file"], checks
    assert failed(checks)[0]["detail"].startswith("not a file the registry issued: the PDF was re-made or changed")
    assert [c["check"] for c in checks][-1] == "recomputed"  # the signed document's checks still run
    error = registry.verification_failure(remade, checks)
    assert str(error).startswith(f"{remade}: issued file failed: not a file the registry issued")


def test_certificate_issued_before_pdf_hashes_is_not_failed(desk, tmp_path):
    """A registry migrated to 0004 holds no hashes for PDFs issued before: their PDFs still verify,
    the check saying the file cannot be matched. Once the registry records PDFs, a certificate
    signed since without a recorded PDF was never issued as one: a PDF of it fails."""
    from greenal.registry.verify import issued_file

    old = tmp_path / "before-0004.sqlite"
    shutil.copyfile(desk["db"].removeprefix("sqlite:///"), old)
    with sqlite3.connect(old) as c:
        c.execute("DELETE FROM issued_files")
    checks = registry.verify(desk["pdf"]["zh"], db=f"sqlite:///{old}", data_dir=desk["data_dir"])
    assert failed(checks) == [], checks
    detail = next(c["detail"] for c in checks if c["check"] == "issued file")
    assert detail.startswith("no issued files recorded (issued before"), detail

    def collect(check, ok, detail):
        return (check, ok, detail)
    assert issued_file(collect, "ab" * 32, {}, issued_before_records=True)[1] is True
    late = issued_file(collect, "ab" * 32, {}, issued_before_records=False)
    assert late[1] is False and late[2].startswith("not a file the registry issued")


def test_pdf_of_a_certificate_signed_before_but_issued_after_the_first_record_fails(desk, tmp_path, monkeypatch):
    """Audit: a certificate approved (signed) long before the registry recorded its first PDF, but
    issued after it without a PDF (as the web page issues: JSON only), is not an old certificate:
    a PDF of it that the registry never recorded (here printed by greenal's own code, its record
    suppressed, as anyone holding the public signed JSON could) fails "issued file". The signing
    time used to decide this let such a PDF pass as issued before schema 0004."""
    from greenal.registry import service

    copy = tmp_path / "registry.sqlite"
    shutil.copyfile(desk["db"].removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    source = tmp_path / "scrap.yaml"
    source.write_text((ROOT / "examples" / "scrap-recycler.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    decl = registry.submit(source, db=url, data_dir=desk["data_dir"])["declaration"]
    with monkeypatch.context() as m:  # signed on a day before any PDF was recorded
        m.setattr(service, "now", lambda: "2000-01-02T00:00:00Z")
        registry.approve(decl, desk["tmp"] / "keys" / "alice.key", db=url, data_dir=desk["data_dir"])
    monkeypatch.setattr(pdfdoc, "record_files", lambda *args, **kwargs: [])
    made = pdfdoc.issue_files(decl, tmp_path / "made", formats=("pdf",), langs=("en",), db=url,
                              data_dir=desk["data_dir"], base=BASE)
    checks = registry.verify(made["paths"][0], db=url, data_dir=desk["data_dir"])
    assert [c["check"] for c in failed(checks)] == ["issued file"], checks


def test_issued_file_rows_are_audited_and_exported(desk, tmp_path):
    """Export/import carries the issued files' rows exactly; an issued-file row changed in SQL
    behind the registry's back fails `registry check`."""
    first = tmp_path / "export.jsonl"
    registry.export(first, db=desk["db"])
    exported = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()[1:]]
    rows = [e["row"] for e in exported if e["table"] == "issued_files"]
    assert [(r["lang"], r["kind"], r["sha256"], r["bytes"], r["certificate_id"]) for r in rows] == \
        issued_rows(desk["db"])
    target = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    registry.init(target)
    assert registry.import_(first, db=target)["problems"] == []
    assert issued_rows(target) == issued_rows(desk["db"])
    again = tmp_path / "again.jsonl"
    registry.export(again, db=target)
    assert again.read_bytes() == first.read_bytes()
    with sqlite3.connect(tmp_path / "restored.sqlite") as c:
        c.execute("UPDATE issued_files SET sha256 = ? WHERE id = 1", ("0" * 64,))
    assert "issued_files row 1: changed since its last audited write" in registry.check(db=target)["problems"]


def test_one_byte_tamper_of_the_embedded_document_fails(desk, tmp_path):
    """Any one changed byte of the embedded document (sampled through it, and every byte of a
    footprint figure) fails, naming the check; the PDF itself stays a readable PDF."""
    raw = desk["json"].read_bytes()
    whole = desk["pdf"]["en"].read_bytes()
    at = whole.index(raw)  # stored uncompressed: the signed bytes are in the file as they are
    figure = raw.index(b'"total_t_co2e":') + len(b'"total_t_co2e":')
    positions = sorted(set(range(0, len(raw), max(1, len(raw) // 60))) | set(range(figure, figure + 5)))
    tampered = tmp_path / "tampered.pdf"
    for i in positions:
        changed = bytearray(whole)
        changed[at + i] = ord("1") if raw[i] != ord("1") else ord("2")
        tampered.write_bytes(bytes(changed))
        bad = failed(registry.verify(tampered, db=desk["db"]))
        assert bad, f"byte {i} of the embedded document changed, still valid"
        assert bad[0]["check"] in ("readable", "canonical form", "signature"), (i, bad[0])
    changed = bytearray(whole)
    changed[at + figure] = ord("1") if raw[figure] != ord("1") else ord("2")  # a footprint's first digit
    tampered.write_bytes(bytes(changed))
    bad = failed(registry.verify(tampered, db=desk["db"]))[0]
    assert bad["check"] == "signature" and "content was changed" in bad["detail"]
    error = registry.verification_failure(tampered, [bad])
    assert str(error).startswith(f"{tampered}: signature failed: ")


def test_printed_number_or_code_must_match_the_embedded_document(desk, tmp_path):
    """A genuine signed document embedded in a page that shows another code is refused."""
    raw = desk["json"].read_bytes()
    document = json.loads(raw)
    content = EXAMPLE.read_bytes()
    report = pdfdoc.certificate_report(document, raw, content, desk["data_dir"], BASE)
    report["verification"] = {**report["verification"], "code": "0000-0000-0000"}
    page = pdf.html_to_pdf(html.render(report, "certificate", "en"), tmp_path / "page.pdf")
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(pdfdoc.embed(page.read_bytes(), raw))
    bad = failed(registry.verify(forged, db=desk["db"]))
    assert bad[0]["check"] == "printed certificate"
    assert bad[0]["detail"].startswith("the PDF's page does not show the verification code ")


def test_pdf_without_the_document_is_one_line_exit_2(desk, tmp_path):
    plain = pdf.html_to_pdf("<p>a certificate, they said</p>", tmp_path / "plain.pdf")
    with pytest.raises(InputError, match="embedded file"):
        registry.verify(plain, db=desk["db"])
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nnot really\n")
    for path, words in ((plain, "embedded file"), (broken, "PDF")):
        done = subprocess.run([sys.executable, "-m", "greenal.cli", "verify", str(path), "--db", desk["db"]],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.strip().count("\n") == 0 and words in done.stderr and str(path) in done.stderr


def test_cli_issue_again_and_verify(desk, tmp_path, monkeypatch, run_cli):
    """`greenal registry issue` on an issued certificate writes the same JSON again (idempotent),
    with the PDF in one language; `greenal verify` accepts the PDF; a bad --verify-url is one line."""
    env = {"GREENAL_DB": desk["db"], "GREENAL_DATA_DIR": str(desk["data_dir"])}
    monkeypatch.chdir(tmp_path)

    def greenal(*args, status=0):
        done = run_cli(*args, env=env)
        assert done.returncode == status, done.stderr
        if status:
            assert done.stderr.strip().count("\n") == 0, done.stderr
        return done.stdout, done.stderr

    number = desk["issued"]["certificate"]
    err = greenal("registry", "issue", str(desk["declaration"]), "--verify-url", "ftp://x", status=2)[1]
    assert "--verify-url" in err and "http(s)" in err
    out, _ = greenal("registry", "issue", str(desk["declaration"]), "--out", "again.json", "--lang", "en",
                     "--verify-url", BASE)
    assert f"verify at {BASE}/verify/{number}" in out
    assert (tmp_path / "again.json").read_bytes() == desk["json"].read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again-en.pdf", "again.json"]
    again = hashlib.sha256((tmp_path / "again-en.pdf").read_bytes()).hexdigest()
    assert f"again-en.pdf (SHA-256 {again}, recorded in the registry)" in out
    recorded = {row[2] for row in issued_rows(desk["db"])}  # the new file's hash added, the first ones kept
    assert again in recorded and {f["sha256"] for f in desk["issued"]["files"]} <= recorded
    out = greenal("verify", "again-en.pdf")[0]
    assert "again-en.pdf: valid" in out and "ok   issued file: this exact PDF was issued by the registry" in out


def test_verify_url_default_and_setting(monkeypatch):
    monkeypatch.delenv(pdfdoc.VERIFY_URL_ENV, raising=False)
    assert pdfdoc.verify_url("GA-2024-X") == "http://localhost:8000/verify/GA-2024-X"
    monkeypatch.setenv(pdfdoc.VERIFY_URL_ENV, "https://r.example.org/")
    assert pdfdoc.verify_url("GA-2024-X") == "https://r.example.org/verify/GA-2024-X"
    with pytest.raises(InputError, match="verify-url"):
        pdfdoc.verify_url("GA-2024-X", "javascript:alert(1)")


# ---------------------------------------------------------------- one Chromium per run (issue 12)


def test_one_chromium_prints_every_document_of_a_run(tmp_path, monkeypatch):
    started = []
    real = pdf.subprocess.Popen

    def counting(command, **kwargs):
        started.append(command[0])
        return real(command, **kwargs)

    monkeypatch.setattr(pdf.subprocess, "Popen", counting)
    paths = pdf.print_all([(f"<p>document {i} 文件</p>", tmp_path / f"{i}.pdf") for i in range(3)], tmp_path)
    assert [c for c in started if not c.endswith("fc-list")] == [pdf.browser()]  # (fc-list: the font check)
    for i, path in enumerate(paths):
        assert f"document {i}" in pdftotext(path)


def test_a_broken_or_hanging_browser_is_named(tmp_path, monkeypatch):
    """A headless shell first on PATH that fails to start (exit 1) or never answers (the time
    limit): the one-line error names the program that failed (with the shell and the full browser
    both installed, the user must know which to repair or remove), and nothing is written."""
    fake = tmp_path / "bin" / "chromium-headless-shell"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'error while loading shared libraries: libfoo.so' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{pdf.os.environ['PATH']}")
    with pytest.raises(MissingTool, match=f"^Chromium \\({re.escape(str(fake))}\\) could not print the PDF .*libfoo"):
        pdf.html_to_pdf("<p>x</p>", tmp_path / "x.pdf")
    fake.write_text("#!/bin/sh\nexec sleep 600\n")
    monkeypatch.setattr(pdf, "TIMEOUT_S", 0)  # the limit reached at once (no waiting in tests)
    with pytest.raises(MissingTool, match=f"^Chromium \\({re.escape(str(fake))}\\) did not print the PDF within 0 s"):
        pdf.html_to_pdf("<p>x</p>", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_missing_chromium_or_cjk_font_is_exit_3(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "BROWSERS", ("no-such-browser",))
    with pytest.raises(MissingTool, match="apt-get install chromium") as error:
        pdf.html_to_pdf("<p>x</p>", tmp_path / "x.pdf")
    assert error.value.exit_status == 3
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    with pytest.raises(MissingTool, match="fonts-noto-cjk"):
        pdf.html_to_pdf("<p>x</p>", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
