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
