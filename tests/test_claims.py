"""Claims and thresholds (issue 15): product kinds per rule, the EU Taxonomy's adopted values and
its n-of-m structure by date, honest certainty tags, the CBAM definitive-period figures, the
CN-ETS boundary, and the unsplit CO2e share. Expected values computed here by hand from the
standards' formulas and the numbers in ../shared/reference/standards.md."""
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from conftest import potline_declaration

from greenal.declaration.yaml_io import read_yaml
from greenal.errors import DataError
from greenal.inventory import bundled_inventory
from greenal.model.site import declaration_footprint
from greenal.report import data as report_data
from greenal.report.render import write_reports
from greenal.standards import cbam, claims, engine as rules_engine
from greenal.standards.engine import Missing, assess, judge, judge_combined, schemes

ROOT = Path(__file__).resolve().parents[1]
PRIMARY = "primary-liquid, primary-ingot"
# GWP AR5 (IR 2025/2547 Annex II G Table 6; CETS-AG-04.01-2024): CF4 6630, C2F6 11100
GWP_CF4, GWP_C2F6 = 6630, 11100


def rule(rule_id):
    return next(r for s in schemes().values() for r in s.rules if r.id == rule_id)


def example(engine, name):
    return declaration_footprint(engine, read_yaml(ROOT / "examples" / f"{name}.yaml"))


def potline(engine, **changes):
    return declaration_footprint(engine, potline_declaration(13_351, 200_000, "south", **changes))


# 1. Every rule names its product kinds -------------------------------------------------------

def test_loader_refuses_a_rule_without_product_kinds():
    raw = {"id": "X-1", "title": {"zh": "x", "en": "x"}, "indicator": "smelter_scope12_t_per_t", "unit": "t",
           "test": "max", "threshold": 4, "clause": "c", "source": {"ref": "RUSAL-ALLOW", "locator": "l"},
           "certainty": "confirmed"}
    with pytest.raises(DataError) as caught:
        rules_engine._rule("methods/schemes/x.yaml", "rules[0] (X-1)", raw, {"code": "x", "module": "claims"}, claims)
    assert caught.value.where == "rules[0] (X-1).applies_to"
    with pytest.raises(DataError):
        rules_engine._rule("methods/schemes/x.yaml", "rules[0] (X-1)", {**raw, "applies_to": ["bauxite"]},
                           {"code": "x", "module": "claims"}, claims)
    assert all(r.applies_to for s in schemes().values() for r in s.rules)


def test_alumina_gets_not_applicable_on_every_per_tonne_of_aluminium_claim(engine):
    verdicts = {v.rule.id: v for v in assess(example(engine, "guangxi-alumina-refinery"))}
    per_t_al = ["LC-1", "LC-2", "LC-3", "LC-4a", "LC-4b", "LC-5", "ASI-1", "ASI-2",
                "CBAM-1", "CBAM-6", "CBAM-7", "CBAM-8",  # CBAM primary
                "CFP-1", "CFP-2", "CFP-3", "CFP-4", "CFP-5"]  # GB/T 44905-2024: electrolytic aluminium only
    for rule_id in per_t_al:
        v = verdicts[rule_id]
        assert v.verdict == "not applicable", rule_id
        assert PRIMARY in v.note, rule_id
        assert "原铝液" in v.to_dict()["note_zh"] and "仅适用于" in v.to_dict()["note_zh"]
    # alumina is not a CBAM good at all (not a precursor either)
    assert all(verdicts[f"CBAM-{i}"].verdict == "not applicable" for i in range(1, 9))
    # the refinery's own rules still apply
    assert verdicts["GB21346-6"].verdict in ("pass", "fail")


# 2. EU Taxonomy: adopted values, two of three until 2025, all three after ----------------------

def test_taxonomy_thresholds_at_the_adopted_values():
    assert judge(rule("LC-3"), 1.484, product="primary-ingot").verdict == "pass"
    assert judge(rule("LC-3"), 1.4841, product="primary-ingot").verdict == "fail"
    assert judge(rule("LC-4a"), 15.5, product="primary-ingot").verdict == "pass"
    assert judge(rule("LC-4a"), 15.51, product="primary-ingot").verdict == "fail"
    assert judge(rule("LC-4b"), 100, product="primary-ingot").verdict == "pass"
    assert rule("LC-5").requires == {"of": ["LC-3", "LC-4a", "LC-4b"], "at_least": 2,
                                     "until": dt.date(2025, 12, 31), "then": "all"}
    assert rule("LC-5").certainty == "unconfirmed"


@pytest.mark.parametrize("values, on, verdict, met", [
    # direct 1.40 <= 1.484 met, 14.0 <= 15.5 MWh met, 500 > 100 g not met: 2 of 3
    ((1.40, 14.0, 500.0), dt.date(2025, 12, 31), "pass", 2),
    ((1.40, 14.0, 500.0), dt.date(2026, 1, 1), "fail", 2),  # all three needed after 2025
    ((1.40, 14.0, 50.0), dt.date(2026, 1, 1), "pass", 3),
    ((1.60, 16.0, 50.0), dt.date(2025, 6, 30), "fail", 1),
    # one criterion undetermined: 1 met + 1 open can still make 2 (2025), cannot make 3 (2026)
    ((1.40, None, 500.0), dt.date(2025, 12, 31), "insufficient data", 1),
    ((1.40, None, 500.0), dt.date(2026, 12, 31), "fail", 1),
    ((1.40, None, 50.0), dt.date(2026, 12, 31), "insufficient data", 2),
])
def test_taxonomy_two_of_three_until_2025_all_three_after(values, on, verdict, met):
    parts = {rid: judge(rule(rid), Missing("x") if v is None else v, product="primary-ingot")
             for rid, v in zip(("LC-3", "LC-4a", "LC-4b"), values, strict=True)}
    v = judge_combined(rule("LC-5"), parts, product="primary-ingot", on=on)
    need = 2 if on <= dt.date(2025, 12, 31) else 3
    assert (v.verdict, v.value, v.margin) == (verdict, met, met - need)
    assert v.to_dict()["threshold"] == f"≥ {need} / 3"
    assert judge_combined(rule("LC-5"), parts, product="alumina", on=on).verdict == "not applicable"


@pytest.mark.parametrize("end", [dt.date(2025, 12, 31), dt.date(2026, 12, 31)])
def test_taxonomy_combined_rule_in_an_assessment(engine, end):
    """The combined verdict follows from the three criteria's own verdicts and the period end,
    and it is judged even when only the low-carbon scheme is chosen."""
    result = potline(engine, period__start=dt.date(end.year, 1, 1), period__end=end)
    verdicts = {v.rule.id: v for v in assess(result, ["low-carbon"])}
    met = sum(verdicts[r].verdict == "pass" for r in ("LC-3", "LC-4a", "LC-4b"))
    # 13,351 kWh/t AC = 13.351 MWh/t <= 15.5; the Southern grid is far above 100 g/kWh
    assert verdicts["LC-4a"].verdict == "pass" and verdicts["LC-4b"].verdict == "fail"
    need = 2 if end.year == 2025 else 3
    assert verdicts["LC-5"].verdict == ("pass" if met >= need else "fail")
    assert verdicts["LC-5"].value == met


# 3. Certainty tags are honest ---------------------------------------------------------------

def test_no_rule_is_confirmed_on_a_secondary_source():
    """A rule whose bibliography entry was read in a transcription or a news report of a draft
    cannot be tagged confirmed; dated schemes cite the date's source."""
    bibliography = bundled_inventory().sources
    for scheme in schemes().values():
        for r in scheme.rules:
            copy = bibliography[r.source["ref"]].get("copy", "")
            if "secondary" in copy or "draft" in copy:
                assert r.certainty != "confirmed", (r.id, copy)
        assert scheme.effective == "not stated" or "(" in scheme.effective
    assert {rule(f"CBAM-{i}").certainty for i in (1, 2, 3)} == {"secondary"}
    assert schemes()["asi"].effective == "not stated"
    assert schemes()["gb21346"].effective.startswith("2024-01-01 (GB21346-2022")


# 4. CBAM definitive period ------------------------------------------------------------------

def cbam_pfc_by_hand(aem):
    """IR 2025/2547 Annex II B.7, CWPB: CF4 = 0.143 x AEM kg/t; C2F6 = 0.121 x CF4; AR5."""
    cf4 = 0.143 * aem
    c2f6 = 0.121 * cf4
    return cf4, c2f6, (cf4 * GWP_CF4 + c2f6 * GWP_C2F6) / 1000


@pytest.mark.parametrize("ratio", ["ipcc", "cn-ets"])
def test_cbam_pfc_uses_the_cbam_coefficients_whatever_ratio_the_declaration_chose(engine, ratio):
    electrolysis = {"ac_kwh_per_t": 13_351, "net_anode_t_per_t": 0.41, "anode_sulphur_pct": 2.0,
                    "anode_ash_pct": 0.4, "cell_technology": "CWPB", "anode_effect_min_per_cell_day": 0.25,
                    "c2f6_ratio": ratio}
    result = potline(engine, electrolysis=electrolysis)
    verdicts = {v.rule.id: v for v in assess(result, ["cbam"])}
    cf4, c2f6, pfc_t = cbam_pfc_by_hand(0.25)
    anode_t = 0.41 * (1 - 0.02 - 0.004) * 44 / 12
    assert verdicts["CBAM-7"].value == pytest.approx(cf4, rel=1e-12)
    assert verdicts["CBAM-8"].value == pytest.approx(c2f6, rel=1e-12)
    assert verdicts["CBAM-6"].value == pytest.approx(pfc_t, rel=1e-12)
    assert verdicts["CBAM-1"].value == pytest.approx(anode_t + pfc_t, rel=1e-12)
    assert "0.121" in verdicts["CBAM-1"].note
    # the footprint itself does follow the declared ratio (0.1 for cn-ets): only CBAM ignores it
    footprint_c2f6 = sum(kg[result.location.inventory.flow_codes.index("c2f6")]
                         for label, kg in result.location.contributions.items() if label.source == "PFC")
    assert footprint_c2f6 == pytest.approx((0.1 if ratio == "cn-ets" else 0.121) * cf4, rel=1e-12)


def test_cbam_measured_pfc_is_used_as_declared(engine):
    result = potline(engine, electrolysis={"ac_kwh_per_t": 13_351, "cf4_kg_per_t": 0.05, "c2f6_kg_per_t": 0.004})
    verdicts = {v.rule.id: v for v in assess(result, ["cbam"])}
    assert verdicts["CBAM-6"].value == pytest.approx((0.05 * GWP_CF4 + 0.004 * GWP_C2F6) / 1000, rel=1e-12)


@pytest.mark.parametrize("year, markup", [(2024, 0.10), (2026, 0.10), (2027, 0.20), (2028, 0.30), (2031, 0.30)])
def test_china_default_with_the_mark_up_of_the_year(engine, year, markup):
    """7601 China default 3.000 t CO2e/t x (1 + mark-up); periods before 2026 use the 2026 one."""
    expected = 3.000 * (1 + markup)
    assert cbam.default_with_markup("7601", year)["t_per_t"] == pytest.approx(expected, rel=1e-12)
    if year in (2026, 2028):
        result = potline(engine, period__start=dt.date(year, 1, 1), period__end=dt.date(year, 12, 31))
        verdicts = {v.rule.id: v for v in assess(result, ["cbam"])}
        direct = verdicts["CBAM-1"].value
        assert verdicts["CBAM-3"].rule.threshold == pytest.approx(expected, rel=1e-12)
        assert verdicts["CBAM-3"].margin == pytest.approx(expected - direct, rel=1e-12)
        assert f"+{markup * 100:g} %" in verdicts["CBAM-3"].note or f"{markup * 100:g} %" in verdicts["CBAM-3"].note


def test_cbam_indirect_is_transitional_information(engine):
    verdicts = {v.rule.id: v for v in assess(potline(engine), ["cbam"])}
    assert verdicts["CBAM-4"].verdict == "information"
    assert "transitional-period reporting" in verdicts["CBAM-4"].note
    assert "过渡期" in verdicts["CBAM-4"].to_dict()["note_zh"]


def test_cbam_sheets_per_tonne_of_the_good_and_none_for_alumina(engine, tmp_path):
    def sheet(name):
        result = example(engine, name)
        (path,) = write_reports(result, engine, ["cbam"], "en", tmp_path)
        rows = openpyxl.load_workbook(path)["CBAM summary"].iter_rows(min_row=2, values_only=True)
        return result, {(r[0], r[1]): (r[2], r[3]) for r in rows}

    _, alumina = sheet("guangxi-alumina-refinery")
    assert alumina[("goods", "CN code")][0] == "2818"
    assert "not a CBAM good" in alumina[("goods", "aggregated goods category")][0]
    assert not [k for k in alumina if k[0] in ("PFC", "comparison") or k[1] == "production route"
                or "benchmark" in k[1] or "embedded" in k[1]]
    result, smelter = sheet("guangxi-smelter")
    verdicts = {v.rule.id: v for v in assess(result, ["cbam"])}
    direct = smelter[("embedded emissions", "specific direct embedded emissions (definitive period: direct only)")]
    assert direct == (pytest.approx(verdicts["CBAM-1"].value), "t CO2e/t")
    year = result.declaration.period["end"].year
    d = cbam.default_with_markup("7601", year)
    key = ("comparison", f"China default value of the good, {d['year']}, incl. +{d['markup_pct']:g} % mark-up")
    assert smelter[key] == (pytest.approx(3.0 * (1 + d["markup_pct"] / 100)), "t CO2e/t")
    assert smelter[("comparison", "benchmark, primary (IR 2025/2620 Annex §5.3, provisional)")][0] == 1.423
    assert smelter[("PFC", "PFC emissions (AR5), in the direct figure")][1] == "t CO2e/t"
    assert all(unit in (None, "", "t", "t CO2e/t", "t CO2/t", "MWh/t", "t CO2/MWh", "kg/t", "min/cell-day")
               for _, unit in smelter.values())


# 5. CN-ETS boundary ------------------------------------------------------------------------

@pytest.mark.parametrize("ratio", ["ipcc", "cn-ets"])
def test_cets_pfc_uses_the_guidelines_own_ratio(engine, ratio):
    """EF_CF4 = 0.143 x AEM, EF_C2F6 = 0.1 x EF_CF4 (CETS-AG-04.01-2024 §6), AR5, per t liquid."""
    result = potline(engine, electrolysis={"ac_kwh_per_t": 13_351, "cell_technology": "CWPB",
                                           "anode_effect_min_per_cell_day": 0.25, "c2f6_ratio": ratio})
    verdicts = {v.rule.id: v for v in assess(result, ["cets"])}
    cf4 = 0.143 * 0.25
    assert verdicts["CETS-3"].value == pytest.approx((cf4 * GWP_CF4 + 0.1 * cf4 * GWP_C2F6) / 1000, rel=1e-12)


def test_cets_notes_captive_generation_outside_its_boundary(engine):
    captive = {v.rule.id: v for v in assess(example(engine, "xinjiang-captive-coal"), ["cets"])}
    assert "captive" in captive["CETS-6"].note and "power-generation guideline" in captive["CETS-6"].note
    assert "自备电厂" in captive["CETS-6"].to_dict()["note_zh"]
    grid_only = {v.rule.id: v for v in assess(potline(engine), ["cets"])}
    assert "captive" not in grid_only["CETS-6"].note


# 6. CO2e not split by gas -------------------------------------------------------------------

def test_unsplit_co2e_share_is_stated(engine, tmp_path):
    result = example(engine, "guangxi-smelter")
    report = report_data.build(result, assess(result), engine, "ar6")
    rows = [c for c in report["contributions"] if c["basis"] == "market-based"]
    unsplit = sum(c["t_co2e_per_t"] for c in rows if c["gas"].startswith("CO2e"))
    total = sum(c["t_co2e_per_t"] for c in rows)
    assert report["unsplit_share_pct"]["market"] == pytest.approx(100 * unsplit / total, rel=1e-9)
    if unsplit:
        (page,) = [p for p in write_reports(result, engine, ["html"], "en", tmp_path)
                   if p.name.endswith("-report.html")]
        assert "not split by gas in the source" in page.read_text(encoding="utf-8")


def test_every_verdict_note_has_both_languages():
    import re

    from greenal.report.i18n import messages

    catalogue = messages()
    keys = set()
    for path in (ROOT / "greenal" / "standards").glob("*.py"):
        keys |= set(re.findall(r'(?:note|NotApplicable)\(\s*"([a-z0-9_]+)"', path.read_text(encoding="utf-8")))
    keys |= {"note_missing", "na_coastal", "na_inland", "note_deadline_for_older_pass", "note_deadline_for_older_fail"}
    assert len(keys) > 10
    for key in keys:
        assert set(catalogue[key]) == {"zh", "en"}, key
