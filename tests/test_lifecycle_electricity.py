"""Life-cycle electricity factors (issue 15): every Chinese grid row is the official combustion
factor + coal upstream + combustion CH4/N2O + the non-fossil part + network losses, never below
the combustion factor; captive and grid coal use one set of coal factors; the results fall in
the published life-cycle ranges for Chinese coal power and grids.

Expected values are computed here by hand from the sources' numbers (written out below) and
from the YAML rows, then compared with the engine's cumulative factors (Brightway solve)."""
from pathlib import Path

import pytest
import yaml

from greenal.inventory import bundled_inventory
from greenal.model.formulas import fuel_co2_kg_per_mj, parameters

ROOT = Path(__file__).resolve().parents[1]
ELECTRICITY = ROOT / "inventories" / "electricity"

# The sources' numbers, by hand (kg per MJ of coal unless stated).
COAL_CO2 = 26.37e-3 * 0.94 * 44 / 12  # CN 2013 guideline 原煤: CC 26.37 tC/TJ, OF 0.94
COAL_CH4_COMBUSTION, COAL_N2O_COMBUSTION = 1e-6, 1.5e-6  # IPCC 2006 Vol.2 Table 2.2, energy industries
MINE_CH4 = 4.78 / 20908  # ERL 2025/26: 4.78 kg CH4/t (2023) / NCV 原煤 20 908 MJ/t (GB/T 2589)
SUPPLY_CO2 = 0.0979 - 0.0946  # EA EPR 2018 hard coal factor minus IPCC 2006 combustion
HYDRO = 0.024  # IPCC AR5 Table A.III.2, hydropower median, kg CO2e/kWh
TD_LOSS = 0.055  # World Bank WDI EG.ELC.LOSS.ZS, China 2014, share of output
GWP = {"ar6": (29.8, 273), "ar5": (28, 265), "ar4": (25, 298), "sar": (21, 310)}  # CH4 fossil, N2O

# Published life-cycle factors, kg CO2e/kWh (inventory-data.md §2.10).
IPCC_COAL_MIN, IPCC_COAL_MEDIAN = 0.740, 0.820  # IPCC AR5 WGIII Annex III Table A.III.2, coal PC
CHANG_COAL_MIN = 0.530 / (1 - 0.38)  # Chang et al. 2015: gas CC 530 g is 38-45 % below Chinese coal
CHANG_COAL_MAX = 0.530 / (1 - 0.45)
EMAPS_CN_2020 = 0.55761  # Electricity Maps, CN 2020 life-cycle average (global IPCC medians)
ZHU_CN_2017 = 0.3769 / (1 - 0.510)  # Zhu et al. 2022: 376.9 g in 2035 is 51.0 % below 2017
OU_CN_2007 = 297.688 * 3.6 / 1000  # Ou, Yan & Zhang 2011: 297.688 g CO2e/MJ delivered, 2007 mix


def rows(name: str) -> list[dict]:
    return yaml.safe_load((ELECTRICITY / name).read_text(encoding="utf-8"))["table"]["rows"]


LC_ROWS = rows("cn-lifecycle-mixes.yaml")
MEE = {r["key"]: r["factor"] for r in rows("mee-cn-co2-factors.yaml")}


def coal_upstream_and_non_co2(gwp: str) -> float:
    """kg CO2e per MJ of coal besides its combustion CO2: mine methane, supply CO2, combustion CH4/N2O."""
    ch4, n2o = GWP[gwp]
    return (MINE_CH4 + COAL_CH4_COMBUSTION) * ch4 + COAL_N2O_COMBUSTION * n2o + SUPPLY_CO2


def by_hand(row: dict, gwp: str = "ar6") -> tuple[float, float]:
    """(at the plants, delivered) kg CO2e/kWh of one row of cn-lifecycle-mixes.yaml."""
    coal_mj = row["factor"] / COAL_CO2
    plant = row["factor"] + coal_mj * coal_upstream_and_non_co2(gwp) + (1 - row["factor"] / row["fossil"]) * HYDRO
    return plant, plant / (1 - TD_LOSS)


def co2e(engine, code: str, gwp: str = "ar6") -> float:
    inventory = engine.unit_inventories[engine.background_index[code]]
    factors = engine.inventory.methods[gwp].factors
    return float(sum(inventory[i] * factors[flow] for flow, i in engine.flow_index.items()))


def kg(engine, code: str, flow: str) -> float:
    return float(engine.unit_inventories[engine.background_index[code]][engine.flow_index[flow]])


def test_every_cn_grid_row_is_combustion_plus_upstream_plus_losses(engine):
    assert len(LC_ROWS) == 37
    for row in LC_ROWS:
        key = row["key"]
        assert row["factor"] == MEE[key], key  # the row's combustion factor is the official one
        plant, delivered = by_hand(row)
        assert co2e(engine, f"electricity-cn-busbar-{key}") == pytest.approx(plant, rel=1e-9), key
        assert co2e(engine, f"electricity-lc-cn-{key}") == pytest.approx(delivered, rel=1e-9), key
        # fossil CO2 alone: the official factor, its coal's supply CO2, and both again on the losses
        co2 = (row["factor"] * (1 + SUPPLY_CO2 / COAL_CO2)) / (1 - TD_LOSS)
        assert kg(engine, f"electricity-lc-cn-{key}", "co2-fossil") == pytest.approx(co2, rel=1e-9), key


@pytest.mark.parametrize("gwp", sorted(GWP))
def test_life_cycle_factor_is_never_below_the_combustion_factor(engine, gwp):
    """The invariant of issue 15, for every row and every GWP set, from the engine and by hand."""
    for row in LC_ROWS:
        combustion = MEE[row["key"]]
        assert co2e(engine, f"electricity-lc-cn-{row['key']}", gwp) >= combustion, row["key"]
        assert co2e(engine, f"electricity-cn-busbar-{row['key']}", gwp) >= combustion, row["key"]
        assert by_hand(row, gwp)[1] >= combustion, row["key"]
    assert co2e(engine, "electricity-grid-china-2021", gwp) >= MEE["national-2021"]


def test_network_losses_are_a_separate_visible_line():
    for row in LC_ROWS:
        p = bundled_inventory().processes[f"electricity-lc-cn-{row['key']}"]
        (losses,) = [e for e in p.exchanges if e.comment == "transmission and distribution losses"]
        assert losses.amount == pytest.approx(TD_LOSS / (1 - TD_LOSS), rel=1e-12)
        assert losses.source.ref == "WB-WDI-TD-LOSS"


def test_national_factors_lie_between_published_chinese_grid_factors(engine):
    """2021-2023 national factors between Electricity Maps 2020 (557.61 g, low: built on the
    IPCC global coal median 820 g, below China's own fossil factor) and Zhu et al.'s 2017 grid
    (≈769 g, a year with more coal), and below Ou et al.'s 2007 mix (1,072 g). No extra
    tolerance: the published values bracket ours because the grid's intensity falls year by
    year (official national factor 0.5568 → 0.5306 from 2021 to 2023)."""
    assert 0.76 < ZHU_CN_2017 < 0.77 and OU_CN_2007 == pytest.approx(1.0717, abs=1e-4)
    for year in (2021, 2022, 2023):
        factor = co2e(engine, f"electricity-lc-cn-national-{year}")
        assert EMAPS_CN_2020 < factor < ZHU_CN_2017 < OU_CN_2007, year


def test_coal_power_lies_in_the_published_range_for_chinese_coal_power(engine):
    """Grid coal (the national fossil-power factor + its coal's upstream and CH4/N2O, at the
    plant) and the captive plant (320 gce/kWh) between the IPCC AR5 minimum for coal (740 g,
    global) and Chang et al.'s maximum for Chinese coal power (≈964 g, extraction to wire).
    Both lie above the IPCC global median (820 g): the official fossil factor alone is 832.5 g."""
    burned = co2e(engine, "fuel-coal-burned")  # all of 1 MJ burned, kg CO2e
    co2_per_mj = bundled_inventory().processes["fuel-coal-burned"].emissions[0].amount
    for fossil in (MEE["fossil-2021"], MEE["fossil-2022"], MEE["fossil-2023"]):
        grid_coal = fossil / co2_per_mj * burned
        assert grid_coal == pytest.approx(fossil + fossil / COAL_CO2 * coal_upstream_and_non_co2("ar6"), rel=1e-9)
        assert IPCC_COAL_MEDIAN < grid_coal < CHANG_COAL_MAX, fossil
    captive = co2e(engine, "electricity-captive-coal-cn")
    assert max(IPCC_COAL_MIN, CHANG_COAL_MIN) < captive < CHANG_COAL_MAX


def test_captive_coal_at_320_gce_by_hand(engine):
    """0.320 kgce/kWh x 29.307 MJ/kgce, times every per-MJ coal factor, gas by gas."""
    mj = 0.320 * 29.307
    code = "electricity-captive-coal-cn"
    assert kg(engine, code, "co2-fossil") == pytest.approx(mj * (COAL_CO2 + SUPPLY_CO2), rel=1e-12)
    assert kg(engine, code, "ch4-fossil") == pytest.approx(mj * (COAL_CH4_COMBUSTION + MINE_CH4), rel=1e-12)
    assert kg(engine, code, "n2o") == pytest.approx(mj * COAL_N2O_COMBUSTION, rel=1e-12)
    assert kg(engine, code, "co2e-aggregated") == 0.0
    assert co2e(engine, code) == pytest.approx(mj * (COAL_CO2 + coal_upstream_and_non_co2("ar6")), rel=1e-12)
    assert co2e(engine, code) == pytest.approx(0.9513, abs=1e-4)


def test_one_set_of_fuel_combustion_factors():
    """fuel-*-burned's CO2 per MJ = CC x OF x 44/12 of parameters.yaml, which declared fuels use;
    each buys the supply process that declared fuels buy."""
    processes = bundled_inventory().processes
    for fuel, p in parameters()["fuels"].items():
        burned = processes[f"fuel-{fuel.replace('_', '-')}-burned"]
        (co2,) = [e for e in burned.emissions if e.target == "co2-fossil"]
        assert co2.amount == pytest.approx(fuel_co2_kg_per_mj(fuel), rel=1e-12), fuel
        assert co2.amount == pytest.approx(
            p["carbon_t_per_tj"]["value"] * 1e-3 * p["oxidation"]["value"] * 44 / 12, rel=1e-12), fuel
        assert [e.target for e in burned.inputs] == [p["upstream"]], fuel
    assert fuel_co2_kg_per_mj("coal") == pytest.approx(COAL_CO2, rel=1e-12)


def test_grid_coal_and_captive_coal_use_the_same_per_mj_coal_factors():
    processes = bundled_inventory().processes
    burned = {e.target: e.amount for e in processes["fuel-coal-burned"].exchanges}
    (captive_coal,) = processes["electricity-captive-coal-cn"].inputs
    assert captive_coal.target == "fuel-coal-burned"
    for row in LC_ROWS:
        plant = processes[f"electricity-cn-busbar-{row['key']}"]
        lines = {e.target: e.amount for e in plant.exchanges}
        coal_mj = lines["fuel-coal-supply"]
        assert coal_mj == pytest.approx(row["factor"] / burned["co2-fossil"], rel=1e-12)
        assert lines["ch4-fossil"] == pytest.approx(coal_mj * burned["ch4-fossil"], rel=1e-12)
        assert lines["n2o"] == pytest.approx(coal_mj * burned["n2o"], rel=1e-12)
        assert lines[f"electricity-cn-mee-{row['key']}"] == 1.0


def test_smelter_mixes_are_conservative(engine):
    """The Chinese smelter default (no supplies declared) is above the national grid and the
    official national fossil factor x its coal share; the global mix values coal as captive coal."""
    captive = co2e(engine, "electricity-captive-coal-cn")
    cn = co2e(engine, "electricity-lc-cn-smelter-mix")
    assert cn == pytest.approx(0.90 * captive + 0.10 * HYDRO, rel=1e-12)
    assert cn > co2e(engine, "electricity-lc-cn-national-2022") and cn > 0.90 * MEE["fossil-2022"]
    world = co2e(engine, "electricity-lc-global-smelter-mix-2021")
    assert world == pytest.approx(0.55 * captive + 0.30 * HYDRO + 0.10 * 0.490 + 0.05 * 0.012, rel=1e-12)


def test_coal_supply_is_split_by_gas_and_sourced():
    p = bundled_inventory().processes["fuel-coal-supply"]
    lines = {e.target: e for e in p.emissions}
    assert set(lines) == {"ch4-fossil", "co2-fossil"}
    assert lines["ch4-fossil"].amount == pytest.approx(MINE_CH4, rel=1e-12)
    assert lines["ch4-fossil"].source.ref == "ERL-2025-CMM"
    assert lines["co2-fossil"].amount == pytest.approx(SUPPLY_CO2, rel=1e-12)
