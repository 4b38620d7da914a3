"""Footprint variants, side by side in one run: `make bench` (or `python benchmarks/variants.py [V]`).

One product: 1 t of primary ingot, route cn-average (casthouse, electrolysis, anode, refining,
mining, freight over the bundled background). V variants (default 1,000) change power, anode and
alumina per t of liquid metal (uniform draws). Three ways, same numbers (kg CO2e per t, AR6):
- bw2calc: a new `bw2calc.LCA` per variant on the same datapackages (the background package built
  once; a small foreground package with the variant's amounts), lci + lcia;
- numpy floor: the whole technosphere (background + foreground) as one sparse matrix with the
  varied cells moved to the demand side, one sparse LU (scipy splu), one solve per variant (the
  matrix assembly is not timed);
- greenal: greenal.supply.variants.variant_totals, the batch over the background factorised once
  (its cumulative inventories Lambda are computed once per data version and cached with the data
  directory, as every greenal footprint uses them; not timed here, as the floor's assembly is not).
Targets (issue 10): greenal >= 50x faster than bw2calc and <= 3x the numpy floor.
"""
from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
import warnings

import numpy as np

from greenal import api
from greenal.supply.variants import Change, variant_totals

GWP = "ar6"


def system(engine):
    """The product's foreground, its electrolysis row and the three varied inputs."""
    foreground = engine.route_foreground(engine.inventory.routes["cn-average"])
    cell = next(r for r in foreground.rows if r.stage == "electrolysis")
    targets = [line.target for line in cell.inputs]
    varied = [next(t for t in targets if t.startswith(prefix)) for prefix in ("electricity-", "anode-", "refining-")]
    return foreground, cell.code, varied


def draws(foreground, cell: str, varied: list[str], v: int) -> np.ndarray:
    """(3, V): power, anode and alumina per t of liquid metal, +-10 % around the route's amounts."""
    rng = np.random.default_rng(10)
    base = np.array([foreground.input_amount(cell, t) for t in varied])
    return base[:, None] * rng.uniform(0.9, 1.1, (3, v))


def triplets(engine, foreground, skip=()):
    """Technosphere and biosphere entries (row id, column id, amount) of background + foreground,
    ids: flows 0.., processes after them; `skip` drops (consumer, supplier) cells."""
    inventory = engine.inventory
    flows = {f: i for i, f in enumerate(inventory.flow_codes)}
    codes = inventory.background + [r.code for r in foreground.rows]
    ids = {c: len(flows) + i for i, c in enumerate(codes)}
    tech, bio = [], []
    for code in inventory.background:
        tech.append((ids[code], ids[code], 1.0))
        for e in inventory.processes[code].exchanges:
            if e.kind == "technosphere":
                tech.append((ids[e.target], ids[code], -e.amount))
            else:
                bio.append((flows[e.target], ids[code], e.amount))
    for row in foreground.rows:
        tech.append((ids[row.code], ids[row.code], 1.0))
        for line in row.inputs:
            if (row.code, line.target) not in skip:
                tech.append((ids[line.target], ids[row.code], -line.amount))
        for line in row.emissions:
            bio.append((flows[line.target], ids[row.code], line.amount))
    factors = inventory.methods[GWP].factors
    cf = np.array([factors[f] for f in inventory.flow_codes])
    return tech, bio, ids, cf


def numpy_floor(engine, foreground, cell, varied, amounts) -> tuple[np.ndarray, float]:
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    tech, bio, ids, cf = triplets(engine, foreground, skip={(cell, t) for t in varied})
    offset, n = min(ids.values()), len(ids)
    rows, cols, vals = zip(*tech, strict=False)
    a = sp.csc_matrix((vals, (np.array(rows) - offset, np.array(cols) - offset)), shape=(n, n))
    brows, bcols, bvals = zip(*bio, strict=False)
    b = sp.csc_matrix((bvals, (brows, np.array(bcols) - offset)), shape=(len(cf), n))
    weights = b.T @ cf  # CO2e per unit of each process's own emissions
    start = time.perf_counter()  # the floor: one LU and the solves (matrix assembly not counted)
    lu = splu(a)
    product = np.zeros(n)
    product[ids[foreground.rows[0].code] - offset] = 1.0
    base = lu.solve(product)
    s_cell = base[ids[cell] - offset]  # the varied cells' column scales alike in every variant
    where = [ids[t] - offset for t in varied]
    out = np.empty(amounts.shape[1])
    for k in range(amounts.shape[1]):
        demand = product.copy()
        demand[where] += s_cell * amounts[:, k]
        out[k] = weights @ lu.solve(demand)
    return out, time.perf_counter() - start


def bw2calc_runs(engine, foreground, cell, varied, amounts) -> tuple[np.ndarray, float]:
    import bw2calc
    import bw_processing as bwp

    start = time.perf_counter()
    tech, bio, ids, cf = triplets(engine, foreground)
    background = set(ids[c] for c in engine.inventory.background)

    def package(tech_rows, bio_rows, with_cf=False):
        p = bwp.create_datapackage(sum_intra_duplicates=True, sum_inter_duplicates=False)
        parts = (("technosphere_matrix", tech_rows, True), ("biosphere_matrix", bio_rows, False))
        for matrix, entries, signed in parts:
            if entries:
                p.add_persistent_vector(
                    matrix=matrix, name=matrix.replace("_", "-"),
                    indices_array=np.array([(r, c) for r, c, _ in entries], dtype=bwp.INDICES_DTYPE),
                    data_array=np.array([abs(x) if signed else x for _, _, x in entries], dtype=np.float64),
                    flip_array=np.array([signed and x < 0 for _, _, x in entries], dtype=bool))
        if with_cf:
            p.add_persistent_vector(
                matrix="characterization_matrix", name="gwp",
                indices_array=np.array([(i, i) for i in range(len(cf))], dtype=bwp.INDICES_DTYPE),
                data_array=cf.astype(np.float64))
        return p

    shared = package([t for t in tech if t[1] in background], [x for x in bio if x[1] in background], with_cf=True)
    fg_tech = [t for t in tech if t[1] not in background]
    fg_bio = [x for x in bio if x[1] not in background]
    varied_cells = {(ids[t], ids[cell]): i for i, t in enumerate(varied)}
    product = ids[foreground.rows[0].code]
    out = np.empty(amounts.shape[1])
    for k in range(amounts.shape[1]):
        entries = [(r, c, -amounts[varied_cells[(r, c)], k]) if (r, c) in varied_cells else (r, c, x)
                   for r, c, x in fg_tech]
        lca = bw2calc.LCA({product: 1.0}, data_objs=[shared, package(entries, fg_bio)])
        lca.lci()
        lca.lcia()
        out[k] = lca.score
    return out, time.perf_counter() - start


def main() -> None:
    v = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        engine = api.engine(tmp)
        foreground, cell, varied = system(engine)
        amounts = draws(foreground, cell, varied, v)
        changes = [Change(cell, t, amounts[i]) for i, t in enumerate(varied)]
        variant_totals(engine, foreground, changes[:1], GWP)  # warm-up (imports)

        start = time.perf_counter()
        greenal = variant_totals(engine, foreground, changes, GWP)
        greenal_s = time.perf_counter() - start
        floor, floor_s = numpy_floor(engine, foreground, cell, varied, amounts)
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            bw, bw_s = bw2calc_runs(engine, foreground, cell, varied, amounts)
    agree_floor = float(np.max(np.abs(floor / greenal - 1)))
    agree_bw = float(np.max(np.abs(bw / greenal - 1)))
    print(f"Footprint variants: {v:,} of 1 t primary ingot (route cn-average), power, anode and alumina changed")
    print(f"  {'':12} {'seconds':>9} {'per variant':>12} {'mean kg CO2e/t':>15}")
    runs = (("bw2calc", bw_s, bw), ("numpy floor", floor_s, floor), ("greenal", greenal_s, greenal))
    for name, seconds, values in runs:
        print(f"  {name:12} {seconds:9.4f} {1e6 * seconds / v:10.1f}us {values.mean():15.2f}")
    print(f"  results agree: max relative difference vs greenal {agree_floor:.1e} (floor), {agree_bw:.1e} (bw2calc)")
    print(f"  bw2calc / greenal: {bw_s / greenal_s:,.0f}x (target >= 50x); "
          f"greenal / numpy floor: {greenal_s / floor_s:.3f} (target <= 3)")


if __name__ == "__main__":
    main()
