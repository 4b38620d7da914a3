"""Routes and declarations as Brightway activities, so a Brightway user can open and compute them.

greenal's own project (greenal/lca/bw.py) holds the bundled inventories and the GWP methods.
This module adds one database, `greenal-foregrounds`, in which every foreground row (a route's
stage processes, or a declaration's own stages and the default chain they buy from) is an
activity whose exchanges are the row's lines, each keeping its label (stage, scope, source,
site data). A plain bw2calc LCA of a product activity with a greenal method gives greenal's
result (bw2data stores float32 amounts: relative difference within 1e-6).
"""
from __future__ import annotations

import re
from pathlib import Path

from greenal.lca import bw
from greenal.lca.engine import Engine, Foreground

FOREGROUND_DB = "greenal-foregrounds"


def activity_prefix(name: str) -> str:
    """A code prefix from a foreground's name (route code or declarant/product/basis)."""
    return re.sub(r"[^0-9A-Za-z\u4e00-\u9fff]+", "-", name).strip("-").lower() or "foreground"


def to_brightway(engine: Engine, foregrounds: dict[str, Foreground], data_dir: Path) -> dict[str, tuple[str, str]]:
    """Write the foregrounds (name -> foreground) as the `greenal-foregrounds` database of greenal's
    project, replacing what an earlier export wrote there; return each name's product activity key."""
    bd = bw._brightway(data_dir / "brightway")
    bw.ensure_project(engine.inventory, data_dir)
    data, products = {}, {}
    for name, foreground in foregrounds.items():
        prefix = activity_prefix(name)
        own = {row.code for row in foreground.rows}

        def key(target: str, prefix: str = prefix, own: set = own) -> tuple[str, str]:
            return (FOREGROUND_DB, f"{prefix}:{target}") if target in own else (bw.TECHNOSPHERE_DB, target)

        for row in foreground.rows:
            exchanges = [{"input": key(row.code), "amount": 1.0, "type": "production", "unit": foreground.unit}]
            for kind, lines in (("technosphere", row.inputs), ("biosphere", row.emissions)):
                for line in lines:
                    target = key(line.target) if kind == "technosphere" else (bw.BIOSPHERE_DB, line.target)
                    exchanges.append({"input": target, "amount": line.amount, "type": kind,
                                      "stage": line.label.stage, "source": line.label.source,
                                      "scope": line.label.scope, "site_data": line.label.primary})
            process = engine.inventory.processes.get(row.code)
            data[key(row.code)] = {"name": f"{name}: {row.code}", "unit": process.unit if process else foreground.unit,
                                   "reference product": row.code, "stage": row.stage, "location": "GLO",
                                   "exchanges": exchanges}
        products[name] = key(foreground.rows[0].code)
    with bw._quiet():
        if FOREGROUND_DB in bd.databases:
            del bd.databases[FOREGROUND_DB]
        bd.Database(FOREGROUND_DB).write(data)
    return products
