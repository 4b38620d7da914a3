"""One report object per declaration: built once from the result and the verdicts, then read by
every renderer (HTML, PDF, Excel, PACT JSON, CBAM sheet), so every number shown is the same."""
from __future__ import annotations

import datetime as dt
import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from greenal.inventory import CONFIDENCE
from greenal.lca.engine import Engine
from greenal.report.summary import declaration_document
from greenal.standards.engine import Verdict

STAGE_ORDER = ("mining", "refining", "anode", "electrolysis", "casting", "recycling", "transport")


def toolkit_version() -> str:
    try:
        return version("greenal")
    except PackageNotFoundError:  # a checkout that was never installed
        return "0+checkout"


def file_hash(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def provenance(engine: Engine, foreground) -> list[dict]:
    """Every bundled process the result used, with amount, sources and confidence tags."""
    inventory = engine.inventory
    rows = []
    for code, amount in engine.supply(foreground).items():
        process = inventory.processes.get(code)
        if process is None:  # the declarant's own rows
            continue
        tags = sorted({e.confidence for e in process.exchanges}, key=list(CONFIDENCE).index)
        rows.append({"code": code, "name": process.name, "stage": process.stage or "background",
                     "amount": amount, "unit": process.unit, "file": process.file, "confidence": tags,
                     "sources": sorted({e.source.cite(inventory.sources) for e in process.exchanges})})
    return rows


def contributions(result, inventory, gwp: str) -> list[dict]:
    """Long table: basis x stage x scope x source x site-data flag x gas, kg and t CO2e per t."""
    cf = inventory.methods[gwp].factors
    rows = []
    for basis, footprint in (("location-based", result.location), ("market-based", result.market)):
        for label, kg in footprint.contributions.items():
            for flow, mass in zip(inventory.flow_codes, kg):
                if mass:
                    rows.append({"basis": basis, "stage": label.stage, "scope": label.scope, "source": label.source,
                                 "site_data": label.primary, "flow": flow, "gas": inventory.flows[flow].gas,
                                 "kg_per_t": float(mass), "t_co2e_per_t": float(mass) * cf[flow] / 1000})
    return rows


def unsplit_share_pct(footprint: dict, inventory) -> float:
    """Share (%) of a footprint that its sources give as CO2e only, not split by gas."""
    unsplit = {f.gas for f in inventory.flows.values() if f.gas.startswith("CO2e")}
    total = footprint["total_t_co2e"]
    return 100 * sum(v for g, v in footprint["by_gas_t_co2e"].items() if g in unsplit) / total if total else 0.0


def build(result, verdicts: list[Verdict], engine: Engine, gwp: str, created: dt.datetime | None = None) -> dict:
    """The report: declaration document (both bases), verdicts, provenance, versions and hashes."""
    decl = result.declaration
    document = declaration_document(result, gwp)
    input_hash = file_hash(decl.file)
    created = created or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    location, market = document["location_based"], document["market_based"]
    stages = [s for s in STAGE_ORDER if s in location["by_stage_t_co2e"] or s in market["by_stage_t_co2e"]]
    used = provenance(engine, result.market_foreground)
    return {
        **document,
        "gwp": gwp, "gwp_name": engine.inventory.methods[gwp].name,
        "declarant_record": {k: str(v) for k, v in decl.declarant.items()},
        "stages": stages,
        "flow": _flow(result.market_foreground),
        "supplies": [s.__dict__ for s in decl.supplies],
        "certificate_rows": [c.__dict__ for c in decl.certificates],
        "verdicts": [v.to_dict() for v in verdicts],
        "unsplit_share_pct": {"location": unsplit_share_pct(location, engine.inventory),
                              "market": unsplit_share_pct(market, engine.inventory)},
        "contributions": contributions(result, engine.inventory, gwp),
        "provenance": used,
        "estimates_used": [p["code"] for p in used if "estimate" in p["confidence"]],
        "inputs": decl.to_mapping(),
        "toolkit_version": toolkit_version(),
        "data_version": engine.inventory.content_hash[:16],
        "input_hash": input_hash,
        "certificate_number": f"GA-{decl.period['end'].year}-{input_hash[:10].upper()}",
        "created": created.isoformat().replace("+00:00", "Z"),
    }


def _flow(foreground) -> list[dict]:
    """Process-flow figure data: the foreground's processes and which feeds which."""
    codes = {row.code for row in foreground.rows}
    feeds = {code: [] for code in codes}
    for row in foreground.rows:
        for line in row.inputs:
            if line.target in codes:
                feeds[line.target].append(row.code)
    return [{"code": row.code, "stage": row.stage, "own": row.code.startswith("site:"),
             "label": row.code.removeprefix("site:"), "feeds": feeds[row.code]} for row in foreground.rows]
