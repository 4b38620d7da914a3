"""The standards' formulas, with expected values computed here by hand from the standards'
numbers (../shared/reference/standards.md §3, §5 and §8 test vectors)."""
import pytest

from greenal.lca.engine import Foreground, ForegroundRow, Label, Line
from greenal.model.formulas import PFC, anode_co2_t_per_t, pfc_slope


def test_anode_co2_2013_guideline_defaults():
    # T1: EF = 0.42 x (1 - 0.02 - 0.004) x 44/12
    expected = 0.42 * 0.976 * 44 / 12
    assert expected == pytest.approx(1.50304, abs=1e-12)
    assert anode_co2_t_per_t(0.42, 0.02, 0.004) == pytest.approx(expected, rel=1e-12)
    # for P = 100,000 t of aluminium
    assert 100_000 * anode_co2_t_per_t(0.42, 0.02, 0.004) == pytest.approx(150_304, rel=1e-12)


def test_anode_co2_draft_2024_intensity_reconciliation():
    # standards.md §3.3: 1.424 equals 0.40 x 0.971 x 44/12 (not 0.411 x 0.976 x 44/12)
    assert anode_co2_t_per_t(0.40, 0.025, 0.004) == pytest.approx(1.4241, abs=5e-5)
    assert anode_co2_t_per_t(0.411, 0.02, 0.004) == pytest.approx(1.4708, abs=5e-5)


def test_pfc_slope_cwpb_ar5():
    # T3: AEM 0.1, S_CF4 0.143, F 0.121, AR5 (6630 / 11100)
    cf4 = 0.143 * 0.1
    c2f6 = 0.121 * cf4
    expected = (cf4 * 6630 + c2f6 * 11100) / 1000
    assert expected == pytest.approx(0.11401533, abs=1e-10)
    pfc = pfc_slope(0.1, "CWPB")
    assert pfc.cf4_kg_per_t == pytest.approx(0.0143, rel=1e-12)
    assert pfc.c2f6_kg_per_t == pytest.approx(0.0017303, rel=1e-12)
    assert pfc.co2e_t_per_t(6630, 11100) == pytest.approx(expected, rel=1e-12)


def test_pfc_slope_chinese_ratio_ar5():
    # T3, Chinese guideline: C2F6 = 0.1 x CF4
    expected = (0.0143 * 6630 + 0.00143 * 11100) / 1000
    assert expected == pytest.approx(0.110682, abs=1e-10)
    assert pfc_slope(0.1, "CN-ETS").co2e_t_per_t(6630, 11100) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("gwp, expected", [("sar", 0.25228), ("ar5", 0.26316), ("ar4", 0.29274), ("ar6", 0.29308)])
def test_pfc_2013_default_factors_in_each_gwp_set(engine, gwp, expected):
    # T2: EF_CF4 0.034, EF_C2F6 0.0034 kg/t; GWP values from the method files
    factors = engine.inventory.methods[gwp].factors
    assert PFC(0.034, 0.0034).co2e_t_per_t(factors["cf4"], factors["c2f6"]) == pytest.approx(expected, abs=1e-10)


def electricity_only(engine, supplier: str, kwh: float):
    row = ForegroundRow("smelter", "electrolysis", [Line(supplier, kwh, Label("electrolysis", "electricity"))], [])
    return engine.footprint(Foreground("13.5 MWh", "t", (row,)))


@pytest.mark.parametrize("code, factor, expected_t", [
    ("electricity-cn-mee-ets-reporting-2023", 0.5703, 7.69905),
    ("electricity-cn-mee-national-2021", 0.5568, 7.51680),
    ("electricity-cn-mee-national-2022", 0.5366, 7.24410),
    ("electricity-cn-mee-national-2023", 0.5306, 7.16310),
])
def test_electricity_13500_kwh_times_mee_factor(engine, code, factor, expected_t):
    # T5: 13.5 MWh/t x factor (t CO2/MWh)
    assert 13.5 * factor == pytest.approx(expected_t, abs=1e-9)
    fp = electricity_only(engine, code, 13_500)
    for gwp in ("sar", "ar4", "ar5", "ar6"):  # CO2 only: the same in every set
        assert fp.total_co2e_kg(gwp) / 1000 == pytest.approx(expected_t, rel=1e-12)


def test_electricity_every_mee_factor(engine):
    """Every official factor row behaves as 13.5 x factor; the factor is read from the process's
    single exchange, so a unit slip (kWh vs MWh) in the table would surface as a 1000x error."""
    codes = [c for c in engine.inventory.processes if c.startswith("electricity-cn-mee-")]
    assert len(codes) >= 30
    for code in codes:
        (exchange,) = engine.inventory.processes[code].exchanges
        assert 0.1 <= exchange.amount <= 1.0, code  # kg CO2/kWh: plausible grid range
        fp = electricity_only(engine, code, 13_500)
        assert fp.flow_kg()["co2-fossil"] == pytest.approx(13_500 * exchange.amount, rel=1e-12)
