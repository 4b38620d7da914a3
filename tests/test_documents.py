"""Documents people sign and read: complete Chinese, no green title without a passing claim, charts
that print what they draw, stages in life-cycle order in every output."""
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from greenal import cli
from greenal.declaration.fields import PRODUCTS, SCHEMES, SUPPLY_KINDS, TECHNOLOGIES
from greenal.declaration.yaml_io import read_yaml
from greenal.inventory import CONFIDENCE, STAGES
from greenal.model.site import declaration_footprint
from greenal.report import charts, data, html, workbook
from greenal.report.i18n import messages, translator
from greenal.standards.engine import CERTAINTY, assess

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))

# ASCII words a Chinese document may hold: units, chemical formulas, codes of standards and
# bodies, proper names. Everything else in Latin letters is English left untranslated.
ALLOWED = {
    "t", "kg", "g", "kWh", "MWh", "GWh", "MJ", "GJ", "TJ", "kA", "gce", "kgce", "km", "tkm", "Al", "UTC",
    "CO2", "CO2e", "CH4", "N2O", "CF4", "C2F6", "SF6", "CaO", "CaCO3", "AlF3", "PFC", "PV",
    "GB", "GB/T", "ISO", "IPCC", "SAR", "AR4", "AR5", "AR6", "GWP100", "GWP", "SHA-256", "CBAM", "CN", "EU", "ETS",
    "GHG", "Protocol", "MEE/NBS", "MEE", "NBS", "IEA", "Ember", "ASI", "ALLOW", "Hydro", "Rusal", "PACT", "I-REC",
    "GEC", "greenal", "inventories", "V3", "QR", "Y", "T",
    "A", "B",  # environmental performance grades (环保绩效A级)
}
CODE = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-\d+[a-z]?"  # rule ids (LC-4a, CETS-AG-04.01-V01-2024 parts)
                  r"|[a-z][a-z0-9]*(?:-[a-z0-9]+)*-\d[a-z0-9-]*"  # the declarant's own ids (captive-units-1-6)
                  r"|[a-z_]+(?:\.[a-z_]+)+"  # field paths (product.cutoff_total_pct)
                  r"|[A-Z]+(?:-[A-Z0-9.]+)+"  # document codes (CETS-AG-04.01-V01-2024)
                  r"|[A-Z]{2,}[A-Z0-9]*"  # acronyms and codes (GX, NDRC, CETS, CNIA)
                  r"|T\d\d:\d\d:\d\dZ")  # ISO 8601 time of day (2026-11-22T21:19:20Z)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.:_][A-Za-z0-9]+)*")


class TextNodes(HTMLParser):
    """Visible text of a page, leaving out elements marked translate="no" (names, ids, citations
    quoted as written), <style> and <title>."""
    VOID = {"meta", "br", "col", "img", "link", "input", "hr", "path", "rect", "line", "circle"}

    def __init__(self):
        super().__init__()
        self.stack, self.texts = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, text):
        if text.strip() and not any(tag in ("style", "title") or attrs.get("translate") == "no"
                                    for tag, attrs in self.stack):
            self.texts.append(text.strip())


def english_words(texts) -> list[str]:
    """ASCII words in texts that are neither allowed units/codes nor identifiers."""
    return [w for text in texts for w in WORD.findall(str(text))
            if w not in ALLOWED and not CODE.fullmatch(w) and not w.isdigit()]


def visible_text(page: str) -> list[str]:
    parser = TextNodes()
    parser.feed(page)
    return parser.texts


@pytest.fixture(scope="module")
def reports(engine):
    """The report object of every example (built once)."""
    out = {}
    for example in EXAMPLES:
        result = declaration_footprint(engine, read_yaml(example))
        out[example.stem] = (result, data.build(result, assess(result), engine, "ar6"))
    return out


# --- the catalogue ------------------------------------------------------------------------------

def test_every_catalogue_entry_has_both_languages_and_every_key_used_exists():
    table = messages()
    assert all(isinstance(v, dict) and v.get("zh") and v.get("en") for v in table.values())
    used = set()
    for template in (ROOT / "templates").glob("*.j2"):
        used |= set(re.findall(r"\bt\('([a-z_0-9]+)'", template.read_text(encoding="utf-8")))
    used -= {"verdict_"}  # prefix of the verdict words, checked below
    assert used and used <= set(table), sorted(used - set(table))
    assert {f"verdict_{v}" for v in ("pass", "fail", "not applicable", "insufficient data",
                                     "information")} <= set(table)
    coded = {"stage": STAGES, "product": PRODUCTS, "supply": SUPPLY_KINDS, "technology": TECHNOLOGIES,
             "scheme": SCHEMES, "certainty": tuple(CERTAINTY), "confidence": tuple(CONFIDENCE)}
    missing = [f"{kind}.{code}" for kind, codes in coded.items() for code in codes if f"{kind}.{code}" not in table]
    assert missing == []


def test_the_english_scanner_catches_english():
    """The untranslated-text check fails on an English sentence, passes on Chinese with units."""
    assert english_words(["Share of primary data"]) == ["Share", "of", "primary", "data"]
    assert english_words(["碳足迹 6.657 t CO2e/t，依据 GB/T 24067-2024，规则 LC-4a"]) == []
    page = '<p>中文<span translate="no">Example Co.</span> and more</p>'
    assert english_words(visible_text(page)) == ["and", "more"]


# --- complete Chinese ---------------------------------------------------------------------------

def test_every_chinese_output_is_chinese(reports, tmp_path):
    """Report and certificate HTML, the results workbook and `assess --lang zh` of every example
    hold no English UI text (names, ids and citations are marked translate="no" / are codes)."""
    found = {}
    for stem, (result, report) in reports.items():
        for kind in ("report", "certificate"):
            words = english_words(visible_text(html.render(report, kind, "zh")))
            if words:
                found[f"{stem} {kind}"] = sorted(set(words))
        book = openpyxl.load_workbook(workbook.results_workbook(report, tmp_path / f"{stem}.xlsx", "zh"))
        texts = list(book.sheetnames)
        for sheet in book:  # headers of every sheet; labels and words of the summary and results
            texts += [c.value for c in sheet[1]]
        texts += [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
        texts += [v for row in book.worksheets[1].iter_rows(min_row=2, max_col=5, values_only=True) for v in row]
        words = english_words(t for t in texts if t)
        if words:
            found[f"{stem} workbook"] = sorted(set(words))
        headers, rows, _ = cli._verdict_table([v.to_dict() for v in assess(result)], "zh")
        # (the clause/source lines below the table cite documents as written)
        words = english_words(headers + [c for row in rows for c in row[1:]])
        if words:
            found[f"{stem} assess"] = sorted(set(words))
    assert found == {}


def test_assess_titles_are_not_truncated(reports):
    result, _ = reports["guangxi-smelter"]
    verdicts = [v.to_dict() for v in assess(result)]
    headers, rows, notes = cli._verdict_table(verdicts, "en")
    longest = max((v["title_en"] for v in verdicts), key=len)
    assert len(longest) > 58 and longest in cli._table(headers, rows)
    assert max(len(line) for line in notes.splitlines()) <= 100  # notes wrapped


# --- the certificate ----------------------------------------------------------------------------

def test_no_green_title_without_a_passing_claim(reports):
    for lang in ("zh", "en"):
        t = translator(lang)
        for stem in ("guangxi-alumina-refinery", "xinjiang-captive-coal"):
            _, report = reports[stem]
            assert report["claims"] == []
            page = html.render(report, "certificate", lang)
            assert t("certificate_title") not in page and t("statement_title") in page
            assert 'id="no-claim"' in page
        # the Yunnan hydro smelter passes ASI-1 (scope 1+2 < 8 t): the green title, one sentence per claim
        _, report = reports["yunnan-hydro-smelter"]
        page = html.render(report, "certificate", lang)
        assert t("certificate_title") in page and 'data-rule="ASI-1"' in page


def test_claims_only_for_metal_and_complete_eu_taxonomy(reports):
    _, report = reports["yunnan-hydro-smelter"]
    rules = {c["rule"] for c in report["claims"]}
    verdicts = {v["rule"]: v["verdict"] for v in report["verdicts"]}
    # EU Taxonomy 3.8 needs (a) direct emissions AND (b) electricity: LC-4a alone is no claim
    assert verdicts["LC-4a"] == "pass" and verdicts["LC-3"] == "fail" and "LC-4a" not in rules
    assert "ASI-2" not in rules  # unconfirmed threshold (consultation proposal): no claim
    assert rules == {"ASI-1"}


def test_verification_slot_is_filled_from_the_registry_when_present(reports):
    _, report = reports["yunnan-hydro-smelter"]
    page = html.render(report, "certificate", "en")
    assert 'id="verification-slot"' in page and "pending registry" in page and "not verified" in page
    verified = {**report, "verification": {"code": "ABCD-1234", "verifier": "Example Verifier Ltd",
                                           "standard": "ISO 14064-3:2019", "assurance": "limited"}}
    page = html.render(verified, "certificate", "en")
    assert '<div class="code" id="verification-code" translate="no">ABCD-1234</div>' in page
    assert "limited assurance" in page and "pending registry" not in page


# --- the report ---------------------------------------------------------------------------------

def test_margin_chart_prints_the_computed_margin_unclipped():
    # a rule 'value <= 10 t' met by 25.3 t: margin 10 - 25.3 = -15.3 t, i.e. -153 % of the threshold
    verdict = {"rule": "X-1", "verdict": "fail", "margin": 10 - 25.3, "limit": 10, "unit": "t"}
    small = {"rule": "X-2", "verdict": "pass", "margin": 0.5, "limit": 10, "unit": "t"}  # +5 %
    svg = str(charts.margins([verdict, small], "margins"))
    labels = dict(re.findall(r'data-rule="([^"]+)"[^>]*>([^<]+)<', svg))
    assert labels == {"X-1": "\u2212153 %", "X-2": "+5.0 %"}
    width = float(re.search(r'viewBox="0 0 (\d+)', svg).group(1))
    for x, w in re.findall(r'<rect x="([\d.]+)" y="\d+" width="([\d.]+)"', svg):
        assert 0 <= float(x) and float(x) + float(w) <= width
    bars = [float(w) for _, w in re.findall(r'<rect x="([\d.]+)" y="\d+" width="([\d.]+)"', svg)]
    assert bars[0] / bars[1] == pytest.approx(153 / 5, rel=1e-3)  # drawn to scale, not clipped at 100 %


def test_margin_labels_of_a_real_report_are_its_margins(reports):
    _, report = reports["xinjiang-captive-coal"]
    svg = str(charts.margins(report["verdicts"], "margins"))
    labels = dict(re.findall(r'class="margin-label" data-rule="([^"]+)"[^>]*>([^<]+)<', svg))
    lc2 = next(v for v in report["verdicts"] if v["rule"] == "LC-2")
    expected = 100 * (4 - lc2["value"]) / 4  # LC-2: cradle-to-gate < 4 t CO2e/t
    assert expected < -100 and labels["LC-2"] == f"{expected:+.0f} %".replace("-", "\u2212")


def test_flow_figure_feeds_alumina_and_anodes_into_electrolysis_in_parallel(reports):
    _, report = reports["xinjiang-captive-coal"]
    place = charts.flow_layout(report["flow"])
    column = {code: c for code, (c, _) in place.items()}
    assert column["refining-alumina-cn-diasporic"] == column["anode-prebake-global"] == column["site:electrolysis"] - 1
    assert column["mining-bauxite-global"] == column["refining-alumina-cn-diasporic"] - 1
    assert column["site:casting"] == column["site:electrolysis"] + 1


def in_order(names) -> bool:
    ranks = [STAGES.index(n) for n in names if n in STAGES]
    return ranks == sorted(ranks)


def test_stages_in_life_cycle_order_in_every_output(reports, tmp_path, data_dir):
    for stem, (_result, report) in reports.items():
        assert in_order(report["stages"]) and in_order(report["market_based"]["by_stage_t_co2e"])
        assert in_order(report["location_based"]["by_stage_t_co2e"])
        assert in_order([p["stage"] for p in report["provenance"]])
        page = html.render(report, "report", "en")
        stage_table = page.split(">By stage</h3>")[1].split("</table>")[0]
        assert in_order(re.findall(r"<tr><td>([a-z]+)</td>", stage_table)), stem
        book = openpyxl.load_workbook(workbook.results_workbook(report, tmp_path / f"{stem}.xlsx", "en"))
        for basis in ("location-based", "market-based"):
            assert in_order([r[1] for r in book["results"].iter_rows(min_row=2, values_only=True) if r[0] == basis])
    runner = CliRunner()
    example = str(ROOT / "examples" / "xinjiang-captive-coal.yaml")
    out = runner.invoke(cli.main, ["--data-dir", str(data_dir), "footprint", example]).output
    stage_table = out.split("\nstage ")[1].split("\n\n")[0]
    assert in_order(re.findall(r"^(mining|refining|anode|electrolysis|casting|recycling|transport)\s", stage_table,
                               re.M))
    document = json.loads(runner.invoke(cli.main, ["--data-dir", str(data_dir), "footprint", example, "--json"]).output)
    assert in_order(document["market_based"]["by_stage_t_co2e"])


def test_standards_listed_apply_to_the_product(reports):
    assert "GB/T 44905-2024" in reports["guangxi-smelter"][1]["standards"]
    for stem in ("guangxi-alumina-refinery", "scrap-recycler"):
        report = reports[stem][1]
        assert "GB/T 44905-2024" not in report["standards"] and "GB/T 24067-2024" in report["standards"]
        page = html.render(report, "report", "en")
        assert "GB/T 44905" not in page.split('id="standards"')[1].split("</p>")[0]


def test_estimate_lines_in_one_place_with_their_share(reports, engine):
    result, report = reports["xinjiang-captive-coal"]
    rows = {r["code"]: r for r in report["estimate_lines"]["rows"]}
    # anode-prebake-global: its estimated line is 75 kg fossil CO2 per t anode (GWP 1)
    anode_t = engine.supply(result.market_foreground)["anode-prebake-global"]
    assert rows["anode-prebake-global"]["t_co2e_per_t"] == pytest.approx(anode_t * 75 / 1000, rel=1e-9)
    total = result.market.total_co2e_kg("ar6") / 1000
    assert rows["anode-prebake-global"]["share"] == pytest.approx(anode_t * 75 / 1000 / total, rel=1e-9)
    page = html.render(report, "report", "en")
    assert page.count('id="estimate-lines"') == 1 and "anode-prebake-global" in page.split('id="estimate-lines"')[1]


# --- the terminal -------------------------------------------------------------------------------

def test_terminal_tables_rich_on_a_tty_plain_when_piped(monkeypatch, data_dir):
    example = str(ROOT / "examples" / "guangxi-smelter.yaml")
    runner = CliRunner()
    piped = runner.invoke(cli.main, ["--data-dir", str(data_dir), "assess", example, "--lang", "zh"])
    assert piped.exit_code == 0 and "\x1b[" not in piped.output and "┃" not in piped.output
    assert "符合" in piped.output and "规则" in piped.output
    monkeypatch.setattr(cli, "_rich", lambda: True)
    monkeypatch.setenv("COLUMNS", "160")
    rich = runner.invoke(cli.main, ["--data-dir", str(data_dir), "assess", example, "--lang", "zh"])
    assert rich.exit_code == 0 and "┃" in rich.output and "\x1b[32m符合" in rich.output  # pass in green
