"""Footprint speed, in one command: `make bench` (or `python benchmarks/footprint.py`).

Prints: cold start (first build of the Brightway project), a warm single footprint as a whole
`greenal footprint --json` process beside `python -c "import bw2calc"` (issue 8's target: warm
<= 0.3x), 1,000 footprint variants (electricity supplier and anode data changed) in one
process, and one plain bw2calc solve (new LCA on the same matrices) for scale.
"""
from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from greenal.inventory import load_inventory
from greenal.lca.engine import Engine
from greenal.model.formulas import anode_co2_t_per_t


def seconds(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def whole_process(data_dir: Path) -> float:
    command = [sys.executable, "-m", "greenal.cli", "--data-dir", str(data_dir), "footprint", "--route", "cn-average",
               "--json"]
    return seconds(lambda: subprocess.run(command, check=True, capture_output=True))


def import_bw2calc() -> float:
    return seconds(lambda: subprocess.run([sys.executable, "-c", "import bw2calc"], check=True, capture_output=True))


def main() -> None:
    inventory = load_inventory()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        cold = whole_process(data_dir)
        warm = [whole_process(data_dir) for _ in range(5)]
        bw2calc_import = [import_bw2calc() for _ in range(5)]

        first_engine_s = seconds(lambda: Engine(inventory, data_dir))  # reads the cached background results
        engine_s = seconds(lambda: Engine(inventory, data_dir))
        engine = Engine(inventory, data_dir)
        base = engine.route_foreground(inventory.routes["cn-average"])
        smelter = "electrolysis-prebake-cn"
        grid = [c for c in engine.background_codes if c.startswith("electricity-cn-mee-")]
        kwh = base.input_amount(smelter, "electricity-lc-cn-smelter-mix")
        rng = random.Random(1)

        def variant():
            net_anode = rng.uniform(0.40, 0.46)
            v = base.with_input(smelter, "electricity-lc-cn-smelter-mix", 0.0)
            v = v.with_input(smelter, rng.choice(grid), kwh)
            v = v.with_input(smelter, "anode-prebake-global", net_anode)
            v = v.with_emission(smelter, "co2-fossil", anode_co2_t_per_t(net_anode, 0.02, 0.004) * 1000)
            return engine.footprint(v).total_co2e_kg("ar6")

        variants_s = seconds(lambda: [variant() for _ in range(1000)])

        import bw2calc

        from greenal.lca import bw
        lca = bw.Background(inventory, bw.ensure_project(inventory, data_dir)).lca
        demand = {next(iter(lca.dicts.product)): 1.0}
        plain = [seconds(lambda: bw2calc.LCA(demand, data_objs=lca.packages).lci()) for _ in range(5)]

    print(f"cold start, first build + footprint (process) : {cold:8.2f} s")
    print(f"warm single footprint (whole process, median) : {statistics.median(warm):8.2f} s")
    print(f"python -c 'import bw2calc' (process, median)   : {statistics.median(bw2calc_import):8.2f} s "
          f"(warm / import = {statistics.median(warm) / statistics.median(bw2calc_import):.2f}, target <= 0.3)")
    print(f"engine start from the cache, first in process  : {first_engine_s * 1000:8.1f} ms")
    print(f"engine start from the cache, again             : {engine_s * 1000:8.1f} ms")
    print(f"1,000 footprint variants, one process         : {variants_s:8.3f} s "
          f"({variants_s * 1e6 / 1000:.1f} µs per variant, one factorisation)")
    print(f"one plain bw2calc LCA build + solve (median)  : {statistics.median(plain) * 1000:8.2f} ms "
          f"({len(engine.background_codes)} background processes)")


if __name__ == "__main__":
    main()
