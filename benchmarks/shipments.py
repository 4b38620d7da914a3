"""Shipments speed: `python benchmarks/shipments.py [rows] [products]` (default 100,000 over 50).

Writes 50 product files (billet, extrusion, sheet, foil with varied charges) and a shipments csv
into a temporary directory, runs `greenal shipments` as a whole process and prints its wall time,
rows per second and peak memory (issue 10: <= 60 s and < 1 GiB for 100,000 rows over 50 products).
"""
from __future__ import annotations

import datetime as dt
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

KINDS = {"billet": "76012000", "extrusion": "76042100", "sheet": "76061200", "foil": "76071119"}


def write_products(folder: Path, count: int) -> list[Path]:
    paths = []
    for i in range(count):
        kind = list(KINDS)[i % len(KINDS)]
        post = round(0.1 + 0.8 * (i / max(count - 1, 1)), 3)
        data = {"schema_version": 1,
                "producer": {"name": f"Bench mill {i}", "uscc": "91440600MA4W0EXA2C", "province": "guangdong"},
                "period": {"start": "2024-01-01", "end": "2024-12-31"},
                "product": {"id": f"p{i:02d}", "kind": kind, "annual_output_t": 1e6, "casting": "own",
                            "grid": ("guangdong", "henan", "sichuan", "national")[i % 4]},
                "charge": [{"material": "post-consumer-scrap", "share": post},
                           {"material": "primary-ingot", "share": round(1 - post, 3)}],
                "alloying_kg_per_t": {"si": 5.0, "mg": 5.0}}
        path = folder / f"p{i:02d}.yaml"
        path.write_text(yaml.safe_dump(data))
        paths.append(path)
    return paths


def write_shipments(path: Path, rows: int, products: int) -> None:
    rng = random.Random(10)
    with path.open("w", encoding="utf-8") as out:
        out.write("shipment_id,customer,product,cn_code,mass_t,delivery_date,claimed_low_carbon_t\n")
        for n in range(rows):
            i = rng.randrange(products)
            day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(366))
            out.write(f"S{n:07d},Buyer {n % 97},p{i:02d},{list(KINDS.values())[i % len(KINDS)]},"
                      f"{rng.uniform(0.5, 25):.3f},{day},{'0.5' if n % 10 == 0 else ''}\n")


def main(rows: int = 100_000, products: int = 50) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = write_products(tmp, products)
        write_shipments(tmp / "shipments.csv", rows, products)
        data_dir = tmp / "data"
        warm = [sys.executable, "-m", "greenal.cli", "--data-dir", str(data_dir), "footprint", "--json"]
        subprocess.run(warm, check=True, capture_output=True)  # build the background once, not timed
        command = [sys.executable, "-m", "greenal.cli", "--data-dir", str(data_dir), "shipments",
                   str(tmp / "shipments.csv"), "--out", str(tmp / "out")]
        for path in paths:
            command += ["--product", str(path)]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode:
            sys.exit(f"greenal shipments failed: {done.stderr.strip()}")
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"shipments: {rows:,} rows over {products} products in {wall:.1f} s "
              f"({rows / wall:,.0f} rows/s; target <= 60 s, ratio {wall / 60:.2f}); "
              f"peak memory {peak_mib:,.0f} MiB (target < 1024, ratio {peak_mib / 1024:.2f})")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:3]))
