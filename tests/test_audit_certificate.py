"""Audit of the certificate PDF and `greenal verify` (issue 9): a PDF must not verify while it
shows, or carries, something other than the signed document. Each test was written to fail
on the code before its fix."""
import io
import json
import subprocess
import sys

import pytest

from pypdf import PdfReader, PdfWriter

import greenal.registry as registry
from greenal.errors import InputError
from greenal.registry import pdfdoc
from greenal.report import html, pdf
from greenal.report.html import number

from tests import test_certificate_pdf as certificate_pdf
from tests.test_certificate_pdf import BASE, EXAMPLE, failed

desk = certificate_pdf.desk  # the module's registry with one issued certificate (JSON and PDFs)


def _page_html(desk):
    raw = desk["json"].read_bytes()
    document = json.loads(raw)
    report = pdfdoc.certificate_report(document, raw, EXAMPLE.read_bytes(), desk["data_dir"], BASE)
    return raw, document, html.render(report, "certificate", "en")


def test_a_page_printing_another_footprint_around_the_genuine_document_fails(desk, tmp_path):
    """The page shows number and code of the embedded (genuine) document, but a lower market-based
    footprint: the signed figures must be on the page."""
    raw, document, page = _page_html(desk)
    market = number(document["results"]["market_based"]["total_t_co2e"])
    fake = number(document["results"]["market_based"]["total_t_co2e"] / 4)  # a quarter of the signed figure
    marker = f'id="headline-market">{market}<'
    assert marker in page and fake != market
    printed = pdf.html_to_pdf(page.replace(marker, f'id="headline-market">{fake}<'), tmp_path / "page.pdf")
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(pdfdoc.embed(printed.read_bytes(), raw))
    bad = failed(registry.verify(forged, db=desk["db"]))
    assert bad and bad[0]["check"] == "printed certificate", bad
    assert market in bad[0]["detail"]


def test_the_printed_check_names_the_signed_figures(desk):
    document = json.loads(desk["json"].read_bytes())
    checks = registry.verify(desk["pdf"]["en"], db=desk["db"], data_dir=desk["data_dir"])
    printed = [c for c in checks if c["check"] == "printed certificate"][0]
    assert printed["ok"]
    for basis in ("location_based", "market_based"):
        assert number(document["results"][basis]["total_t_co2e"]) in printed["detail"]


def test_a_second_embedded_file_is_refused(desk, tmp_path):
    writer = PdfWriter(clone_from=PdfReader(desk["pdf"]["en"]))
    writer.add_attachment("greenal-certificate-corrected.json", b'{"market_based": 0.1}')
    two = tmp_path / "two.pdf"
    with two.open("wb") as out:
        writer.write(out)
    assert failed(registry.verify(desk["pdf"]["en"], db=desk["db"], data_dir=desk["data_dir"])) == []
    try:
        checks = registry.verify(two, db=desk["db"])
    except ValueError as error:  # InputError: one line naming the embedded files
        assert "embedded file" in str(error) and "greenal-certificate-corrected.json" in str(error)
    else:
        raise AssertionError(f"a PDF with a second embedded file verified: {checks}")


def test_an_incremental_update_appending_a_page_is_refused(desk, tmp_path):
    """A page added after issue by an incremental update (as PDF editors save) is a changed PDF."""
    original = desk["pdf"]["en"].read_bytes()
    writer = PdfWriter(io.BytesIO(original), incremental=True)
    writer.add_blank_page()
    out = io.BytesIO()
    writer.write(out)
    updated = tmp_path / "updated.pdf"
    updated.write_bytes(out.getvalue())
    assert updated.read_bytes().startswith(original) and len(PdfReader(updated).pages) == 2
    try:
        checks = registry.verify(updated, db=desk["db"])
    except ValueError as error:
        assert "incremental update" in str(error)
    else:
        raise AssertionError(f"a PDF changed by an incremental update verified: {checks}")


def test_a_pdf_with_an_unsupported_stream_filter_is_one_line_exit_2(desk, tmp_path):
    """pypdf raises NotImplementedError (not a PdfReadError) for an unknown filter: still one line, exit 2."""
    whole = desk["pdf"]["en"].read_bytes()
    assert whole.count(b"/FlateDecode") >= 1
    broken = tmp_path / "filter.pdf"
    broken.write_bytes(whole.replace(b"/FlateDecode", b"/FlatXDecode", 1))
    with pytest.raises(InputError, match="PDF"):
        registry.verify(broken, db=desk["db"])
    done = subprocess.run([sys.executable, "-m", "greenal.cli", "verify", str(broken), "--db", desk["db"]],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().count("\n") == 0 and str(broken) in done.stderr


def test_a_deeply_nested_certificate_json_fails_as_unreadable(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_bytes(b"[" * 200_000)
    checks = registry.verify(deep, db=f"sqlite:///{tmp_path / 'none.sqlite'}")
    assert [c["check"] for c in failed(checks)] == ["readable"], checks


def test_an_annotation_drawn_over_the_page_is_refused(desk, tmp_path):
    """A text box (FreeText annotation) painted over the footprint shows another figure to a reader
    while the page's text layer still holds the signed one: refused, as anything but links."""
    from pypdf.annotations import FreeText

    writer = PdfWriter(clone_from=PdfReader(desk["pdf"]["en"]))
    box = FreeText(text="2.072", rect=(300, 600, 400, 630), font_size="14pt", background_color="ffffff")
    writer.add_annotation(page_number=0, annotation=box)
    covered = tmp_path / "covered.pdf"
    with covered.open("wb") as out:
        writer.write(out)
    with pytest.raises(InputError, match="annotation"):
        registry.verify(covered, db=desk["db"])


def test_a_form_or_script_added_to_the_pdf_is_refused(desk, tmp_path):
    from pypdf.actions import JavaScript

    writer = PdfWriter(clone_from=PdfReader(desk["pdf"]["en"]))
    writer.add_open_action(JavaScript("this.print();"))
    scripted = tmp_path / "scripted.pdf"
    with scripted.open("wb") as out:
        writer.write(out)
    with pytest.raises(InputError, match="JavaScript"):
        registry.verify(scripted, db=desk["db"])


def test_a_document_mentioning_startxref_is_not_taken_for_a_second_revision(desk, tmp_path):
    """The revision count reads the PDF's structure, not the signed document's text (a declarant
    or file name may hold any word)."""
    page = pdf.html_to_pdf("<p>GA-0000</p>", tmp_path / "page.pdf").read_bytes()
    document = b'{"file_name":"startxref 1 %%EOF.yaml"}'
    carrying = tmp_path / "carrying.pdf"
    carrying.write_bytes(pdfdoc.embed(page, document))
    raw, _ = pdfdoc.read_certificate_pdf(carrying)
    assert raw == document
