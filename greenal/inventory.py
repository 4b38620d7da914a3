"""Bundled data as Python objects: processes, biosphere flows, sources, routes, GWP sets.

Reads inventories/ and methods/ (see inventories/README.md for the file format), checks every
exchange (unit, source, confidence, plausible amount) and evaluates derived amounts from their
formula. Nothing here touches Brightway.
"""
from __future__ import annotations

import ast
import hashlib
import math
import operator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from greenal.errors import DataError, yaml_error
from greenal.paths import bundled

# Bump when the meaning of the data files changes, so built Brightway projects are rebuilt.
SCHEMA_VERSION = "1"

UNITS = ("t", "kg", "kWh", "MJ", "tkm")
CONFIDENCE = {
    "source": "read in the primary document or a public copy of it",
    "secondary": "read in a secondary transcription",
    "derived": "computed here from sourced numbers",
    "estimate": "estimate, not read in a source",
}
STAGES = ("mining", "refining", "anode", "electrolysis", "casting", "recycling", "transport", "semi-fabrication")


def in_stage_order(names):
    """Stage names (or a mapping keyed by them) in life-cycle order, mining to transport; other
    names (e.g. 'background') after them in their given order. Every output orders stages here."""
    rank = {s: i for i, s in enumerate(STAGES)}
    ordered = sorted(names, key=lambda n: rank.get(n, len(STAGES)))  # stable: unknowns keep their order
    return {n: names[n] for n in ordered} if isinstance(names, dict) else ordered


# stats_arrays uncertainty type ids for the distributions the data may declare.
UNCERTAINTY_TYPES = {"lognormal": 2, "normal": 3, "uniform": 4, "triangular": 5}


@dataclass(frozen=True)
class Source:
    ref: str
    locator: str

    def cite(self, bibliography: dict) -> str:
        entry = bibliography[self.ref]
        return f"{entry['publisher']}, {entry['document']} ({entry['year']}), {self.locator}"


@dataclass(frozen=True)
class Exchange:
    target: str  # process code (technosphere input) or flow code (biosphere)
    kind: str  # "technosphere" | "biosphere"
    amount: float  # per unit of the process's product, in `unit`
    unit: str
    source: Source
    confidence: str
    formula: str | None = None
    comment: str = ""
    uncertainty: dict | None = None  # stats_arrays form: uncertainty_type, loc, minimum, maximum, ...


@dataclass(frozen=True)
class Process:
    code: str
    name: str
    location: str
    product: str
    unit: str
    stage: str | None
    file: str
    comment: str
    exchanges: tuple[Exchange, ...]

    @property
    def inputs(self) -> tuple[Exchange, ...]:
        return tuple(e for e in self.exchanges if e.kind == "technosphere")

    @property
    def emissions(self) -> tuple[Exchange, ...]:
        return tuple(e for e in self.exchanges if e.kind == "biosphere")


@dataclass(frozen=True)
class Flow:
    code: str
    name: str
    gas: str
    origin: str  # fossil | biogenic
    unit: str
    # the ecoinvent biosphere3 flow it is: {name, compartment, uuid, source, confidence} or
    # {..., uuid, mapped: false} where no public source gave the UUID (inventories/biosphere.yaml)
    biosphere3: dict | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Substitution:
    replace: str
    with_: str
    within: tuple[str, ...] = ()  # empty: every stage process of the route

    def applies_to(self, process_code: str) -> bool:
        return not self.within or process_code in self.within


@dataclass(frozen=True)
class Route:
    code: str
    name: str
    product: str
    description: str
    substitutions: tuple[Substitution, ...]
    sources: tuple[str, ...] = ()

    def supplier(self, consumer: str, supplier: str) -> str:
        """The supplier `consumer` buys from on this route (first matching substitution wins)."""
        for sub in self.substitutions:
            if sub.replace == supplier and sub.applies_to(consumer):
                return sub.with_
        return supplier


@dataclass(frozen=True)
class Method:
    code: str
    name: str
    unit: str
    factors: dict  # flow code -> kg CO2e per kg
    sources: dict  # flow code -> Source
    confidence: dict  # flow code -> confidence tag


@dataclass
class Inventory:
    processes: dict[str, Process]
    flows: dict[str, Flow]
    sources: dict[str, dict]
    routes: dict[str, Route]
    methods: dict[str, Method]
    content_hash: str
    root: Path = field(repr=False)
    methods_root: Path | None = field(default=None, repr=False)

    @property
    def background(self) -> list[str]:
        """Processes without a stage: energy, materials; the part Brightway factorises once."""
        return [code for code, p in self.processes.items() if p.stage is None]

    @property
    def flow_codes(self) -> list[str]:
        return list(self.flows)


# --- formulas ---------------------------------------------------------------------------------

_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv, ast.Pow: operator.pow, ast.USub: operator.neg}


def evaluate(formula: str) -> float:
    """Evaluate arithmetic on number literals only (+ - * / ** and parentheses)."""

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](walk(node.operand))
        raise ValueError(f"unsupported element {ast.dump(node)[:40]}")

    return walk(ast.parse(str(formula), mode="eval"))


# --- reading files ----------------------------------------------------------------------------

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it: same result, faster


def _read_yaml(path: Path, root: Path):
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise yaml_error(_rel(path, root), exc, DataError) from None


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _fill(template, row: dict):
    """Fill {placeholders} of a table template with one row's values, recursively."""
    if isinstance(template, str):
        return template.format(**row)
    if isinstance(template, dict):
        return {k: _fill(v, row) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, row) for v in template]
    return template


def _process_records(path: Path, root: Path) -> list[tuple[str, dict]]:
    """(where, record) pairs: one for a process file, one per row for a table file."""
    data = _read_yaml(path, root)
    file = _rel(path, root)
    if not isinstance(data, dict):
        raise DataError(file, "top level", type(data).__name__, "a mapping (one process) or a 'table'")
    if "table" not in data:
        return [("", data)]
    table = data["table"]
    # `templates` (a list) makes several processes from each row, e.g. a grid mix at the plant
    # and the same mix delivered after network losses; `template` makes one.
    templates = table.get("templates") or [table.get("template")]
    records = []
    for i, row in enumerate(table.get("rows") or []):
        for template in templates:
            try:
                records.append((f"rows[{i}] ", _fill(template, row)))
            except KeyError as exc:
                raise DataError(file, f"table.rows[{i}]", row, f"a value for placeholder {exc}") from None
    return records


def _parse_exchange(raw: dict, where: str, file: str, defaults: dict, flows: dict, bibliography: dict) -> Exchange:
    if not isinstance(raw, dict):
        raise DataError(file, where, raw, "a mapping with input|flow, amount|formula, unit, source, confidence")
    if ("input" in raw) == ("flow" in raw):
        raise DataError(file, where, raw, "exactly one of 'input' (process code) or 'flow' (biosphere flow code)")
    kind, target = ("technosphere", raw["input"]) if "input" in raw else ("biosphere", raw["flow"])
    if kind == "biosphere" and target not in flows:
        raise DataError(file, f"{where}.flow", target, f"one of {sorted(flows)}")
    if ("amount" in raw) == ("formula" in raw):
        raise DataError(file, where, raw, "exactly one of 'amount' or 'formula'")
    formula = raw.get("formula")
    if formula is not None:
        try:
            amount = evaluate(formula)
        except (ValueError, SyntaxError, ZeroDivisionError) as exc:
            raise DataError(file, f"{where}.formula", formula, f"arithmetic on numbers only ({exc})") from None
    else:
        amount = raw["amount"]
        if not isinstance(amount, (int, float)) or isinstance(amount, bool):
            raise DataError(file, f"{where}.amount", amount, "a number")
        amount = float(amount)
    if not math.isfinite(amount) or amount < 0:
        raise DataError(file, f"{where}.amount", amount, "a finite number >= 0")
    unit = raw.get("unit")
    if unit not in UNITS:
        raise DataError(file, f"{where}.unit", unit, f"one of {list(UNITS)}")
    src = raw.get("source", defaults.get("source"))
    if not isinstance(src, dict) or src.get("ref") not in bibliography or not src.get("locator"):
        raise DataError(file, f"{where}.source", src,
                         "{ref: <key of inventories/sources.yaml>, locator: <table, row or clause>}")
    confidence = raw.get("confidence", defaults.get("confidence"))
    if confidence not in CONFIDENCE:
        raise DataError(file, f"{where}.confidence", confidence, f"one of {list(CONFIDENCE)}")
    return Exchange(target=target, kind=kind, amount=amount, unit=unit,
                    source=Source(src["ref"], str(src["locator"])), confidence=confidence,
                    formula=None if formula is None else str(formula), comment=raw.get("comment", ""),
                    uncertainty=_uncertainty(raw.get("uncertainty"), amount, f"{where}.uncertainty", file))


def _uncertainty(raw, amount: float, where: str, file: str) -> dict | None:
    """Optional uncertainty, given by name and turned into the stats_arrays form."""
    if raw is None:
        return None
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind not in UNCERTAINTY_TYPES:
        raise DataError(file, f"{where}.type", kind, f"one of {list(UNCERTAINTY_TYPES)}")
    out = {"uncertainty_type": UNCERTAINTY_TYPES[kind], "loc": amount}
    for key in ("minimum", "maximum", "scale"):
        if key in raw:
            out[key] = float(raw[key])
    if kind in ("uniform", "triangular"):
        lo, hi = out.get("minimum"), out.get("maximum")
        if lo is None or hi is None or not lo <= amount <= hi:
            raise DataError(file, where, raw, f"minimum <= amount ({amount:g}) <= maximum")
    elif "scale" not in out:
        raise DataError(file, where, raw, "a 'scale' for a normal or lognormal distribution")
    return out


def _parse_process(record: dict, where: str, file: str, flows: dict, bibliography: dict) -> Process:
    for key in ("code", "name", "product", "exchanges"):
        if key not in record:
            raise DataError(file, f"{where}{key}", None, f"the process's '{key}'")
    product = record["product"]
    if not isinstance(product, dict) or product.get("unit") not in UNITS or not product.get("name"):
        raise DataError(file, f"{where}product", product, f"{{name: ..., unit: one of {list(UNITS)}}}")
    stage = record.get("stage")
    if stage is not None and stage not in STAGES:
        raise DataError(file, f"{where}stage", stage, f"one of {list(STAGES)} or no stage (background)")
    defaults = record.get("defaults") or {}
    if "source" in record and (record["source"] or {}).get("ref") not in bibliography:
        raise DataError(file, f"{where}source", record["source"],
                        "{ref: <key of inventories/sources.yaml>, locator: ...}")
    exchanges = tuple(
        _parse_exchange(raw, f"{where}exchanges[{i}]", file, defaults, flows, bibliography)
        for i, raw in enumerate(record["exchanges"] or []))
    return Process(code=str(record["code"]), name=str(record["name"]), location=str(record.get("location", "GLO")),
                   product=str(product["name"]), unit=product["unit"], stage=stage, file=file,
                   comment=" ".join(str(record.get("comment", "")).split()), exchanges=exchanges)


def _check_links(processes: dict[str, Process], flows: dict):
    """Every input exists, in its supplier's unit; background never buys from a stage process."""
    for p in processes.values():
        for i, e in enumerate(p.exchanges):
            where = f"{p.code}: exchange {i} ({e.target})"
            expected_unit = flows[e.target].unit if e.kind == "biosphere" else None
            if e.kind == "technosphere":
                supplier = processes.get(e.target)
                if supplier is None:
                    raise DataError(p.file, f"{where}.input", e.target, "the code of a bundled process")
                if supplier.code == p.code:
                    raise DataError(p.file, f"{where}.input", e.target,
                                     "another process (a process making its own product does not balance)")
                if p.stage is None and supplier.stage is not None:
                    raise DataError(p.file, f"{where}.input", e.target,
                                     "a background process (no stage): background may not buy from the chain")
                expected_unit = supplier.unit
            if e.unit != expected_unit:
                raise DataError(p.file, f"{where}.unit", e.unit, f"{expected_unit!r}, the unit of {e.target}")


def _parse_routes(raw: dict, file: str, processes: dict, bibliography: dict) -> dict[str, Route]:
    routes = {}
    for code, r in (raw or {}).items():
        if not isinstance(r, dict) or processes.get(r.get("product")) is None or processes[r["product"]].stage is None:
            raise DataError(file, f"{code}.product", (r or {}).get("product"), "the code of a stage process")
        subs = []
        for i, s in enumerate(r.get("substitutions") or []):
            for key in ("replace", "with"):
                if s.get(key) not in processes:
                    raise DataError(file, f"{code}.substitutions[{i}].{key}", s.get(key), "a bundled process code")
            for consumer in s.get("in", []):
                if consumer not in processes:
                    raise DataError(file, f"{code}.substitutions[{i}].in", consumer, "a bundled process code")
            if processes[s["replace"]].unit != processes[s["with"]].unit:
                raise DataError(file, f"{code}.substitutions[{i}].with", s["with"],
                                 f"a supplier in {processes[s['replace']].unit}, the unit of {s['replace']}")
            subs.append(Substitution(s["replace"], s["with"], tuple(s.get("in", []))))
        for ref in r.get("sources") or []:
            if ref not in bibliography:
                raise DataError(file, f"{code}.sources", ref, "keys of inventories/sources.yaml")
        routes[code] = Route(code, r.get("name", code), r["product"], " ".join(str(r.get("description", "")).split()),
                             tuple(subs), tuple(r.get("sources") or ()))
    return routes


def _parse_method(path: Path, root: Path, flows: dict, bibliography: dict) -> Method:
    data = _read_yaml(path, root)
    file = _rel(path, root)
    factors, sources, confidence = {}, {}, {}
    for flow in flows:
        entry = (data.get("factors") or {}).get(flow)
        if entry is None or not isinstance(entry.get("cf"), (int, float)):
            raise DataError(file, f"factors.{flow}.cf", entry, "a characterisation factor in kg CO2e/kg")
        src = entry.get("source") or {}
        if src.get("ref") not in bibliography or not src.get("locator"):
            raise DataError(file, f"factors.{flow}.source", src, "{ref: <key of sources.yaml>, locator: ...}")
        if entry.get("confidence") not in CONFIDENCE:
            raise DataError(file, f"factors.{flow}.confidence", entry.get("confidence"), f"one of {list(CONFIDENCE)}")
        factors[flow] = float(entry["cf"])
        sources[flow] = Source(src["ref"], src["locator"])
        confidence[flow] = entry["confidence"]
    return Method(data["code"], data["name"], data.get("unit", "kg CO2e"), factors, sources, confidence)


def content_hash(*folders: Path) -> str:
    """Hash of the data the Brightway project is built from (methods/schemes/ is not part of it)."""
    digest = hashlib.sha256(SCHEMA_VERSION.encode())
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*.yaml") if "schemes" not in p.relative_to(folder).parts):
            digest.update(str(path.relative_to(folder.parent)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def load_inventory(inventories: Path | None = None, methods: Path | None = None,
                   check_format: bool | None = None) -> Inventory:
    """Read and check the bundled (or given) inventories/ and methods/ folders. `check_format`
    (default: for given folders) then validates every file against its model in greenal/schemas.py
    (unknown fields, types the checks here do not see); for the bundled data the engine does so
    once per data version."""
    root = Path(inventories) if inventories else bundled("inventories")
    methods_root = Path(methods) if methods else bundled("methods")
    bibliography = _read_yaml(root / "sources.yaml", root)
    flows = {code: Flow(code, f["name"], f["gas"], f["origin"], f["unit"], f.get("biosphere3"))
             for code, f in _read_yaml(root / "biosphere.yaml", root).items()}
    processes: dict[str, Process] = {}
    for path in sorted(root.glob("*/*.yaml")):
        file = _rel(path, root)
        for where, record in _process_records(path, root):
            process = _parse_process(record, where, file, flows, bibliography)
            if process.code in processes:
                raise DataError(file, f"{where}code", process.code,
                                 f"a code not already used by {processes[process.code].file}")
            processes[process.code] = process
    _check_links(processes, flows)
    routes = _parse_routes(_read_yaml(root / "routes.yaml", root), _rel(root / "routes.yaml", root), processes,
                           bibliography)
    methods_by_code = {}
    for path in sorted(methods_root.glob("*.yaml")):
        method = _parse_method(path, methods_root, flows, bibliography)
        methods_by_code[method.code] = method
    if check_format if check_format is not None else bool(inventories or methods):
        from greenal.schemas import check_inventory

        check_inventory(root, methods_root)
    if check_format if check_format is not None else bool(inventories or methods):
        from greenal.schemas import check_inventory

        check_inventory(root, methods_root)
    return Inventory(processes, flows, bibliography, routes, methods_by_code,
                     content_hash(root, methods_root), root, methods_root)


@cache
def bundled_inventory() -> Inventory:
    """The bundled data, read once per process."""
    return load_inventory()
