"""Reports users sign, file and read: every format, both languages, a real browser, PACT schema, a
certificate that fits with both signature blocks."""
import copy
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import yaml
from PIL import Image

from greenal.declaration.yaml_io import read_yaml
from greenal.model.site import declaration_footprint
from greenal.report import pact
from greenal.report.i18n import translator
from greenal.report.render import output_stem, write_reports

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
PACT_SCHEMA = ROOT.parent / "shared" / "reference" / "pact-v3" / "openapi.yaml"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def rendered(engine, tmp_path_factory):
    """Every format for every example in both languages, written once (a run per example, as
    `greenal report --lang zh,en` writes them)."""
    out = tmp_path_factory.mktemp("reports")
    results = {}
    for example in EXAMPLES:
        result = declaration_footprint(engine, read_yaml(example))
        results[example.stem] = (result, write_reports(result, engine, ["html", "pdf", "xlsx", "pact", "cbam"],
                                                       "zh,en", out / example.stem))
    return results


def test_every_format_for_every_example_in_both_languages(rendered):
    for example, (result, paths) in rendered.items():
        stem = output_stem(result.declaration)
        expected = {f"{stem}.pact.json", f"{stem}-cbam.xlsx"}  # language-neutral: once
        for lang in ("zh", "en"):
            expected |= {f"{stem}-{lang}-report.html", f"{stem}-{lang}-certificate.html",
                         f"{stem}-{lang}-report.pdf", f"{stem}-{lang}-certificate.pdf", f"{stem}-{lang}.xlsx"}
        assert sorted(p.name for p in paths) == sorted(expected), example
        assert all(p.stat().st_size > 1000 for p in paths)


def test_each_language_is_its_own_document(rendered):
    """The two languages of one run are two documents, each in its language."""
    for stem in rendered:
        zh = pages_text(by_name(rendered, stem, "-zh-report.pdf"))[0]
        en = pages_text(by_name(rendered, stem, "-en-report.pdf"))[0]
        assert "产品碳足迹报告" in zh and "Product carbon footprint report" not in zh, stem
        assert "Product carbon footprint report" in en and "产品碳足迹报告" not in en, stem


def by_name(rendered, stem, end):
    """The file of an example's run whose name ends with `end` (e.g. '-en-report.pdf')."""
    (path,) = [p for p in rendered[stem][1] if p.name.endswith(end)]
    return path


def test_one_result_feeds_every_renderer(rendered):
    """The headline numbers of the HTML, the workbook and the PACT JSON are the result's."""
    for stem, (result, _) in rendered.items():
        market_t = result.market.total_co2e_kg("ar6") / 1000
        location_t = result.location.total_co2e_kg("ar6") / 1000
        html = by_name(rendered, stem, "-en-report.html").read_text(encoding="utf-8")
        assert f'id="headline-market">{market_t:,.3f}<' in html and f'id="headline-location">{location_t:,.3f}<' in html
        summary = openpyxl.load_workbook(by_name(rendered, stem, "-en.xlsx"))["summary"]
        values = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
        assert values["footprint, market-based"] == pytest.approx(market_t, rel=1e-12)
        document = json.loads(by_name(rendered, stem, ".pact.json").read_text())
        assert float(document["pcf"]["pcfExcludingBiogenicUptake"]) == pytest.approx(market_t * 1000, abs=5e-4)


def test_workbook_has_real_numbers_units_and_frozen_headers(rendered):
    book = openpyxl.load_workbook(by_name(rendered, "guangxi-smelter", "-en.xlsx"))
    results = book["results"]
    assert results.freeze_panes == "A2" and "[t CO2e/t]" in results.cell(1, 9).value
    total = sum(row[8] for row in results.iter_rows(min_row=2, values_only=True) if row[0] == "market-based")
    assert isinstance(results.cell(2, 9).value, float)
    assert total == pytest.approx(rendered["guangxi-smelter"][0].market.total_co2e_kg("ar6") / 1000, rel=1e-9)
    assert {"summary", "results", "verdicts", "provenance", "inputs"} <= set(book.sheetnames)
    cbam = openpyxl.load_workbook(by_name(rendered, "guangxi-smelter", "-cbam.xlsx"))["CBAM summary"]
    rows = {(r[0], r[1]): r[2] for r in cbam.iter_rows(min_row=2, values_only=True)}
    assert "not the official template" in [k[1] for k in rows]
    assert rows[("goods", "CN code")] == "7601"
    # CBAM default: the country grid factor (MEE/NBS national 2022), not the Southern grid's 0.3869
    assert rows[("electricity", "emission factor of electricity")] == pytest.approx(0.5366, rel=1e-9)


def pact_validator():
    jsonschema = pytest.importorskip("jsonschema")
    spec = yaml.safe_load(PACT_SCHEMA.read_text(encoding="utf-8"))
    schema = {"components": spec["components"], "$ref": "#/components/schemas/ProductFootprint"}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_pact_json_is_a_valid_product_footprint(rendered):
    documents = [json.loads(by_name(rendered, stem, ".pact.json").read_text()) for stem in rendered]
    for document in documents:
        assert pact.missing_fields(document) == []
        assert document["pcf"]["ipccCharacterizationFactors"] == ["AR6"]
        assert 0 <= float(document["pcf"]["primaryDataShare"]) <= 100
    if PACT_SCHEMA.exists():
        validator = pact_validator()
        for document in documents:
            assert list(validator.iter_errors(document)) == []
        broken = copy.deepcopy(documents[0])
        del broken["companyName"]
        broken["pcf"]["pcfExcludingBiogenicUptake"] = "10.1 t"
        assert len(list(validator.iter_errors(broken))) == 2  # the validator does catch errors
    broken = copy.deepcopy(documents[0])
    del broken["pcf"]["fossilGhgEmissions"]
    assert pact.missing_fields(broken) == ["pcf.fossilGhgEmissions"]


def not_blank(png: Path) -> float:
    """Share of pixels that are not white."""
    histogram = Image.open(png).convert("L").histogram()
    return sum(histogram[:245]) / sum(histogram)


def test_browser_screenshot_and_pdf_pages(rendered, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (make test installs it)"
    result = rendered["yunnan-hydro-smelter"][0]
    headline = f"{result.market.total_co2e_kg('ar6') / 1000:,.3f}"
    for lang in ("zh", "en"):
        html = by_name(rendered, "yunnan-hydro-smelter", f"-{lang}-report.html")
        shot = tmp_path / f"{lang}.png"
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1600",
                        f"--screenshot={shot}", html.as_uri()], check=True, capture_output=True, timeout=120)
        assert not_blank(shot) > 0.02
        pdf = by_name(rendered, "yunnan-hydro-smelter", f"-{lang}-report.pdf")
        subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / f"{lang}-page")], check=True)
        pages = sorted(tmp_path.glob(f"{lang}-page-*.png"))
        assert len(pages) >= 3 and all(not_blank(p) > 0.005 for p in pages)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert headline in text
        assert ("产品碳足迹报告" if lang == "zh" else "Product carbon footprint report") in text
        certificate = by_name(rendered, "yunnan-hydro-smelter", f"-{lang}-certificate.pdf")
        info = subprocess.run(["pdfinfo", str(certificate)], capture_output=True, text=True, check=True).stdout
        assert int(next(s for s in info.splitlines() if s.startswith("Pages:")).split()[1]) <= 2


def pages_text(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def test_certificate_fits_with_both_signature_blocks_on_its_last_page(rendered):
    for stem in rendered:
        for lang in ("zh", "en"):
            t = translator(lang)
            pages = pages_text(by_name(rendered, stem, f"-{lang}-certificate.pdf"))
            last = pages[-1]
            # both blocks whole on the last page: their headings, both "signature and seal" and "date" rows
            assert t("signature_declarant") in last and t("signature_verifier") in last, (stem, lang)
            assert last.count(t("signature_seal")) >= 2 and last.count(t("date")) >= 2, (stem, lang)
            for page in pages:  # no page with only a few orphan lines (header and footer are 2)
                assert len([line for line in page.splitlines() if line.strip()]) >= 20, (stem, lang, page)


def test_the_full_browser_prints_the_same_certificate(rendered, tmp_path, monkeypatch):
    """Where Debian's chromium-headless-shell is not installed, the full chromium prints: the same
    pages and text as the headless shell's (the same Blink and Skia underneath)."""
    from greenal.report import pdf
    if not shutil.which("chromium") or not shutil.which("chromium-headless-shell"):
        pytest.skip("needs both chromium and chromium-headless-shell (make test installs them)")
    assert Path(pdf.browser()).name == "chromium-headless-shell"  # preferred where installed
    shell = by_name(rendered, "yunnan-hydro-smelter", "-en-certificate.html")
    monkeypatch.setattr(pdf, "BROWSERS", ("chromium",))
    full = pdf.html_to_pdf(shell.read_text(encoding="utf-8"), tmp_path / "full.pdf")
    expected = pages_text(by_name(rendered, "yunnan-hydro-smelter", "-en-certificate.pdf"))
    assert [p.split() for p in pages_text(full)] == [p.split() for p in expected]


def test_hostile_plant_name_renders_as_text(engine, tmp_path):
    text = (ROOT / "examples" / "scrap-recycler.yaml").read_text(encoding="utf-8")
    name = "<script>alert(\"x\")</script> O'Brien & \"Sons\" </style>"
    declaration = tmp_path / "hostile.yaml"
    declaration.write_text(text.replace("name: 广东示例再生铝有限公司 (Guangdong Example Recycled Aluminium Co.)",
                                        f"name: {json.dumps(name)}"), encoding="utf-8")
    result = declaration_footprint(engine, read_yaml(declaration))
    assert result.declaration.declarant["name"] == name
    paths = write_reports(result, engine, ["html", "pdf"], "en", tmp_path / "out")
    html = next(p for p in paths if p.name.endswith("-report.html")).read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert html.count("</style>") == 1
    pdf = next(p for p in paths if p.name.endswith("-report.pdf"))
    pdf_text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "<script>alert(\"x\")</script>" in pdf_text  # shown as written, in body and page header


def test_pact_classifies_each_product_by_its_cn_heading(rendered):
    """Combined Nomenclature: 7601 unwrought aluminium, 2818 aluminium oxide."""
    expected = {"guangxi-alumina-refinery": "2818", "guangxi-smelter": "7601", "scrap-recycler": "7601"}
    for stem, code in expected.items():
        document = json.loads(by_name(rendered, stem, ".pact.json").read_text())
        assert document["productClassifications"] == [f"urn:pact:productclassification:cn:{code}"]


def test_languages_and_formats_of_any_kind_are_checked_in_one_line():
    """The Python API's `lang` and `formats`: both languages in the order given, repeats once;
    None, a number, bytes or an unknown or upper-case name refused with the one-line error
    (naming the value), never a TypeError or the bytes' code points."""
    from greenal import api
    from greenal.errors import InputError

    assert api.report_langs("en, zh,en") == ["en", "zh"] and api.report_langs(("zh",)) == ["zh"]
    for value, shown in ((None, "None"), (5, "5"), (b"zh", "b'zh'"), ("EN", "EN"), ("zh;en", "zh;en"), (",", ",")):
        with pytest.raises(InputError, match="^report: lang: got ") as error:
            api.report_langs(value)
        assert repr(shown) in str(error.value), error.value
    for value, shown in ((None, "None"), (b"pdf", "b'pdf'"), (["pdf", 1], "1")):
        with pytest.raises(InputError, match="^report: formats: got ") as error:
            api.report_formats(value)
        assert repr(shown) in str(error.value), error.value
