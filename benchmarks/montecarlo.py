"""Monte Carlo speed, side by side in one run: `make bench` (or `python benchmarks/montecarlo.py [N]`).

greenal: `greenal.uncertainty.monte_carlo` on examples/guangxi-smelter.yaml (both bases, verdict
probabilities, sensitivity, DQR included), N iterations (default 10,000).
bw2calc: the same system (the declaration's market-based foreground rows on top of the bundled
background) in one bw_processing datapackage with the same distributions (background stats_arrays;
foreground lines lognormal from their pedigree), `bw2calc.LCA(..., use_distributions=True)`,
N x next() reading the GWP score. bw2calc draws every exchange independently (greenal shares one
draw per declared field / exchange key), so the spreads differ somewhat; the means agree.
Target (issue 13): greenal <= 1/5 of bw2calc's time.
"""
from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from greenal import api
from greenal.uncertainty.montecarlo import Model, monte_carlo
from greenal.uncertainty.sampling import LOGNORMAL

DECLARATION = Path(__file__).resolve().parent.parent / "examples" / "guangxi-smelter.yaml"


def _distribution(spec, amount: float, dtype) -> tuple:
    """stats_arrays row for an exchange of `amount` following `spec` (relative to spec.amount)."""
    if spec.kind == LOGNORMAL:
        return (LOGNORMAL, np.log(amount), spec.scale, np.nan, np.nan, np.nan, False)
    ratio = amount / spec.amount if spec.amount else 1.0
    return (spec.kind, amount, spec.scale * ratio, np.nan, spec.minimum * ratio, spec.maximum * ratio, False)


def bw2calc_package(model: Model, gwp: str):
    """One datapackage: background + market-based foreground, with distributions, and the GWP."""
    import bw_processing as bwp

    inventory = model.inventory
    codes = inventory.background
    system = model.systems["market"]
    flow_ids = {f: 1 + i for i, f in enumerate(inventory.flow_codes)}
    bg_ids = {c: 1000 + i for i, c in enumerate(codes)}
    fg_ids = {r: 5000 + j for j, r in enumerate(system.rows)}
    tech, bio = [], []  # (row id, col id, amount, flip, distribution)
    for code in codes:
        col = bg_ids[code]
        tech.append((col, col, 1.0, False, (0, 1.0, np.nan, np.nan, np.nan, np.nan, False)))
        for k, e in enumerate(inventory.processes[code].exchanges):
            spec = next((t[2] for t in model.bg.tech + model.bg.bio if t[2].key == f"{code}#{k}"), None)
            dist = _distribution(spec, e.amount, None) if spec else (0, e.amount, np.nan, np.nan, np.nan, np.nan, False)
            if e.kind == "technosphere":
                tech.append((bg_ids[e.target], col, e.amount, True, dist))
            else:
                bio.append((flow_ids[e.target], col, e.amount, False, dist))
    for row_id in fg_ids.values():
        tech.append((row_id, row_id, 1.0, False, (0, 1.0, np.nan, np.nan, np.nan, np.nan, False)))
    for supplier, consumer, amount, key in system.links:
        tech.append((fg_ids[system.rows[supplier]], fg_ids[system.rows[consumer]], amount, True,
                     _distribution(model.specs[key], amount, None)))
    products = model.bg.products
    for row, product, amount, key, _ in system.inputs:
        tech.append((bg_ids[products[product]], fg_ids[system.rows[row]], amount, True,
                     _distribution(model.specs[key], amount, None)))
    flow_codes = inventory.flow_codes
    for row, flow, amount, key, _ in system.emissions:
        bio.append((flow_ids[flow_codes[flow]], fg_ids[system.rows[row]], amount, False,
                    _distribution(model.specs[key], amount, None)))
    package = bwp.create_datapackage(sum_intra_duplicates=True, sum_inter_duplicates=False)
    for matrix, rows in (("technosphere_matrix", tech), ("biosphere_matrix", bio)):
        package.add_persistent_vector(
            matrix=matrix, name=matrix.replace("_", "-"),
            indices_array=np.array([(r[0], r[1]) for r in rows], dtype=bwp.INDICES_DTYPE),
            data_array=np.array([r[2] for r in rows], dtype=np.float64),
            flip_array=np.array([r[3] for r in rows], dtype=bool),
            distributions_array=np.array([r[4] for r in rows], dtype=bwp.UNCERTAINTY_DTYPE))
    factors = inventory.methods[gwp].factors
    package.add_persistent_vector(
        matrix="characterization_matrix", name="gwp",
        indices_array=np.array([(flow_ids[f], flow_ids[f]) for f in flow_codes], dtype=bwp.INDICES_DTYPE),
        data_array=np.array([factors[f] for f in flow_codes], dtype=np.float64))
    return package, fg_ids[system.rows[0]]


def main() -> None:
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    gwp = "ar6"
    with tempfile.TemporaryDirectory() as tmp:
        engine = api.engine(tmp)
        result = api.declaration_footprint(DECLARATION, tmp)
        monte_carlo(engine, result, 10, seed=0, gwp=gwp)  # warm-up: imports, schemes

        start = time.perf_counter()
        mc = monte_carlo(engine, result, iterations, seed=1, gwp=gwp)
        greenal_s = time.perf_counter() - start

        from greenal.model.site import SiteModel

        site = SiteModel(engine, result.declaration)
        model = Model(engine, result, {"location": site.foreground(result.electricity.location, "l")[0],
                                       "market": site.foreground(result.electricity.market, "m")[0]})
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            import bw2calc

            start = time.perf_counter()
            package, product = bw2calc_package(model, gwp)
            lca = bw2calc.LCA({product: 1.0}, data_objs=[package], use_distributions=True, seed_override=1)
            lca.lci()
            lca.lcia()
            scores = [lca.score]
            for _ in range(iterations - 1):
                next(lca)
                scores.append(lca.score)
            bw_s = time.perf_counter() - start
            static = bw2calc.LCA({product: 1.0}, data_objs=[package])
            static.lci()
            static.lcia()
    scores = np.array(scores) / 1000
    market = mc.samples["market"]
    nominal = result.market.total_co2e_kg(gwp) / 1000
    print(f"Monte Carlo, {iterations:,} iterations of {DECLARATION.name} (market-based, t CO2e/t, {gwp.upper()})")
    print(f"  deterministic: greenal {nominal:.4f} · bw2calc static on the benchmark package {static.score / 1000:.4f}")
    print(f"  {'':10} {'seconds':>9} {'per iter':>10} {'mean':>8} {'sd':>7} {'2.5 %':>8} {'97.5 %':>8}")
    for name, seconds, values in (("greenal", greenal_s, market), ("bw2calc", bw_s, scores)):
        p = np.percentile(values, [2.5, 97.5])
        print(f"  {name:10} {seconds:9.2f} {1e3 * seconds / iterations:8.3f}ms {values.mean():8.4f} "
              f"{values.std():7.4f} {p[0]:8.4f} {p[1]:8.4f}")
    print(f"  greenal / bw2calc time: {greenal_s / bw_s:.3f} (target <= 0.2); greenal's run includes both bases, "
          "verdict probabilities, sensitivity and DQR")


if __name__ == "__main__":
    main()
