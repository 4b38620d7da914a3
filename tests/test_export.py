"""The Brightway project is one a Brightway user can open (issue 8): every route and a
declaration are activities, and a plain bw2calc LCA with greenal's methods gives greenal's
result (bw2data stores float32 amounts, hence 1e-6)."""
from pathlib import Path

import pytest

from greenal import api

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_routes_and_a_declaration_compute_the_same_in_plain_brightway(engine, data_dir):
    import bw2calc
    import bw2data

    keys = api.export_brightway(EXAMPLES / "guangxi-smelter.yaml", data_dir)
    result = api.declaration_footprint(EXAMPLES / "guangxi-smelter.yaml", data_dir)
    expected = {code: engine.route_footprint(code) for code in api.routes()}
    expected[result.location.name], expected[result.market.name] = result.location, result.market
    assert set(keys) == set(expected)
    for name, key in keys.items():
        for gwp in ("ar5", "ar6"):
            node = bw2data.get_node(database=key[0], code=key[1])
            functional_unit, data_objs, _ = bw2data.prepare_lca_inputs({node: 1}, method=("greenal", "GWP100", gwp))
            lca = bw2calc.LCA(functional_unit, data_objs=data_objs)
            lca.lci()
            lca.lcia()
            assert lca.score == pytest.approx(expected[name].total_co2e_kg(gwp), rel=1e-6), (name, gwp)
    # exporting again replaces the foreground database; the bundled databases stay
    assert api.export_brightway(None, data_dir).keys() == api.routes().keys()
    assert {"greenal-biosphere", "greenal-inventories", "greenal-foregrounds"} <= set(bw2data.databases)


# --- openLCA JSON-LD ---------------------------------------------------------------------------

def _olca_score(zip_path, system_name: str, method_code: str, gwp_name: str) -> float:
    """The GWP score of a product system, computed from the zip alone: every process of the zip
    is a column of the technosphere matrix (its reference output +1 in its own unit), every
    input a -amount in the row of its default provider's product, converted with the unit
    groups' factors; elementary exchanges fill the biosphere matrix in kg; the impact category
    gives the factors. Solve A s = f, then score = c . B s (Heijungs & Suh 2002, eq. 2.13)."""
    import numpy as np
    import olca_schema as o
    from olca_schema import zipio
    from scipy.sparse import csc_matrix
    from scipy.sparse.linalg import spsolve

    with zipio.ZipReader(zip_path) as reader:
        factor = {u.id: u.conversion_factor for g in reader.read_each(o.UnitGroup) for u in g.units}
        processes = list(reader.read_each(o.Process))
        flows = {f.id: f for f in reader.read_each(o.Flow)}
        systems = {s.name: s for s in reader.read_each(o.ProductSystem)}
        category = next(c for c in reader.read_each(o.ImpactCategory) if c.name == f"{gwp_name} (greenal)")
    col = {p.id: j for j, p in enumerate(processes)}
    elementary = sorted(f for f, flow in flows.items() if flow.flow_type == o.FlowType.ELEMENTARY_FLOW)
    row_b = {f: i for i, f in enumerate(elementary)}
    a_rows, a_cols, a_vals, b_rows, b_cols, b_vals = [], [], [], [], [], []
    for p in processes:
        j = col[p.id]
        ref = next(e for e in p.exchanges if e.is_quantitative_reference)
        ref_amount = ref.amount * factor[ref.unit.id]  # in the group's reference unit
        for e in p.exchanges:
            amount = e.amount * factor[e.unit.id] / ref_amount  # per reference unit of the product
            if e.is_quantitative_reference:
                a_rows.append(j), a_cols.append(j), a_vals.append(1.0)
            elif flows[e.flow.id].flow_type == o.FlowType.ELEMENTARY_FLOW:
                b_rows.append(row_b[e.flow.id]), b_cols.append(j), b_vals.append(amount * (-1 if e.is_input else 1))
            else:
                provider = e.default_provider.id
                assert next(x for x in processes[col[provider]].exchanges
                            if x.is_quantitative_reference).flow.id == e.flow.id
                a_rows.append(col[provider]), a_cols.append(j), a_vals.append(-amount if e.is_input else amount)
    n = len(processes)
    a = csc_matrix((a_vals, (a_rows, a_cols)), shape=(n, n))
    b = csc_matrix((b_vals, (b_rows, b_cols)), shape=(len(elementary), n))
    c = np.zeros(len(elementary))
    for f in category.impact_factors:
        c[row_b[f.flow.id]] += f.value / factor[f.unit.id]  # per kg
    system = systems[system_name]
    demand = np.zeros(n)  # columns are per reference unit of each product's unit group (kg, MJ, t*km)
    demand[col[system.ref_process.id]] = system.target_amount * factor[system.target_unit.id]
    supply = spsolve(a, demand)
    return float(c @ (b @ supply))


def test_openlca_zip_recomputes_greenal_results(engine, data_dir, tmp_path):
    import olca_schema as o
    from olca_schema import zipio

    out = tmp_path / "greenal.zip"
    summary = api.export_olca(out, EXAMPLES / "guangxi-smelter.yaml", data_dir)
    result = api.declaration_footprint(EXAMPLES / "guangxi-smelter.yaml", data_dir)
    expected = {code: engine.route_footprint(code) for code in api.routes()}
    expected[result.location.name], expected[result.market.name] = result.location, result.market
    assert set(summary.systems) == set(expected)
    inventory = engine.inventory
    for name in ("cn-average", result.location.name, result.market.name, *list(api.routes())[1:3]):
        for gwp in ("ar5", "ar6"):
            score = _olca_score(out, name, gwp, inventory.methods[gwp].name)
            assert score == pytest.approx(expected[name].total_co2e_kg(gwp), rel=1e-9), (name, gwp)
    with zipio.ZipReader(out) as reader:
        assert reader.read(o.Flow, "349b29d1-3e58-4c66-98b9-9d1a076efd2e").name == "Carbon dioxide, fossil"
        units = {u.name for g in reader.read_each(o.UnitGroup) for u in g.units}
        properties = {p.name for p in reader.read_each(o.FlowProperty)}
        processes = reader.ids_of(o.Process)
    assert {"kg", "t", "MJ", "kWh", "t*km"} <= units
    assert {"Mass", "Energy", "Goods transport (mass*distance)"} <= properties
    assert len(processes) >= len(inventory.processes)


def test_openlca_export_refuses_a_bad_output_name_before_any_work(tmp_path):
    from greenal.errors import InputError

    with pytest.raises(InputError, match="ending in .zip"):
        api.export_olca(tmp_path / "out.json")
    with pytest.raises(InputError, match="existing folder"):
        api.export_olca(tmp_path / "missing" / "out.zip")
    assert list(tmp_path.iterdir()) == []


def test_biosphere3_mapping_is_in_the_data():
    """Every flow names its ecoinvent biosphere3 flow; flows without a public UUID are marked
    unmapped and carry greenal's own uuid5 (so the UUID is reproducible from the code)."""
    import uuid

    from greenal.inventory import bundled_inventory
    from greenal.lca.olca import biosphere_uuid

    flows = bundled_inventory().flows
    for code, flow in flows.items():
        b3 = flow.biosphere3
        assert b3 and uuid.UUID(b3["uuid"]), code
        if b3.get("mapped", True):
            assert b3["source"]["ref"] in bundled_inventory().sources and b3["confidence"] in ("source", "secondary")
        else:
            assert b3["uuid"] == biosphere_uuid(code), code
    assert flows["co2-fossil"].biosphere3["uuid"] == "349b29d1-3e58-4c66-98b9-9d1a076efd2e"
    assert len({f.biosphere3["uuid"] for f in flows.values()}) == len(flows)


def test_cli_export_olca_jsonld(tmp_path, data_dir, engine):
    from click.testing import CliRunner

    from greenal.cli import main
    from greenal.errors import InputError

    out = tmp_path / "greenal.zip"
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "export", "--format", "olca-jsonld",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and f"wrote {out}" in result.output
    assert all(f"product system: {code}" in result.output for code in api.routes())
    refused = CliRunner().invoke(main, ["--data-dir", str(data_dir), "export", "--format", "olca-jsonld"])
    assert isinstance(refused.exception, InputError) and refused.exception.where == "--out"


def test_brightway_biosphere_flows_carry_their_biosphere3_mapping(engine, data_dir):
    import bw2data

    from greenal.lca import bw

    bw.ensure_project(engine.inventory, data_dir)
    node = bw2data.get_node(database=bw.BIOSPHERE_DB, code="ch4-fossil")
    assert node["biosphere3"]["uuid"] == "0795345f-c7ae-410c-ad25-1845784c75f5"
    assert node["biosphere3"]["name"] == "Methane, fossil"


def test_every_reference_in_the_openlca_zip_resolves(engine, data_dir, tmp_path):
    """What openLCA needs to import the zip whole: each entity a reference names is in it."""
    import json
    import zipfile

    out = tmp_path / "greenal.zip"
    api.export_olca(out, None, data_dir)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert json.loads(z.read("olca-schema.json")) == {"version": 2}
        entities = {name.split("/")[-1].removesuffix(".json"): json.loads(z.read(name))
                    for name in names if "/" in name}
    units = {u["@id"] for e in entities.values() if e.get("@type") == "UnitGroup" for u in e["units"]}
    refs = []

    def walk(node):
        if isinstance(node, dict):
            if "@id" in node and "@type" in node and node is not None:
                refs.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for entity in entities.values():
        for key, value in entity.items():
            if key not in ("@id", "@type"):
                walk(value)
    assert refs
    missing = [r for r in refs if r["@id"] not in entities and not (r["@type"] == "Unit" and r["@id"] in units)]
    assert not missing, missing[:3]
