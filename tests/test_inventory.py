"""Every bundled number has a unit, a source and a confidence tag; processes balance; bad data
files give a message naming the file, the field, the value and what was expected."""
from pathlib import Path

import pytest
import yaml

from greenal.errors import DataError
from greenal.inventory import CONFIDENCE, UNITS, bundled_inventory, load_inventory

ROOT = Path(__file__).resolve().parents[1]
# IUPAC standard atomic weights
AL, OXYGEN = 26.9815, 15.999


@pytest.fixture(scope="module")
def inventory():
    return bundled_inventory()


def test_every_exchange_has_unit_source_and_confidence(inventory):
    for p in inventory.processes.values():
        assert p.unit in UNITS, p.code
        for e in p.exchanges:
            assert e.unit in UNITS, (p.code, e.target)
            assert e.source.ref in inventory.sources, (p.code, e.target)
            assert e.source.locator.strip(), (p.code, e.target)
            assert e.confidence in CONFIDENCE, (p.code, e.target)
            entry = inventory.sources[e.source.ref]
            assert all(entry.get(k) for k in ("publisher", "document", "year", "url", "copy")), e.source.ref


def test_every_parameter_and_gwp_factor_is_sourced(inventory):
    parameters = yaml.safe_load((ROOT / "inventories" / "parameters.yaml").read_text(encoding="utf-8"))

    def leaves(node):
        if isinstance(node, dict) and "value" in node:
            yield node
        elif isinstance(node, dict):
            for child in node.values():
                yield from leaves(child)

    found = list(leaves(parameters))
    assert len(found) >= 10
    for leaf in found:
        assert leaf["unit"] and leaf["source"]["ref"] in inventory.sources and leaf["source"]["locator"]
        assert leaf["confidence"] in CONFIDENCE
    for method in inventory.methods.values():
        assert set(method.factors) == set(inventory.flows)
        assert all(s.ref in inventory.sources for s in method.sources.values())


def test_processes_balance_their_reference_product(inventory):
    for p in inventory.processes.values():
        assert all(e.target != p.code for e in p.inputs), p.code
    # no metal from nowhere: electrolysis needs at least the stoichiometric alumina
    # (Al2O3 -> 2 Al: M(Al2O3) / (2 M(Al)) t per t), casting and recycling at least 1 t of metal in
    stoichiometric_alumina = (2 * AL + 3 * OXYGEN) / (2 * AL)
    assert stoichiometric_alumina == pytest.approx(1.8895, abs=1e-4)
    for p in inventory.processes.values():
        if p.stage == "electrolysis":
            alumina = sum(e.amount for e in p.inputs if inventory.processes[e.target].stage == "refining")
            assert alumina >= stoichiometric_alumina, p.code
        if p.stage in ("casting", "recycling") and p.inputs:
            metal = sum(e.amount for e in p.inputs if inventory.processes[e.target].unit == "t"
                        and inventory.processes[e.target].stage in ("electrolysis", "casting", "recycling"))
            assert metal >= 1.0, p.code
    # electricity mixes supply exactly one kWh per kWh, besides the network losses they state
    for code, p in inventory.processes.items():
        if code.startswith(("electricity-lc-", "electricity-captive")) and all(
                inventory.processes[e.target].unit == "kWh" for e in p.inputs):
            delivered = [e for e in p.inputs if e.comment != "transmission and distribution losses"]
            assert sum(e.amount for e in delivered) == pytest.approx(1.0, abs=1e-12), code


def test_gwp_values_match_openclimatedata_package(inventory):
    """Cross-check against openclimatedata/globalwarmingpotentials (CC0), an independent
    transcription of the GHG Protocol table and IPCC AR6 Table 7.SM.7."""
    gwp = pytest.importorskip("globalwarmingpotentials")
    import csv
    rows = {r["Species"]: r for r in csv.DictReader(
        line for line in (Path(gwp.__file__).parent / "globalwarmingpotentials.csv").open()
        if not line.startswith("#"))}
    column = {"sar": "SARGWP100", "ar4": "AR4GWP100", "ar5": "AR5GWP100", "ar6": "AR6GWP100"}
    species = {"ch4-non-fossil": "CH4", "n2o": "N2O", "cf4": "CF4", "c2f6": "C2F6", "sf6": "SF6"}
    for code, method in inventory.methods.items():
        for flow, name in species.items():
            assert method.factors[flow] == float(rows[name][column[code]]), (code, flow)
        assert method.factors["co2-fossil"] == 1.0


# --- bad data files -----------------------------------------------------------------------------

@pytest.mark.parametrize("relative, old, new, where, value, expected", [
    ("inventories/casting/ingot-global.yaml", "electricity-grid-world-2021, amount: 53, unit: kWh",
     "electricity-grid-world-2021, amount: 0.053, unit: MWh", "exchanges[4].unit", "MWh", "one of"),
    ("inventories/mining/bauxite-global.yaml", "amount: 1.5, unit: kWh}", "amount: 1.5, unit: MJ}",
     "unit", "MJ", "'kWh', the unit of electricity-grid-world-2021"),
    ("inventories/casting/ingot-global.yaml", "{input: fuel-diesel-burned, amount: 21",
     "{input: fuel-dieselx-burned, amount: 21", ".input", "fuel-dieselx-burned", "the code of a bundled process"),
    ("inventories/electrolysis/prebake-cn.yaml", 'formula: "0.42 * (1 - 0.02 - 0.004) * 44/12 * 1000"',
     'formula: "__import__(1)"', "formula", "__import__(1)", "arithmetic on numbers only"),
    ("inventories/casting/ingot-global.yaml", "  source: {ref: S13,", "  source: {ref: S99,",
     "exchanges[0].source", "S99", "key of inventories/sources.yaml"),
    ("inventories/casting/ingot-global.yaml", "confidence: secondary", "confidence: sure",
     "exchanges[0].confidence", "sure", "one of"),
    ("inventories/fuels/coal-burned.yaml", 'formula: "1.5 / 1e6"', 'formula: "-1.5 / 1e6"',
     "exchanges[3].amount", "-1.5e-06", "a finite number >= 0"),
])
def test_bad_inventory_file_names_file_field_value_expected(data_copy, relative, old, new, where, value, expected):
    inv, meth, _ = data_copy(relative, old, new)
    with pytest.raises(DataError) as caught:
        load_inventory(inv, meth)
    message = str(caught.value)
    assert Path(relative).name in caught.value.file
    assert where in caught.value.where
    assert value in message and expected in message


def test_bad_yaml_gives_line(data_copy):
    inv, meth, _ = data_copy("inventories/casting/ingot-global.yaml", "exchanges:", "exchanges: [")
    with pytest.raises(DataError) as caught:
        load_inventory(inv, meth)
    assert "ingot-global.yaml" in caught.value.file and "line" in caught.value.where
