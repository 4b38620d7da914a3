"""One report object per declaration: built once from the result and the verdicts, then read by
every renderer (HTML, PDF, Excel, PACT JSON, CBAM sheet), so every number shown is the same."""
from __future__ import annotations

import datetime as dt
import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from greenal.inventory import CONFIDENCE, in_stage_order
from greenal.lca.engine import Engine
from greenal.report.summary import declaration_document
from greenal.standards.engine import Verdict, electricity_basis, schemes

# Market claims a certificate may state (each rule a claim), and the product kinds a claim about
# "aluminium" can be made for: metal, not alumina (a claim on aluminium applies to aluminium).
CLAIM_SCHEMES = ("low-carbon", "asi", "cnia-green-electricity")
CLAIM_PRODUCTS = ("primary-liquid", "primary-ingot", "recycled-ingot")
# Criteria that make a claim only together (EU Taxonomy activity 3.8: direct emissions (a) AND
# electricity (b), either 4a or 4b): rule -> groups of rules of which one each must also pass.
CLAIM_TOGETHER = {"LC-3": (("LC-4a", "LC-4b"),), "LC-4a": (("LC-3",),), "LC-4b": (("LC-3",),)}
ELECTROLYTIC = ("primary-liquid", "primary-ingot")  # GB/T 44905-2024: 1 t 原铝液 or 1 t 重熔用铝锭
# Standards the footprint is quantified under, and the products each applies to (None: every product).
STANDARDS = (("GB/T 24067-2024", None), ("GB/T 44905-2024", ELECTROLYTIC), ("ISO 14067:2018", None))


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
    return in_stage_order_rows(rows)


def in_stage_order_rows(rows: list[dict]) -> list[dict]:
    """Rows with a 'stage' field in life-cycle order (stable within a stage)."""
    order = {s: i for i, s in enumerate(in_stage_order(list(dict.fromkeys(r["stage"] for r in rows))))}
    return sorted(rows, key=lambda r: order[r["stage"]])


def contributions(result, inventory, gwp: str) -> list[dict]:
    """Long table: basis x stage x scope x source x site-data flag x gas, kg and t CO2e per t."""
    cf = inventory.methods[gwp].factors
    rows = []
    for basis, footprint in (("location-based", result.location), ("market-based", result.market)):
        for label, kg in footprint.contributions.items():
            for flow, mass in zip(inventory.flow_codes, kg, strict=True):
                if mass:
                    rows.append({"basis": basis, "stage": label.stage, "scope": label.scope, "source": label.source,
                                 "site_data": label.primary, "flow": flow, "gas": inventory.flows[flow].gas,
                                 "kg_per_t": float(mass), "t_co2e_per_t": float(mass) * cf[flow] / 1000})
    return in_stage_order_rows(rows)


def estimate_lines(engine: Engine, foreground, total_t: float, gwp: str) -> dict:
    """Placeholder estimates in one place: each bundled process the result used with the lines
    (exchanges) tagged 'estimate', and the CO2e those lines carry as a share of the market-based
    total (amount used x the line's amount x the CO2e of one unit of its target, cradle to gate).
    The shares can overlap where an estimated amount buys an estimated factor, so their sum is an
    upper bound of the share resting on estimates."""
    inventory = engine.inventory
    cf = inventory.methods[gwp].factors
    cf_vector = [cf[f] for f in inventory.flow_codes]
    per_unit: dict[str, float] = {}

    def co2e_kg_per_unit(code: str) -> float:  # cradle-to-gate CO2e of one unit of a process
        if code not in per_unit:
            if code in engine.background_index:
                per_unit[code] = float(engine.unit_inventories[engine.background_index[code]] @ cf_vector)
            else:
                per_unit[code] = sum(line_kg(e) for e in inventory.processes[code].exchanges)
        return per_unit[code]

    def line_kg(e) -> float:
        return e.amount * (cf[e.target] if e.kind == "biosphere" else co2e_kg_per_unit(e.target))

    rows: list[dict] = []
    for code, amount in engine.supply(foreground).items():
        process = inventory.processes.get(code)
        lines = [e for e in process.exchanges if e.confidence == "estimate"] if process else []
        if process and lines:
            t = amount * sum(line_kg(e) for e in lines) / 1000
            rows.append({"code": code, "name": process.name, "stage": process.stage or "background",
                         "lines": [e.target for e in lines], "t_co2e_per_t": t,
                         "share": t / total_t if total_t else 0.0})
    rows.sort(key=lambda r: -abs(r["t_co2e_per_t"]))
    return {"rows": rows, "share_upper_bound": sum(r["share"] for r in rows)}


def claims(verdicts: list[Verdict], product: str) -> list[dict]:
    """The claims a certificate states: rules of the claim schemes that pass for a product they
    apply to, on a threshold confirmed in a text (an unconfirmed threshold is no claim)."""
    if product not in CLAIM_PRODUCTS:
        return []
    every = schemes()
    passed = {v.rule.id for v in verdicts if v.verdict == "pass"}
    complete = {v.rule.id for v in verdicts
                if all(passed & set(group) for group in CLAIM_TOGETHER.get(v.rule.id, ()))}
    return [{"rule": v.rule.id, "scheme": v.rule.scheme, "scheme_name": every[v.rule.scheme].name,
             "title": v.rule.title, "value": v.value, "unit": v.rule.unit, "threshold": v.rule.threshold_text(),
             "basis": electricity_basis(v.rule), "clause": v.rule.clause, "certainty": v.rule.certainty}
            for v in verdicts if v.rule.scheme in CLAIM_SCHEMES and v.verdict == "pass"
            and v.rule.certainty != "unconfirmed" and v.rule.id in complete]


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
    stages = in_stage_order(list(dict.fromkeys([*location["by_stage_t_co2e"], *market["by_stage_t_co2e"]])))
    used = provenance(engine, result.market_foreground)
    product = decl.product["kind"]
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
        "estimate_lines": estimate_lines(engine, result.market_foreground, market["total_t_co2e"], gwp),
        "standards": [code for code, products in STANDARDS if products is None or product in products],
        "claims": claims(verdicts, product),
        "verification": None,  # filled from the certificate registry once it has verified the declaration
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
    feeds: dict[str, list[str]] = {code: [] for code in codes}
    for row in foreground.rows:
        for line in row.inputs:
            if line.target in codes:
                feeds[line.target].append(row.code)
    return [{"code": row.code, "stage": row.stage, "own": row.code.startswith("site:"),
             "label": row.code.removeprefix("site:"), "feeds": feeds[row.code]} for row in foreground.rows]
