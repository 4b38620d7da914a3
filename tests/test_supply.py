"""Through the supply chain: supplier footprints, mixed and alloyed products, semi-finished
products with their scrap loops, per-shipment answers and the claims ledger. Expected values are
computed here by hand from the inventories' sourced numbers (EA EPR 2018 remelting, AA
post-consumer recycling, US DMFA extrusion) and the per-unit factors of the background."""
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from greenal.errors import InputError
from greenal.supply.footprints import pact_validator, read_pact
from greenal.supply.ledger import Ledger
from greenal.supply.pact import product_pact
from greenal.supply.products import product_footprint, read_product

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "supply"
SUPPLIER_PACT = EXAMPLES / "suppliers" / "yunnan-smelter-billet.pact.json"
GWP = "ar6"


def unit_co2e(engine, code: str) -> float:
    """kg CO2e per unit of a background process (fuel burned, grid kWh): the factorised background."""
    cf = np.array([engine.inventory.methods[GWP].factors[f] for f in engine.inventory.flow_codes])
    return float(engine.unit_inventories[engine.background_index[code]] @ cf)


def supplier_pact(tmp_path: Path, kg_per_kg: str, name="primary.pact.json", unit_amount="1") -> Path:
    document = json.loads(SUPPLIER_PACT.read_text())
    document["pcf"].update({"declaredUnitAmount": unit_amount, "productMassPerDeclaredUnit": unit_amount,
                            "pcfExcludingBiogenicUptake": kg_per_kg, "pcfIncludingBiogenicUptake": kg_per_kg,
                            "fossilGhgEmissions": kg_per_kg})
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def product_file(tmp_path: Path, product: dict, charge=None, suppliers=(), alloying=None, name="p.yaml") -> Path:
    data = {"schema_version": 1,
            "producer": {"name": "Test mill", "uscc": "91440600MA4W0EXA2C", "province": "guangdong"},
            "period": {"start": "2024-01-01", "end": "2024-12-31"},
            "product": {"annual_output_t": 1000, "grid": "guangdong", **product},
            "suppliers": list(suppliers)}
    if charge is not None:
        data["charge"] = charge
    if alloying:
        data["alloying_kg_per_t"] = alloying
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


ELECTRICITY_KG_PER_KWH = 0.25
POWER = {"id": "ppa", "input": "electricity", "kg_co2e_per_kwh": ELECTRICITY_KG_PER_KWH,
         "evidence": "PPA 2024-017 with plant-level verification"}


# --- mixed product ---------------------------------------------------------------------------

def test_mixed_product_post_consumer_scrap_and_supplier_primary_by_hand(engine, tmp_path):
    """Billet from 75 % post-consumer scrap and 25 % primary ingot at the supplier's PACT footprint
    (3.8 kg CO2e per kg), 5 kg Mg per t, on supplier-specific power."""
    pact = supplier_pact(tmp_path, "3.8")
    path = product_file(tmp_path, {"id": "b75", "kind": "billet", "casting": "own", "electricity_supplier": "ppa"},
                        charge=[{"material": "post-consumer-scrap", "share": 0.75},
                                {"material": "primary-ingot", "share": 0.25, "supplier": "smelter"}],
                        suppliers=[{"id": "smelter", "input": "primary-ingot", "pact": pact.name}, POWER],
                        alloying={"mg": 5})
    result = product_footprint(engine, read_product(path))

    # melt processes: post-consumer scrap 1.048 t/t with 110.32 + 115.25 kWh and (0.90 + 4.78) GJ NG
    # (AA, recycling-post-consumer); primary ingot remelted at 1.019 t/t with 3093 MJ NG, 71 MJ HFO,
    # 47 MJ diesel, 150 kWh (EA EPR 2018, remelting-process-scrap)
    bought = 1 / (0.75 / 1.048 + 0.25 / 1.019)  # t of charge per t of billet
    cast_post, cast_primary = 0.75 * bought / 1.048, 0.25 * bought / 1.019
    assert cast_post + cast_primary == pytest.approx(1.0)
    kwh = (110.32 + 115.25) * cast_post + 150 * cast_primary
    ng_mj = (0.90 + 4.78) * 1000 * cast_post + 3093 * cast_primary
    fuels = (ng_mj * unit_co2e(engine, "fuel-natural-gas-burned") + 71 * cast_primary * unit_co2e(
        engine, "fuel-heavy-fuel-oil-burned") + 47 * cast_primary * unit_co2e(engine, "fuel-diesel-burned"))
    primary = 0.25 * bought * 3800.0
    mg = 5 / 1000 * engine.inventory.processes["material-alloying-mg"].emissions[0].amount
    expected_market = primary + kwh * ELECTRICITY_KG_PER_KWH + fuels + mg
    assert result.market.total_co2e_kg(GWP) == pytest.approx(expected_market, rel=1e-9)
    grid = unit_co2e(engine, "electricity-lc-cn-guangdong-2023")
    assert result.location.total_co2e_kg(GWP) == pytest.approx(expected_market + kwh * (grid - ELECTRICITY_KG_PER_KWH),
                                                               rel=1e-9)
    # ISO 14021 shares of the metal bought; post-consumer scrap burden-free (cut-off)
    assert result.recycled_content_pct["post_consumer"] == pytest.approx(75.0)
    assert result.recycled_content_pct["pre_consumer"] == 0
    summary = result.summary(GWP)
    assert summary["supplier_specific_share_pct"] == pytest.approx(
        100 * (primary + kwh * ELECTRICITY_KG_PER_KWH) / expected_market, rel=1e-9)
    bases = {i["input"]: i["basis"] for i in summary["inputs"]}
    assert bases["primary-ingot"] == "supplier-specific" and bases["electricity"] == "supplier-specific"
    assert bases["alloying element mg"] == "default"


def test_pre_consumer_scrap_follows_the_declared_rule(engine, tmp_path):
    charge = [{"material": "pre-consumer-scrap", "share": 0.4}, {"material": "primary-ingot", "share": 0.6}]
    cut = product_footprint(engine, read_product(product_file(
        tmp_path, {"id": "a", "kind": "ingot", "casting": "own"}, charge=charge, name="a.yaml")))
    primary = product_footprint(engine, read_product(product_file(
        tmp_path, {"id": "b", "kind": "ingot", "casting": "own", "recycled_content_rule": "pre-consumer-primary"},
        charge=charge, name="b.yaml")))
    # pre-consumer-primary: the 0.4 share of the charge carries the default primary ingot's footprint
    bought = 1 / (1 / 1.019)
    ingot = engine.route_footprint("cn-average").total_co2e_kg(GWP)
    difference = primary.market.total_co2e_kg(GWP) - cut.market.total_co2e_kg(GWP)
    assert difference == pytest.approx(0.4 * bought * ingot, rel=1e-6)
    assert cut.recycled_content_pct["pre_consumer"] == pytest.approx(40.0)


# --- PACT in, PACT out -------------------------------------------------------------------------

def test_pact_in_pact_out_round_trip_keeps_the_numbers(engine, tmp_path):
    """A billet bought and sold as it is: the supplier's 4,250 kg CO2e per 1,000 kg comes back out."""
    found = read_pact(SUPPLIER_PACT, "yn", "billet")
    assert found.kg_co2e_per_unit == pytest.approx(4250.0)
    assert found.geography == "CN-YN" and str(found.period_start) == "2024-01-01"
    path = product_file(tmp_path, {"id": "resold", "kind": "billet", "casting": "bought", "metal_supplier": "yn"},
                        suppliers=[{"id": "yn", "input": "billet", "pact": str(SUPPLIER_PACT)}])
    result = product_footprint(engine, read_product(path))
    document = product_pact(result, GWP)
    assert document["pcf"]["pcfExcludingBiogenicUptake"] == "4250.000"
    assert document["pcf"]["primaryDataShare"] == "100.0"
    validator = pact_validator()
    if validator is not None:
        assert list(validator.iter_errors(document)) == []
    out = tmp_path / "out.pact.json"
    out.write_text(json.dumps(document))
    again = read_pact(out, "resold", "billet")
    assert again.kg_co2e_per_unit == pytest.approx(found.kg_co2e_per_unit, rel=1e-12)
    assert (again.period_start, again.geography) == (found.period_start, "CN-GD")
    # per-kg declared units convert: 4.25 kg CO2e per 1 kg is 4,250 kg per t
    assert read_pact(supplier_pact(tmp_path, "4.25"), "x", "billet").kg_co2e_per_unit == pytest.approx(4250.0)


def test_invalid_supplier_pact_is_refused_naming_the_field(tmp_path):
    if pact_validator() is None:
        pytest.skip("PACT v3 OpenAPI file not at hand")
    document = json.loads(SUPPLIER_PACT.read_text())
    del document["companyName"]
    bad = tmp_path / "bad.pact.json"
    bad.write_text(json.dumps(document))
    with pytest.raises(InputError, match="companyName"):
        read_pact(bad, "x", "billet")
    document = json.loads(SUPPLIER_PACT.read_text())
    document["pcf"]["declaredUnitOfMeasurement"] = "kilowatt hour"
    bad.write_text(json.dumps(document))
    with pytest.raises(InputError, match="declaredUnitOfMeasurement"):
        read_pact(bad, "x", "billet")


def test_declared_supplier_footprint_needs_evidence(tmp_path):
    path = product_file(tmp_path, {"id": "x", "kind": "billet", "casting": "bought", "metal_supplier": "s"},
                        suppliers=[{"id": "s", "input": "billet", "kg_co2e_per_t": 5000}])
    with pytest.raises(InputError, match="evidence"):
        read_product(path)


# --- semi-finished products -------------------------------------------------------------------

def test_extrusion_route_by_hand_with_run_around_scrap(engine, tmp_path):
    """Extrusion (US DMFA: 5.899 MJ/kg-in, 52.7 % NG, 47.3 % electricity, yield 0.739) from billet cast
    in the extruder's casthouse from supplier primary ingot (6,000 kg/t) and its own returned scrap."""
    path = product_file(tmp_path, {"id": "ext", "kind": "extrusion", "casting": "own", "electricity_supplier": "ppa"},
                        charge=[{"material": "primary-ingot", "share": 1.0, "supplier": "s"}],
                        suppliers=[{"id": "s", "input": "primary-ingot", "kg_co2e_per_t": 6000,
                                    "evidence": "verified PCF 2024"}, POWER])
    result = product_footprint(engine, read_product(path))
    y = 0.739
    billet = 1 / y  # t billet per t profile
    scrap = billet - 1  # run-around: back to the casthouse, remelted (1.019 t per t, EA EPR 2018)
    cast_from_scrap = scrap / 1.019
    bought_ingot = (billet - cast_from_scrap) * 1.019
    extrusion_mj = 5.899 * 1000 * billet
    kwh = extrusion_mj * 0.473 / 3.6 + 150 * billet  # the whole billet is cast from solid charge
    ng_mj = extrusion_mj * 0.527 + 3093 * billet
    expected = (bought_ingot * 6000 + kwh * ELECTRICITY_KG_PER_KWH
                + ng_mj * unit_co2e(engine, "fuel-natural-gas-burned")
                + 71 * billet * unit_co2e(engine, "fuel-heavy-fuel-oil-burned")
                + 47 * billet * unit_co2e(engine, "fuel-diesel-burned"))
    assert result.market.total_co2e_kg(GWP) == pytest.approx(expected, rel=1e-9)
    assert result.mass_balance_t_per_t["process_scrap_t_per_t"] == pytest.approx(scrap)
    assert result.mass_balance_t_per_t["bought_charge_t_per_t"] == pytest.approx(bought_ingot)
    # the run-around scrap carries no primary burden: metal bought is 1 t plus melt losses only
    assert bought_ingot == pytest.approx(1 + 0.019 * billet)
    # anodising adds 2.78 kWh/kg (Phylipsen & Alsema 1995) on the same power
    anodised = product_footprint(engine, read_product(product_file(
        tmp_path, {"id": "ext-a", "kind": "extrusion", "casting": "own", "electricity_supplier": "ppa",
                   "anodised": True},
        charge=[{"material": "primary-ingot", "share": 1.0, "supplier": "s"}],
        suppliers=[{"id": "s", "input": "primary-ingot", "kg_co2e_per_t": 6000, "evidence": "verified PCF 2024"},
                   POWER],
        name="a.yaml")))
    assert anodised.market.total_co2e_kg(GWP) - expected == pytest.approx(2780 * ELECTRICITY_KG_PER_KWH, rel=1e-9)


def test_bought_billet_extrusion_example(engine):
    result = product_footprint(engine, read_product(EXAMPLES / "guangdong-extruder.yaml"))
    summary = result.summary(GWP)
    by_stage = summary["by_stage_kg_co2e_per_t"]
    assert by_stage["casting"] == pytest.approx(4250.0 / 0.739, rel=1e-9)  # 1/yield t of supplier billet
    bases = {i["input"]: i["basis"] for i in summary["inputs"]}
    assert bases == {"billet": "supplier-specific", "electricity": "default"}
    for example in ("guangdong-extruder-own-casthouse.yaml", "foil-rolling-mill.yaml"):
        assert product_footprint(engine, read_product(EXAMPLES / example)).market.total_co2e_kg(GWP) > 0


# --- the ledger ---------------------------------------------------------------------------------

def test_ledger_refuses_an_overdraw_naming_the_shipments():
    ledger = Ledger()
    ledger.add("P", "billet", "2024", 100.0, "S1", "2024-01-05", 60.0)
    ledger.add("P", "billet", "2024", 100.0, "S3", "2024-03-01", 30.0)
    ledger.add("P", "billet", "2024", 100.0, "S2", "2024-02-01", 30.0)  # booked before S3 by date
    with pytest.raises(InputError) as err:
        ledger.check("shipments.csv")
    message = str(err.value)
    assert "120 t claimed" in message and "at most 100 t" in message
    assert "S3" in message and "S2" not in message.split("Overdrawn by")[1]
    ok = Ledger()
    ok.add("P", "billet", "2024", 100.0, "S1", "2024-01-05", 100.0)
    ok.check("shipments.csv")


# --- the command line -----------------------------------------------------------------------------

@pytest.fixture
def greenal(data_dir, run_cli):
    """The console script's entry point in-process, on the session's data dir."""
    def run(*args, status=0):
        result = run_cli("--data-dir", data_dir, *args)
        assert result.returncode == status, result.stderr
        assert "Traceback" not in result.stderr
        return result
    return run


PRODUCT_ARGS = [arg for f in ("guangdong-extruder.yaml", "guangdong-extruder-own-casthouse.yaml",
                              "foil-rolling-mill.yaml") for arg in ("--product", str(EXAMPLES / f))]
HEADER = "shipment_id,customer,product,cn_code,mass_t,delivery_date,claimed_low_carbon_t\n"
GOOD = "A1,Buyer,fs-6063-profile-75r,76042100,10,2024-03-01,\n"


def test_shipments_cli_writes_every_output(greenal, engine, tmp_path):
    out = tmp_path / "out"
    greenal("shipments", str(EXAMPLES / "shipments.csv"), *PRODUCT_ARGS, "--out", str(out))
    rows = list(__import__("csv").DictReader((out / "shipments.csv").open()))
    assert [r["shipment_id"] for r in rows] == ["FS-24-0001", "FS-24-0002", "HN-24-0107", "FS-24-0003"]
    expected = product_footprint(engine, read_product(EXAMPLES / "guangdong-extruder-own-casthouse.yaml"))
    assert float(rows[1]["market_based_t_co2e"]) == pytest.approx(18.0 * expected.market.total_co2e_kg(GWP) / 1000,
                                                                  rel=1e-9)
    document = json.loads((out / "pact" / "fs-6063-profile-75r.pact.json").read_text())
    assert document["extensions"][0]["data"]["shipments"] == ["FS-24-0002", "FS-24-0003"]
    assert (out / "shipments.xlsx").is_file() and (out / "cbam.csv").is_file() and (out / "ledger.csv").is_file()


SEMIS_ARGS = [arg for f in ("yunnan-wire-rod-mill.yaml", "guangdong-die-caster.yaml", "foil-rolling-mill.yaml")
              for arg in ("--product", str(EXAMPLES / f))]


def test_shipments_write_valid_pact_documents_and_the_cbam_split(greenal, engine, tmp_path):
    """Every PACT document written validates against the PACT v3 OpenAPI schema and lists its
    shipments; the CBAM summary per CN code and installation is the mass-weighted split."""
    from greenal.supply.cbam import cbam_split

    path = tmp_path / "ship.csv"
    path.write_text(HEADER + "R1,Cable Co,yn-ec-rod-9.5,76051100,24,2024-02-01,24\n"
                    "R2,Cable Co,yn-ec-rod-9.5,76051100,16,2024-03-01,\n"
                    "C1,Auto Co,dg-adc12-housing,76169990,3.5,2024-04-01,\n"
                    "F1,Pack Co,hn-8011-foil,76071111,20,2024-05-01,\n")
    out = tmp_path / "out"
    greenal("shipments", str(path), *SEMIS_ARGS, "--out", str(out))
    documents = {p.name: json.loads(p.read_text()) for p in (out / "pact").glob("*.pact.json")}
    assert sorted(documents) == ["dg-adc12-housing.pact.json", "hn-8011-foil.pact.json", "yn-ec-rod-9.5.pact.json"]
    assert documents["yn-ec-rod-9.5.pact.json"]["extensions"][0]["data"]["shipments"] == ["R1", "R2"]
    validator = pact_validator()
    if validator is None:
        pytest.skip("PACT v3 OpenAPI file not at hand: the written documents were not validated")
    for name, document in documents.items():
        assert [e.message for e in validator.iter_errors(document)] == [], name
    rows = {(r["cn_code"], r["installation"]): r for r in __import__("csv").DictReader((out / "cbam.csv").open())}
    rod = read_product(EXAMPLES / "yunnan-wire-rod-mill.yaml")
    split = cbam_split(engine, rod)
    entry = rows[("76051100", rod.producer["name"])]
    assert float(entry["mass_t"]) == 40.0
    assert float(entry["direct_t_co2e"]) == pytest.approx(40 * split.direct_t_per_t, rel=1e-9)
    assert float(entry["indirect_t_co2e"]) == pytest.approx(40 * split.indirect_t_per_t, rel=1e-9)
    assert float(entry["direct_t_co2e_per_t"]) == pytest.approx(split.direct_t_per_t, rel=1e-9)
    assert set(rows) == {("76051100", rod.producer["name"]),
                         ("76169990", read_product(EXAMPLES / "guangdong-die-caster.yaml").producer["name"]),
                         ("76071111", read_product(EXAMPLES / "foil-rolling-mill.yaml").producer["name"])}


BAD_ROWS = {
    "unknown product": ("A2,Buyer,no-such-product,76042100,10,2024-03-01,\n", "column product"),
    "zero mass": ("A2,Buyer,fs-6063-profile-75r,76042100,0,2024-03-01,\n", "column mass_t"),
    "negative mass": ("A2,Buyer,fs-6063-profile-75r,76042100,-5,2024-03-01,\n", "column mass_t"),
    "duplicate id": ("A1,Buyer,fs-6063-profile-75r,76042100,5,2024-03-01,\n", "column shipment_id"),
    "CN code outside 76 / 2818": ("A2,Buyer,fs-6063-profile-75r,72081000,5,2024-03-01,\n", "column cn_code"),
    "date outside the period": ("A2,Buyer,fs-6063-profile-75r,76042100,5,2025-02-01,\n", "column delivery_date"),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_every_bad_row_class_exits_2_naming_file_row_column(greenal, tmp_path, case):
    line, column = BAD_ROWS[case]
    path = tmp_path / "ship.csv"
    path.write_text(HEADER + GOOD + line)
    out = tmp_path / "out"
    result = greenal("shipments", str(path), *PRODUCT_ARGS, "--out", str(out), status=2)
    assert str(path) in result.stderr and "row 3" in result.stderr and column in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())


def test_overdrawn_claims_exit_2_naming_shipments_and_write_nothing(greenal, tmp_path):
    # fs-6063-profile-75r declares 8,000 t for 2024
    path = tmp_path / "ship.csv"
    path.write_text(HEADER + "A1,B,fs-6063-profile-75r,76042100,5000,2024-03-01,5000\n"
                    "A2,B,fs-6063-profile-75r,76042100,2500,2024-05-01,2500\n"
                    "A3,B,fs-6063-profile-75r,76042100,1000,2024-04-01,1000\n")
    out = tmp_path / "out"
    result = greenal("shipments", str(path), *PRODUCT_ARGS, "--out", str(out), status=2)
    assert "8000 t" in result.stderr and "Overdrawn by shipments A2" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_bad_row_in_a_workbook_names_the_cell(greenal, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "shipments"
    sheet.append(HEADER.strip().split(","))
    sheet.append(["A1", "Buyer", "fs-6063-profile-75r", "76042100", 10, "2024-03-01", None])
    sheet.append(["A2", "Buyer", "fs-6063-profile-75r", "76042100", -1, "2024-03-01", None])
    path = tmp_path / "ship.xlsx"
    book.save(path)
    result = greenal("shipments", str(path), *PRODUCT_ARGS, "--out", str(tmp_path / "out"), status=2)
    assert "sheet 'shipments' row 3, column mass_t (cell E3)" in result.stderr


# --- supplier-specific alumina in a smelter declaration ---------------------------------------

def test_smelter_declaration_takes_a_suppliers_alumina_footprint(engine):
    from conftest import potline_declaration
    from greenal.lca.engine import Foreground
    from greenal.model.site import declaration_footprint

    default = declaration_footprint(engine, potline_declaration(14000, 100_000, "guangxi"))
    supplied = declaration_footprint(engine, potline_declaration(
        14000, 100_000, "guangxi", product__alumina_supplier_kg_co2e_per_t=900.0,
        product__alumina_supplier_evidence="refinery PCF verification 2024-11"))
    route = engine.inventory.routes["cn-average"]
    alumina = engine.footprint(Foreground("alumina", "t", tuple(
        engine.chain_rows("refining-alumina-cn-diasporic", route)))).total_co2e_kg(GWP)
    tonnes = next(e.amount for e in engine.inventory.processes["electrolysis-prebake-cn"].inputs
                  if e.target == "refining-alumina-cn-diasporic")  # alumina per t Al, not declared here
    for basis in ("location", "market"):
        before, after = getattr(default, basis), getattr(supplied, basis)
        change = after.total_co2e_kg(GWP) - before.total_co2e_kg(GWP)
        assert change == pytest.approx(tonnes * (900.0 - alumina), rel=1e-9)
    assert supplied.market.co2e_kg_by("source", GWP)["supplier-specific"] == pytest.approx(tonnes * 900.0)
    assert any("alumina: supplier-specific" in note for note in supplied.notes)
    with pytest.raises(InputError, match="evidence"):
        declaration_footprint(engine, potline_declaration(14000, 100_000, "guangxi",
                                                          product__alumina_supplier_kg_co2e_per_t=900.0))


def test_supplier_period_outside_the_products_is_noted(engine, tmp_path):
    pact = supplier_pact(tmp_path, "4.0")
    document = json.loads(pact.read_text())
    document["pcf"].update({"referencePeriodStart": "2021-01-01T00:00:00Z",
                            "referencePeriodEnd": "2022-01-01T00:00:00Z"})
    pact.write_text(json.dumps(document))
    path = product_file(tmp_path, {"id": "old", "kind": "billet", "casting": "bought", "metal_supplier": "s"},
                        suppliers=[{"id": "s", "input": "billet", "pact": pact.name}])
    notes = product_footprint(engine, read_product(path)).notes
    assert any("outside the product's period" in n for n in notes)
    assert any("characterised with AR6" in n for n in notes)


def test_unreadable_shipment_files_are_refused_by_row(engine, tmp_path):
    from greenal.supply.shipments import run_shipments

    products = [EXAMPLES / "guangdong-extruder-own-casthouse.yaml"]
    text = tmp_path / "latin1.csv"
    text.write_bytes((HEADER + GOOD).encode() + "A2,Büyer,fs-6063-profile-75r,7604,1,2024-03-01,\n".encode("latin-1"))
    with pytest.raises(InputError, match="row 3"):
        run_shipments(engine, text, products)
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a workbook")
    with pytest.raises(InputError, match="readable .xlsx"):
        run_shipments(engine, broken, products)
    missing = tmp_path / "columns.csv"
    missing.write_text("shipment_id,customer,product\nA1,B,fs-6063-profile-75r\n")
    with pytest.raises(InputError, match="header"):
        run_shipments(engine, missing, products)


def test_liquid_metal_delivered_hot_is_cast_without_remelting(engine, tmp_path):
    """铝液直供: the casthouse casts liquid metal (IAI 2015 casting: 1.000 t per t, 832 MJ NG,
    51 MJ HFO, 21 MJ diesel, 53 kWh); no remelting energy."""
    path = product_file(tmp_path, {"id": "hot", "kind": "ingot", "casting": "own", "electricity_supplier": "ppa"},
                        charge=[{"material": "liquid-metal", "share": 1.0, "supplier": "pot"}],
                        suppliers=[{"id": "pot", "input": "liquid-metal", "kg_co2e_per_t": 11000,
                                    "evidence": "potline PCF 2024"}, POWER])
    result = product_footprint(engine, read_product(path))
    expected = (1.0 * 11000 + 53 * ELECTRICITY_KG_PER_KWH + 832 * unit_co2e(engine, "fuel-natural-gas-burned")
                + 51 * unit_co2e(engine, "fuel-heavy-fuel-oil-burned") + 21 * unit_co2e(engine, "fuel-diesel-burned"))
    assert result.market.total_co2e_kg(GWP) == pytest.approx(expected, rel=1e-9)


def test_a_greenal_result_file_stands_for_its_product_only(engine, tmp_path):
    from conftest import potline_declaration
    from greenal.model.site import declaration_footprint
    from greenal.report.summary import declaration_document
    from greenal.supply.footprints import read_greenal_result

    refinery = declaration_footprint(engine, __import__("greenal").read_declaration(
        ROOT / "examples" / "guangxi-alumina-refinery.yaml"))
    result_file = tmp_path / "refinery.json"
    result_file.write_text(json.dumps(declaration_document(refinery, GWP), default=str, ensure_ascii=False))
    found = read_greenal_result(result_file, "gx", "alumina")
    assert found.kg_co2e_per_unit == pytest.approx(refinery.market.total_co2e_kg(GWP), rel=1e-12)
    with pytest.raises(InputError, match="greenal result for anode"):
        read_greenal_result(result_file, "gx", "anode")
    declaration = potline_declaration(14000, 100_000, "guangxi", product__alumina_supplier_file=str(result_file))
    supplied = declaration_footprint(engine, declaration)
    tonnes = next(e.amount for e in engine.inventory.processes["electrolysis-prebake-cn"].inputs
                  if e.target == "refining-alumina-cn-diasporic")
    assert supplied.market.co2e_kg_by("source", GWP)["supplier-specific"] == pytest.approx(
        tonnes * found.kg_co2e_per_unit, rel=1e-12)


def test_claims_draw_on_the_declared_low_carbon_tonnage(engine, tmp_path):
    from greenal.supply.shipments import run_shipments

    product = product_file(tmp_path, {"id": "lc", "kind": "ingot", "casting": "own", "annual_output_t": 1000,
                                      "low_carbon_t": 300}, charge=[{"material": "post-consumer-scrap", "share": 1.0}])
    ok = tmp_path / "ok.csv"
    ok.write_text(HEADER + "L1,B,lc,7601,200,2024-02-01,200\nL2,B,lc,7601,100,2024-03-01,100\n")
    run = run_shipments(engine, ok, [product])
    assert run.ledger[0]["available_t"] == pytest.approx(0.0)
    over = tmp_path / "over.csv"
    over.write_text(HEADER + "L1,B,lc,7601,200,2024-02-01,200\nL2,B,lc,7601,150,2024-03-01,150\n")
    with pytest.raises(InputError, match="at most 300 t.*Overdrawn by shipments L2"):
        run_shipments(engine, over, [product])


def test_a_grid_outside_china_keeps_its_average_market_based(engine, tmp_path):
    path = product_file(tmp_path, {"id": "eu", "kind": "ingot", "casting": "own", "grid": "electricity-grid-eu27-2021"},
                        charge=[{"material": "post-consumer-scrap", "share": 1.0}])
    result = product_footprint(engine, read_product(path))
    assert result.market.total_co2e_kg(GWP) == pytest.approx(result.location.total_co2e_kg(GWP), rel=1e-12)
    assert any("no residual mix bundled" in n for n in result.notes)


def test_the_excel_form_reads_into_the_same_product(engine, tmp_path):
    import shutil

    from greenal.supply.forms import write_form

    source = EXAMPLES / "guangdong-extruder-own-casthouse.yaml"
    form = write_form(yaml.safe_load(source.read_text(encoding="utf-8")), tmp_path / "form.xlsx")
    from_yaml, from_form = read_product(source), read_product(form)
    assert {k: v for k, v in vars(from_form).items() if k != "file"} == \
        {k: v for k, v in vars(from_yaml).items() if k != "file"}
    shutil.copytree(EXAMPLES / "suppliers", tmp_path / "suppliers")
    data = yaml.safe_load((EXAMPLES / "guangdong-extruder.yaml").read_text(encoding="utf-8"))
    write_form(data, tmp_path / "bought.xlsx")
    assert read_product(tmp_path / "bought.xlsx").suppliers["yunnan-smelter"].kg_co2e_per_unit == pytest.approx(4250.0)
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["charge"][0]["share"] = 0.7  # shares no longer add up to 1
    write_form(data, tmp_path / "bad.xlsx")
    with pytest.raises(InputError, match="adding up to 1"):
        read_product(tmp_path / "bad.xlsx")
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["alloying_kg_per_t"]["mg"] = -1
    write_form(data, tmp_path / "bad.xlsx")
    with pytest.raises(InputError, match=r"sheet 'alloying' cell B2"):
        read_product(tmp_path / "bad.xlsx")


def test_a_missing_supplier_file_is_named_at_the_declarations_field(engine, tmp_path):
    """Found by the fuzzer: the error names the declaration and its field, not only the missing file."""
    import yaml

    from greenal.errors import InputError
    from greenal.model.site import declaration_footprint as compute
    from greenal.declaration.yaml_io import read_yaml

    data = yaml.safe_load((ROOT / "examples" / "guangxi-smelter.yaml").read_text(encoding="utf-8"))
    data["product"]["alumina_supplier_file"] = "own"
    path = tmp_path / "plant.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        compute(engine, read_yaml(path))
    assert caught.value.file == str(path) and caught.value.where.startswith("product.alumina_supplier_file")
