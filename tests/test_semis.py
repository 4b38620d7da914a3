"""Wire rod and castings from their sourced steps, the CBAM direct/indirect split of a product, the
alloying factors' sources, and footprint variants as a batch. Expected values are computed here by
hand from the sources' numbers: US DMFA (extrusion and wire 5.899 MJ/kg-in, 52.7 % NG, yield 0.739;
shape casting 5.16 MJ/kg-in, yield 0.957), EA EPR 2018 remelting (1.019 t per t; 150 kWh, NG 3,093,
heavy oil 71, diesel 47 MJ), AA post-consumer recycling (1.048 t; 225.57 kWh; 5,680 MJ NG), IAI
casthouse (1.000 t liquid; 53 kWh; NG 832, heavy oil 51, diesel 21 MJ), Nuss & Eckelman 2014."""
from pathlib import Path

import numpy as np
import pytest

from greenal.supply.cbam import cbam_split
from greenal.supply.products import product_footprint, read_product
from greenal.supply.variants import Change, variant_totals
from test_supply import ELECTRICITY_KG_PER_KWH, GWP, POWER, product_file, unit_co2e

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "supply"
# EA EPR 2018 remelting of process scrap, per t cast (inventories/recycling)
REMELT = {"t": 1.019, "kwh": 150.0, "fuel-natural-gas-burned": 3093.0, "fuel-heavy-fuel-oil-burned": 71.0,
          "fuel-diesel-burned": 47.0}
# IAI 2015 global casthouse, per t cast from liquid metal (casting-ingot-global)
CASTHOUSE = {"t": 1.0, "kwh": 53.0, "fuel-natural-gas-burned": 832.0, "fuel-heavy-fuel-oil-burned": 51.0,
             "fuel-diesel-burned": 21.0}
FUELS = ("fuel-natural-gas-burned", "fuel-heavy-fuel-oil-burned", "fuel-diesel-burned")


def combustion_kg_per_mj(engine, fuel: str, gwp: str = "ar5") -> float:
    """Direct (combustion) CO2e per MJ burned: the fuel's own emissions, no supply chain."""
    factors = engine.inventory.methods[gwp].factors
    return sum(e.amount * factors[e.target] for e in engine.inventory.processes[fuel].emissions)


def rod_by_hand(supplier_kg_per_t: float) -> dict:
    """Per t of wire rod: metal, kWh and MJ of each fuel, cast from liquid metal and run-around."""
    cast = 1 / 0.739
    from_scrap = (cast - 1) / REMELT["t"]  # run-around scrap remelted
    from_liquid = cast - from_scrap  # liquid metal cast without remelting, 1.000 t per t
    amounts = {"liquid_t": from_liquid * CASTHOUSE["t"],
               "kwh": 5.899 * 1000 * 0.473 / 3.6 * cast + CASTHOUSE["kwh"] * from_liquid + REMELT["kwh"] * from_scrap}
    for fuel in FUELS:
        amounts[fuel] = CASTHOUSE[fuel] * from_liquid + REMELT[fuel] * from_scrap
    amounts["fuel-natural-gas-burned"] += 5.899 * 1000 * 0.527 * cast
    amounts["supplier_kg"] = amounts["liquid_t"] * supplier_kg_per_t
    return amounts


def test_wire_rod_by_hand_from_liquid_metal_and_run_around(engine, tmp_path):
    """Continuous casting and rolling (DMFA extrusion-and-wire step) fed liquid metal delivered hot
    at the smelter's declared 4,000 kg/t; crop ends return to the casthouse and are remelted."""
    path = product_file(tmp_path, {"id": "rod", "kind": "wire-rod", "casting": "own", "electricity_supplier": "ppa"},
                        charge=[{"material": "liquid-metal", "share": 1.0, "supplier": "s"}],
                        suppliers=[{"id": "s", "input": "liquid-metal", "kg_co2e_per_t": 4000,
                                    "evidence": "smelter PCF 2024"}, POWER])
    spec = read_product(path)
    assert spec.cn_code == "7605"
    result = product_footprint(engine, spec)
    h = rod_by_hand(4000)
    expected = (h["supplier_kg"] + h["kwh"] * ELECTRICITY_KG_PER_KWH
                + sum(h[f] * unit_co2e(engine, f) for f in FUELS))
    assert result.market.total_co2e_kg(GWP) == pytest.approx(expected, rel=1e-9)
    assert result.mass_balance_t_per_t["process_scrap_t_per_t"] == pytest.approx(1 / 0.739 - 1)
    # the liquid metal bought is 1 t plus the remelting loss of the run-around scrap only
    assert result.mass_balance_t_per_t["bought_charge_t_per_t"] == pytest.approx(1 + 0.019 * (1 / 0.739 - 1) / 1.019)

    # CBAM: the supplier's PCF as the precursor's direct part, own combustion direct (AR5),
    # electricity x China's national grid factor of the grid's year (guangdong 2023)
    split = cbam_split(engine, spec)
    direct = h["supplier_kg"] + sum(h[f] * combustion_kg_per_mj(engine, f) for f in FUELS)
    national = sum(e.amount for e in engine.inventory.processes["electricity-cn-mee-national-2023"].emissions
                   if e.target == "co2-fossil")
    assert split.direct_t_per_t == pytest.approx(direct / 1000, rel=1e-9)
    assert split.supplier_pcf_t_per_t == pytest.approx(h["supplier_kg"] / 1000, rel=1e-12)
    assert split.electricity_mwh_per_t == pytest.approx(h["kwh"] / 1000, rel=1e-9)
    assert split.indirect_t_per_t == pytest.approx(h["kwh"] * national / 1000, rel=1e-9)
    assert split.precursor_direct_t_per_t == 0.0  # no default chain: the precursor is the supplier's


def test_castings_by_hand_with_scrap_alloying_and_returns(engine, tmp_path):
    """A foundry (DMFA shape casting: 5.16 MJ/kg-in as electricity, yield 0.957) melting half
    supplier primary ingot (6,000 kg/t), half post-consumer scrap, with Si and Cu added."""
    path = product_file(tmp_path, {"id": "cast", "kind": "casting", "casting": "own", "electricity_supplier": "ppa"},
                        charge=[{"material": "primary-ingot", "share": 0.5, "supplier": "s"},
                                {"material": "post-consumer-scrap", "share": 0.5}],
                        suppliers=[{"id": "s", "input": "primary-ingot", "kg_co2e_per_t": 6000,
                                    "evidence": "verified PCF 2024"}, POWER],
                        alloying={"si": 100.0, "cu": 20.0})
    spec = read_product(path)
    assert spec.cn_code == "7616"
    result = product_footprint(engine, spec)
    cast = 1 / 0.957
    from_scrap = (cast - 1) / 1.019
    bought = (cast - from_scrap) / (0.5 / 1.019 + 0.5 / 1.048)  # sum share x bought / melt ratio = cast needed
    remelted = from_scrap + 0.5 * bought / 1.019  # run-around and primary ingot: EA EPR remelting
    recycled = 0.5 * bought / 1.048  # post-consumer scrap: AA preparation, melting and casting
    # every melt process runs on the product's own power (here the PPA)
    kwh = 5.16 * 1000 / 3.6 * cast + 150 * remelted + (110.32 + 115.25) * recycled
    ng = 3093 * remelted + (0.90 + 4.78) * 1000 * recycled
    expected = (0.5 * bought * 6000 + kwh * ELECTRICITY_KG_PER_KWH + ng * unit_co2e(engine, "fuel-natural-gas-burned")
                + 71 * remelted * unit_co2e(engine, "fuel-heavy-fuel-oil-burned")
                + 47 * remelted * unit_co2e(engine, "fuel-diesel-burned")
                + cast * (100 / 1000 * 5000 + 20 / 1000 * 2800))  # Si (estimate), Cu (Nuss & Eckelman: 2.8 kg/kg)
    assert result.market.total_co2e_kg(GWP) == pytest.approx(expected, rel=1e-9)
    assert result.recycled_content_pct["post_consumer"] == pytest.approx(50.0)
    assert result.mass_balance_t_per_t["charged_t_per_t"]["post-consumer-scrap"] == pytest.approx(0.5 * bought)


def test_alloying_factors_cite_their_source_or_say_estimate(engine):
    processes = engine.inventory.processes
    sourced = {"cu": 2800.0, "zn": 3100.0, "fe": 1500.0, "ti": 45100.0}  # Nuss & Eckelman 2014, kg per t
    for element, kg in sourced.items():
        (e,) = processes[f"material-alloying-{element}"].exchanges
        assert (e.amount, e.confidence, e.source.ref) == (kg, "secondary", "NUSS-ECKELMAN-2014")
    for element in ("si", "mg", "mn"):
        (e,) = processes[f"material-alloying-{element}"].exchanges
        assert e.confidence == "estimate" and e.source.ref == "GREENAL-ESTIMATE"
        assert "ESTIMATE" in processes[f"material-alloying-{element}"].name


@pytest.mark.parametrize("example", ["yunnan-wire-rod-mill", "guangdong-die-caster"])
def test_semis_examples_read_the_same_from_yaml_and_form(engine, example):
    from_yaml = product_footprint(engine, read_product(EXAMPLES / f"{example}.yaml"))
    from_form = product_footprint(engine, read_product(EXAMPLES / f"{example}.xlsx"))
    assert from_form.market.total_co2e_kg(GWP) == from_yaml.market.total_co2e_kg(GWP) > 0
    split = cbam_split(engine, from_yaml.spec)
    assert split.direct_t_per_t > 0 and split.indirect_t_per_t > 0


def test_variants_as_a_batch_equal_each_variant_computed_alone(engine):
    """1 t of primary ingot (route cn-average) with power, anode and alumina per t of liquid metal
    changed: the batch against engine.footprint on each variant's own foreground."""
    foreground = engine.route_foreground(engine.inventory.routes["cn-average"])
    cell = next(r for r in foreground.rows if r.stage == "electrolysis")
    targets = [line.target for line in cell.inputs]
    power = next(t for t in targets if t.startswith("electricity-"))
    anode = next(t for t in targets if t.startswith("anode-"))
    alumina = next(t for t in targets if t.startswith("refining-"))
    rng = np.random.default_rng(7)
    n = 12
    changes = [Change(cell.code, power, rng.uniform(12500, 15000, n)),
               Change(cell.code, anode, rng.uniform(0.38, 0.50, n)),
               Change(cell.code, alumina, rng.uniform(1.90, 1.96, n)),
               Change(cell.code, "co2-fossil", rng.uniform(1400, 1600, n))]
    batch = variant_totals(engine, foreground, changes, GWP)
    for v in range(n):
        alone = foreground
        for c in changes[:3]:
            alone = alone.with_input(c.consumer, c.target, float(c.amounts[v]))
        alone = alone.with_emission(cell.code, "co2-fossil", float(changes[3].amounts[v]))
        assert batch[v] == pytest.approx(engine.footprint(alone).total_co2e_kg(GWP), rel=1e-10)
    # unchanged amounts give the route's own footprint
    same = [Change(cell.code, power, np.full(2, foreground.input_amount(cell.code, power)))]
    assert variant_totals(engine, foreground, same, GWP) == pytest.approx(
        [engine.footprint(foreground).total_co2e_kg(GWP)] * 2, rel=1e-12)
