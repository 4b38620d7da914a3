"""The standards engine: thresholds at their edges (standards.md §8 T9/T10), each verdict kind,
fleet targets, missing data, and a CBAM slope-method case computed by hand."""
import json

import pytest
from conftest import potline_declaration

from greenal.model.site import declaration_footprint
from greenal.standards.engine import Missing, assess, judge, schemes
from greenal.standards.fleet import assess_fleet, read_fleet


def rule(rule_id):
    return next(r for s in schemes().values() for r in s.rules if r.id == rule_id)


@pytest.mark.parametrize("value, verdict, grade", [
    (12_950, "pass", "level 1"), (12_980, "pass", "level 2"), (13_000, "pass", "level 2"),
    (13_200, "pass", "level 3"), (13_350, "pass", "level 3"), (13_351, "fail", "below level 3"),
])
def test_gb21346_liquid_ac_grades_at_the_edges(value, verdict, grade):
    v = judge(rule("GB21346-1"), value, product="primary-ingot")
    assert (v.verdict, v.grade) == (verdict, grade)
    assert v.margin == 13_350 - value


@pytest.mark.parametrize("rule_id, value, verdict", [
    ("LC-1", 3.99, "pass"), ("LC-1", 4.00, "fail"), ("LC-2", 3.99, "pass"), ("LC-2", 4.00, "fail"),
    ("ASI-1", 7.99, "pass"), ("ASI-1", 8.00, "fail"),
    ("NDRC-1", 13_000, "pass"), ("NDRC-1", 13_001, "fail"), ("NDRC-2", 13_350, "pass"), ("NDRC-2", 13_351, "fail"),
    ("GX-1", 40.0, "fail"), ("GX-1", 40.01, "pass"), ("PLAN-1", 30.0, "pass"), ("PLAN-1", 29.99, "fail"),
])
def test_thresholds_at_the_edges(rule_id, value, verdict):
    v = judge(rule(rule_id), value, product="primary-ingot", province="guangxi", start_year=2021, assessment_year=2024)
    assert v.verdict == verdict


def test_thresholds_in_the_data_are_the_standards_numbers():
    """Hand-typed from ../shared/reference/standards.md §1, §2, §6."""
    assert rule("GB21346-1").levels == (12950, 13000, 13350)
    assert rule("GB21346-4").levels == (1670, 1680, 1720)
    assert rule("GB21346-6").levels == (340, 390, 460)
    assert (rule("NDRC-1").threshold, rule("NDRC-2").threshold) == (13000, 13350)
    assert (rule("PLAN-1").threshold, rule("PLAN-2").threshold, rule("PLAN-F1").threshold) == (30, 15, 30)
    assert (rule("GX-1").threshold, rule("GX-2").threshold, rule("GX-3").threshold,
            rule("GX-F1").threshold) == (40, 20, 30, 50)
    assert (rule("CBAM-1").threshold, rule("CBAM-2").threshold) == (1.423, 0.091)
    assert rule("CBAM-3").threshold_from == "china_default_with_markup"
    assert (rule("ASI-1").threshold, rule("LC-1").threshold, rule("LC-2").threshold) == (8, 4, 4)
    assert (rule("LC-3").threshold, rule("LC-4a").threshold, rule("LC-4b").threshold) == (1.484, 15.5, 100)
    assert rule("ASI-2").certainty == "unconfirmed"


def test_asi_deadline_for_older_smelters():
    older = judge(rule("ASI-1"), 9.0, product="primary-ingot", start_year=2012, assessment_year=2024)
    assert older.verdict == "not applicable" and "2030" in older.note and "fail" in older.note
    assert judge(rule("ASI-1"), 9.0, product="primary-ingot", start_year=2012, assessment_year=2030).verdict == "fail"
    assert judge(rule("ASI-1"), 9.0, product="primary-ingot", start_year=2021, assessment_year=2024).verdict == "fail"


def result_of(engine, **changes):
    """A 200,000 t/yr potline at 13,351 kWh/t on the Southern grid."""
    return declaration_footprint(engine, potline_declaration(13_351, 200_000, "south", **changes))


def test_every_verdict_kind_and_missing_data_do_not_crash(engine):
    verdicts = {v.rule.id: v for v in assess(result_of(engine))}
    assert verdicts["GB21346-1"].verdict == "fail" and verdicts["NDRC-2"].verdict == "fail"  # 13,351 kWh/t
    assert verdicts["CFP-1"].verdict == "pass"
    assert verdicts["GB21346-3"].verdict == "not applicable"  # liquid metal, not ingot
    assert verdicts["GB21346-2"].verdict == "insufficient data"
    assert "electrolysis.auxiliary_kwh_per_t" in verdicts["GB21346-2"].note
    assert verdicts["CETS-6"].verdict == "information"
    assert {v.verdict for v in verdicts.values()} == {"pass", "fail", "not applicable", "insufficient data",
                                                      "information"}


def test_guangxi_rules_only_in_guangxi(engine):
    verdicts = {v.rule.id: v for v in assess(result_of(engine, declarant__province="yunnan"), ["policy-targets"])}
    assert verdicts["GX-1"].verdict == "not applicable" and verdicts["PLAN-1"].verdict in ("pass", "fail")


def test_cbam_slope_method_by_hand(engine):
    """Potline, CWPB, AEM 0.25 min/cell-day, NC 0.41 t/t, S 2 %, ash 0.4 %, 200,000 t/yr:
    direct = anode CO2 + PFC by the slope method (IPCC Table 4.16 CWPB 0.143 / 0.121) with AR5."""
    result = result_of(engine, electrolysis={"ac_kwh_per_t": 13_351, "net_anode_t_per_t": 0.41,
                                             "anode_sulphur_pct": 2.0, "anode_ash_pct": 0.4,
                                             "cell_technology": "CWPB", "anode_effect_min_per_cell_day": 0.25})
    output_t = 200_000
    anode_t = output_t * 0.41 * (1 - 0.02 - 0.004) * 44 / 12
    cf4_kg = output_t * 0.143 * 0.25
    c2f6_kg = cf4_kg * 0.121
    pfc_t = (cf4_kg * 6630 + c2f6_kg * 11100) / 1000
    see_direct = (anode_t + pfc_t) / output_t
    verdicts = {v.rule.id: v for v in assess(result, ["cbam"])}
    assert verdicts["CBAM-1"].value == pytest.approx(see_direct, rel=1e-12)
    assert verdicts["CBAM-1"].margin == pytest.approx(1.423 - see_direct, rel=1e-12)
    # 2024 period: compared with the first definitive year's default, 3.000 x (1 + 10 %)
    assert verdicts["CBAM-3"].margin == pytest.approx(3.0 * 1.10 - see_direct, rel=1e-12)
    # indirect: 13,351 kWh/t of Southern grid power at the country factor, MEE/NBS national 2022
    # 0.5366 (IR 2023/1773: country grid factor unless a direct link or PPA qualifies)
    assert verdicts["CBAM-4"].value == pytest.approx(13.351 * 0.5366, rel=1e-12)


def fleet_file(tmp_path, shares):
    plants = "\n".join(f"  - {{name: P{i}, capacity_t: {c}, liquid_ac_kwh_per_t: {ac}}}"
                       for i, (c, ac) in enumerate(shares))
    path = tmp_path / "fleet.yaml"
    path.write_text(f"name: test group\nregion: guangxi\nplants:\n{plants}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("at_benchmark_t, plan, guangxi", [(49, "pass", "fail"), (50, "pass", "fail"),
                                                          (51, "pass", "pass"),
                                                           (29, "fail", "fail")])
def test_fleet_share_at_benchmark(tmp_path, at_benchmark_t, plan, guangxi):
    path = fleet_file(tmp_path, [(at_benchmark_t * 1000, 12_990), ((100 - at_benchmark_t) * 1000, 13_200)])
    verdicts = {v.rule.id: v for v in assess_fleet(read_fleet(path))}
    assert verdicts["PLAN-F1"].value == pytest.approx(at_benchmark_t)
    assert (verdicts["PLAN-F1"].verdict, verdicts["GX-F1"].verdict) == (plan, guangxi)


def test_fleet_reads_declarations_and_rejects_bad_plants(tmp_path):
    from pathlib import Path
    example = Path(__file__).resolve().parents[1] / "examples" / "yunnan-hydro-smelter.yaml"
    path = tmp_path / "fleet.yaml"
    path.write_text(f"plants:\n  - {{name: Y, capacity_t: 350000, declaration: {example}}}\n"
                    "  - {name: Z, capacity_t: 100000, liquid_ac_kwh_per_t: 13500}\n", encoding="utf-8")
    verdicts = {v.rule.id: v for v in assess_fleet(read_fleet(path))}
    assert verdicts["PLAN-F1"].value == pytest.approx(100 * 350 / 450)  # Yunnan declares 12,950 kWh/t
    assert verdicts["GX-F1"].verdict == "not applicable"  # no region given
    path.write_text("plants:\n  - {name: Z, capacity_t: 100000, liquid_ac_kwh_per_t: 13.5}\n", encoding="utf-8")
    from greenal.errors import InputError
    with pytest.raises(InputError) as caught:
        read_fleet(path)
    assert caught.value.where == "plants[0].liquid_ac_kwh_per_t (line 2)"


def test_missing_indicator_is_insufficient_data():
    assert judge(rule("NDRC-5"), Missing("electrolysis.cell_current_ka"), product="primary-ingot").verdict == \
        "insufficient data"


def test_cli_assess_json_and_schemes(data_dir, engine, run_cli):
    from pathlib import Path

    def cli(*args, data_dir):
        return run_cli("--data-dir", data_dir, *args)
    example = Path(__file__).resolve().parents[1] / "examples" / "guangxi-smelter.yaml"
    result = cli("assess", str(example), "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    keys = {"rule", "title_zh", "title_en", "value", "unit", "threshold", "margin", "verdict", "clause", "source",
            "certainty"}
    assert rows and all(keys <= set(r) for r in rows)
    listing = cli("schemes", data_dir=data_dir).stdout
    assert all(code in listing for code in schemes()) and "effective" in listing
    both = cli("assess", str(example), "--fleet", str(example), data_dir=data_dir)
    assert both.returncode == 2 and "Traceback" not in both.stderr
    unknown = cli("assess", str(example), "--scheme", "nope", data_dir=data_dir)
    assert unknown.returncode == 2 and "'nope'" in unknown.stderr
