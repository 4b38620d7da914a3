"""A producer's declaration: one object, read from YAML or the Excel questionnaire.

`parse` takes the nested mapping both readers produce and a `where` function that turns a
field path into "line 12" or "sheet 'electrolysis' cell E9", so every error names its place.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field, fields
from typing import Callable

from greenal.declaration.fields import (FUELS, PRODUCTS, RECORD_SECTIONS, SCHEMA_VERSION, SECTIONS, STAGE_SECTIONS,
                                        Field)
from greenal.errors import InputError

Where = Callable[[tuple], str]
MAX_TEXT = 200  # characters in a text field (names, serials, ids)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")  # GB 32100-2015 character set
# Stages each declared product needs from the declarant's own site.
REQUIRED_STAGES = {"primary-liquid": ("electrolysis",), "primary-ingot": ("electrolysis", "casting"),
                   "alumina": ("refining",), "recycled-ingot": ("recycling",)}
DEFAULT_SUPPLIERS = {"alumina_from": ("refining", "refining-alumina-cn-diasporic"),
                     "anode_from": ("anode", "anode-prebake-global")}


@dataclass(frozen=True)
class Supply:
    id: str
    kind: str
    mwh: float
    grid: str | None = None
    factor_year: int | None = None
    heat_rate_gce_per_kwh: float | None = None
    technology: str | None = None
    certificates_sold: bool | None = None
    supplier_factor_kg_per_kwh: float | None = None
    evidence: str | None = None
    cross_regional_contract: str | None = None


@dataclass(frozen=True)
class Certificate:
    id: str
    scheme: str
    serial_from: str
    serial_to: str | None
    mwh: float
    technology: str
    vintage: str  # "YYYY" or "YYYY-MM"
    region: str
    supply: str | None = None

    def vintage_months(self) -> tuple[int, int]:
        """First and last month of generation, as year*12 + month-1 (a bare year spans twelve)."""
        year, _, month = self.vintage.partition("-")
        if month:
            n = int(year) * 12 + int(month) - 1
            return n, n
        return int(year) * 12, int(year) * 12 + 11


@dataclass(frozen=True)
class Declaration:
    declarant: dict
    period: dict
    product: dict
    stages: dict  # stage -> {field key: value}, only what the declarant gave
    supplies: tuple[Supply, ...]
    certificates: tuple[Certificate, ...]
    schema_version: int = SCHEMA_VERSION
    file: str = field(default="", compare=False)
    where: Where | None = field(default=None, compare=False, repr=False)
    # optional pedigree scores per stage or 'stage.field' (checked by greenal/uncertainty/quality.py)
    data_quality: dict = field(default_factory=dict)

    def locate(self, *path) -> str:
        return self.where(tuple(path)) if self.where else ".".join(map(str, path))

    @property
    def vintage_tolerance_months(self) -> int:
        return self.period.get("vintage_tolerance_months", 0)

    @property
    def country(self) -> str:
        return self.declarant.get("country", "CN")

    @property
    def recycled_content_rule(self) -> str:
        return self.product.get("recycled_content_rule", "cut-off")

    @property
    def output_t(self) -> float:
        return self.product["annual_output_t"]

    def to_mapping(self) -> dict:
        """The nested mapping the readers produce (YAML shape); inverse of `parse`."""
        out = {"schema_version": self.schema_version, "declarant": dict(self.declarant),
               "period": dict(self.period), "product": dict(self.product)}
        for stage, values in self.stages.items():
            out[stage] = nest(values)
        out["electricity"] = {
            "supplies": [{f.name: getattr(s, f.name) for f in fields(s) if getattr(s, f.name) is not None}
                         for s in self.supplies],
            "certificates": [{f.name: getattr(c, f.name) for f in fields(c) if getattr(c, f.name) is not None}
                             for c in self.certificates]}
        if self.data_quality:
            out["data_quality"] = dict(self.data_quality)
        return out


SLIPS = ((1000, "given in MWh instead of kWh, or t instead of kg?"),
         (0.001, "given in kWh instead of MWh, or kg instead of t?"),
         (10, "a misplaced decimal point?"), (0.1, "a misplaced decimal point?"))


def _slip_hint(value: float, low: float, high: float) -> str:
    """Name the likely unit slip when a scaled value would be plausible."""
    for factor, words in SLIPS:
        if value and low <= value * factor <= high:
            return f"{value:g} x {factor:g} = {value * factor:g} would fit: {words}"
    return ""


def _text(spec: Field, raw, file: str, where: str) -> str:
    """Text fields take text: numbers, dates, booleans and lists are refused (a serial written as a
    number loses its leading zeros; a YAML `yes` becomes true), as are control and lone surrogate
    characters and text longer than MAX_TEXT."""
    if not isinstance(raw, str):
        kind = "a list" if isinstance(raw, (list, tuple)) else "a mapping" if isinstance(raw, dict) \
            else type(raw).__name__
        raise InputError(file, where, raw, f"text for {spec.en} ({spec.zh}), not {kind}; put it in quotes "
                                           "in YAML, or format the cell as text in the questionnaire")
    if len(raw) > MAX_TEXT:
        raise InputError(file, where, f"{raw[:40]}... ({len(raw)} characters)",
                         f"text of at most {MAX_TEXT} characters")
    for ch in raw:
        if 0xD800 <= ord(ch) <= 0xDFFF or unicodedata.category(ch) == "Cc":
            raise InputError(file, where, raw, "text without control or lone surrogate characters")
    return raw


def _number(spec: Field, raw, file: str, where: str):
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise InputError(file, where, raw, f"a number in {spec.unit or 'the stated unit'}")
    try:
        number = float(raw)
    except OverflowError:  # an integer beyond float range
        number = math.inf
    if not math.isfinite(number):
        raise InputError(file, where, raw if isinstance(raw, float) else f"{str(raw)[:20]}... ({len(str(raw))} digits)",
                         f"a finite number in {spec.unit or 'the stated unit'}")
    if spec.kind == "int":
        if number != int(number):
            raise InputError(file, where, raw, "a whole number")
        number = int(number)
    if spec.plausible and not spec.plausible[0] <= number <= spec.plausible[1]:
        low, high = spec.plausible
        raise InputError(file, where, number, f"{spec.en} between {low:g} and {high:g} {spec.unit}".rstrip(),
                         _slip_hint(number, low, high))
    return number


def _value(spec: Field, raw, file: str, where: str):
    """Check and convert one field's raw value (None, blank and whitespace-only text stay None)."""
    if isinstance(raw, str):
        raw = raw.strip()
    if raw is None or raw == "":
        if spec.required:
            raise InputError(file, where, raw, f"a value for {spec.en} ({spec.zh})")
        return None
    if isinstance(raw, str) and raw.startswith("="):  # after stripping: " =SUM(A1)" is a formula too
        raise InputError(file, where, raw, "a typed value; formulas in the questionnaire are not evaluated")
    if isinstance(raw, str):
        _text(spec, raw, file, where)
    if spec.kind in ("number", "int"):
        return _number(spec, raw, file, where)
    if spec.kind == "month":
        return _month(raw, spec, file, where)
    if spec.kind == "date":
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, str) and DATE.match(raw):
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                pass
        raise InputError(file, where, raw, "a date as YYYY-MM-DD")
    if spec.kind == "bool":
        words = {"yes": True, "no": False, "true": True, "false": False, "是": True, "否": False}
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in words:
            return words[raw.lower()]
        raise InputError(file, where, raw, "yes or no (是/否)")
    text = _text(spec, raw, file, where)
    if spec.kind == "choice" and text not in spec.choices:
        raise InputError(file, where, raw, f"one of {list(spec.choices)}")
    return text


MONTH = re.compile(r"^(\d{4})(?:-(\d{1,2}))?$")


def _month(raw, spec: Field, file: str, where: str) -> str:
    """A year (2024) or a month (2024-03) of generation, normalised to "YYYY" or "YYYY-MM"."""
    if isinstance(raw, (dt.date, dt.datetime)):
        raw = f"{raw.year}-{raw.month:02d}"
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    match = MONTH.match(str(raw).strip()) if not isinstance(raw, bool) else None
    if not match or (match[2] and not 1 <= int(match[2]) <= 12):
        raise InputError(file, where, raw, "a year (2024) or a month as YYYY-MM (2024-03)")
    year = int(match[1])
    low, high = spec.plausible or (0, 9999)
    if not low <= year <= high:
        raise InputError(file, where, raw, f"a year between {low:g} and {high:g}")
    return f"{year}-{int(match[2]):02d}" if match[2] else str(year)


def flatten(record: dict, prefix: str = "") -> dict:
    """{'fuels': {'coal_t_per_t': 1}} -> {'fuels.coal_t_per_t': 1}: the catalogue's dotted keys."""
    out = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def nest(flat: dict) -> dict:
    """Inverse of `flatten` (one level of nesting, as the catalogue uses)."""
    out: dict = {}
    for key, value in flat.items():
        head, _, tail = key.partition(".")
        if tail:
            out.setdefault(head, {})[tail] = value
        else:
            out[key] = value
    return out


def _record(section: str, raw, file: str, where: Where) -> dict:
    spec = SECTIONS[section]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(file, where((section,)), raw, f"the {spec.en} fields as a mapping")
    flat = flatten(raw)
    known = {f.key for f in spec.fields}
    for key in flat:
        if key not in known:
            raise InputError(file, where((section, *key.split("."))), key,
                             f"one of the {spec.en} fields: {sorted(known)}")
    values = {}
    for f in spec.fields:
        value = _value(f, flat.get(f.key), file, where((section, *f.key.split("."))))
        if value is not None:
            values[f.key] = value
    return values


def _rows(section: str, raw, file: str, where: Where, cls):
    spec = SECTIONS[section]
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError(file, where(("electricity", section)), raw, f"a list of {spec.en}")
    rows = []
    for i, row in enumerate(raw):
        if not isinstance(row, dict):
            raise InputError(file, where(("electricity", section, i)), row, "one row as a mapping")
        for key in row:
            if key not in {f.key for f in spec.fields}:
                raise InputError(file, where(("electricity", section, i, key)), key,
                                 f"one of {[f.key for f in spec.fields]}")
        values = {f.key: _value(f, row.get(f.key), file, where(("electricity", section, i, f.key)))
                  for f in spec.fields}
        rows.append(cls(**values))
    return tuple(rows)


def _one_year_after(day: dt.date) -> dt.date:
    """The same date a year later (29 February -> 1 March)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return dt.date(day.year + 1, 3, 1)


def _stages_used(product: dict) -> tuple[str, ...]:
    """The declarant's own stages a product kind's chain buys from: its required stages, and the
    refinery and anode plant where the smelter declares them as its own suppliers."""
    used = REQUIRED_STAGES[product["kind"]]
    for key, (stage, _) in DEFAULT_SUPPLIERS.items():
        if product["kind"] in ("primary-liquid", "primary-ingot") and product.get(key) == "own":
            used += (stage,)
    return used


def parse(data, file: str, where: Where) -> Declaration:
    """Check a declaration mapping field by field and build the Declaration."""
    if not isinstance(data, dict):
        raise InputError(file, "top level", type(data).__name__, "a declaration mapping")
    version = data.get("schema_version", SCHEMA_VERSION)
    if type(version) is not int or version != SCHEMA_VERSION:
        raise InputError(file, where(("schema_version",)), version, f"schema_version {SCHEMA_VERSION}")
    allowed = {"schema_version", "electricity", "data_quality", *RECORD_SECTIONS}
    for key in data:
        if key not in allowed:
            raise InputError(file, where((key,)), key, f"one of the sections {sorted(allowed)}")
    records = {s: _record(s, data.get(s), file, where) for s in RECORD_SECTIONS}
    declarant, period, product = records["declarant"], records["period"], records["product"]
    if not USCC.match(declarant["uscc"]):
        raise InputError(file, where(("declarant", "uscc")), declarant["uscc"],
                         "an 18-character unified social credit code (GB 32100-2015)")
    if period["end"] <= period["start"]:
        raise InputError(file, where(("period", "end")), str(period["end"]), f"a date after {period['start']}")
    if period["end"] >= _one_year_after(period["start"]):
        raise InputError(file, where(("period", "end")), str(period["end"]),
                         f"a reporting period of at most one year, ending before {_one_year_after(period['start'])} "
                         "(GB/T 44905-2024: data collection covers one calendar year)")
    stages = {s: records[s] for s in STAGE_SECTIONS if records[s]}  # a stage is declared by its values
    for stage in stages:
        if stage not in _stages_used(product):
            raise InputError(file, where((stage,)), f"{SECTIONS[stage].en} data ({SECTIONS[stage].zh})",
                             f"only the stages a {product['kind']} declaration uses: {list(_stages_used(product))} "
                             "(leave the others empty; refining and anode data need product.alumina_from or "
                             "anode_from 'own')")
    for stage in REQUIRED_STAGES[product["kind"]]:
        if stage not in stages:
            raise InputError(file, where((stage,)), None,
                             f"the {SECTIONS[stage].en} data ({SECTIONS[stage].zh}) of a {product['kind']} declaration")
    if product["kind"] in ("primary-liquid", "primary-ingot"):
        for key, (stage, default) in DEFAULT_SUPPLIERS.items():
            product.setdefault(key, default)
            if product[key] == "own" and stage not in stages:
                raise InputError(file, where((stage,)), None,
                                 f"the {SECTIONS[stage].en} data, since product.{key} is 'own'")
    electricity = data.get("electricity") or {}
    if not isinstance(electricity, dict):
        raise InputError(file, where(("electricity",)), electricity, "supplies and certificates as a mapping")
    for key in electricity:
        if key not in ("supplies", "certificates"):
            raise InputError(file, where(("electricity", key)), key, "'supplies' or 'certificates'")
    return Declaration(declarant, period, product, stages,
                       _rows("supplies", electricity.get("supplies"), file, where, Supply),
                       _rows("certificates", electricity.get("certificates"), file, where, Certificate),
                       version, file, where, _data_quality(data.get("data_quality"), file, where))


def _data_quality(raw, file: str, where: Where) -> dict:
    """The optional data_quality mapping, kept as given (its keys and scores are checked against the
    stages by greenal.uncertainty.quality.declared_quality)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InputError(file, where(("data_quality",)), raw, "a mapping of 'stage' or 'stage.field' to a data "
                         "source (measured, calculated, default, estimate) or the five pedigree scores")
    return dict(raw)


__all__ = ["Certificate", "Declaration", "FUELS", "PRODUCTS", "Supply", "parse"]
