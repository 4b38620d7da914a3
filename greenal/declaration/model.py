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

from greenal.declaration.fields import (FUELS, PRODUCT_STAGE, PRODUCTS, RECORD_SECTIONS, SCHEMA_VERSION, SECTIONS,
                                        SIGNOFF, STAGE_SECTIONS, TOTAL_UNITS, Field, stage_output_field,
                                        total_field)
from greenal.declaration.problems import Problems
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
    # evidence reference per 'section' or 'section.field' (document, meter, invoice)
    evidence: dict = field(default_factory=dict)
    # amounts declared as period totals, as given: stage -> {'<field>_<unit>_total': total, 'output_t': t};
    # `stages` holds them per tonne (total x factor / output)
    totals: dict = field(default_factory=dict)
    signoff: dict = field(default_factory=dict)  # filled_by, checked_by, date

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

    def stage_output_t(self, stage: str) -> float | None:
        """The output in the period that the stage's period totals are divided by."""
        given = self.totals.get(stage, {}).get("output_t")
        return given if given is not None else self.output_t if PRODUCT_STAGE[self.product["kind"]] == stage else None

    @property
    def notes(self) -> tuple[str, ...]:
        """One note per amount given as a period total: how it became a per-tonne amount."""
        out = []
        for stage, given in self.totals.items():
            output = self.stage_output_t(stage)
            source = f"{stage}.output_t" if "output_t" in given else "product.annual_output_t"
            for spec in SECTIONS[stage].fields:
                total = total_field(spec)
                if total is None or total.key not in given:
                    continue
                out.append(f"{stage}: {spec.key} = {given[total.key]:,.8g} {total.unit} / {output:,.8g} t in the "
                           f"period ({source}) = {self.stages[stage][spec.key]:,.8g} {spec.unit} (given as the "
                           f"period total {total.key})")
        return tuple(out)

    def to_mapping(self) -> dict:
        """The nested mapping the readers produce (YAML shape); inverse of `parse`."""
        out = {"schema_version": self.schema_version, "declarant": dict(self.declarant),
               "period": dict(self.period), "product": dict(self.product)}
        for stage, values in self.stages.items():
            given = self.totals.get(stage, {})
            converted = {spec.key for spec in SECTIONS[stage].fields
                         if (total := total_field(spec)) is not None and total.key in given}
            out[stage] = nest({**{k: v for k, v in values.items() if k not in converted}, **given})
        out["electricity"] = {
            "supplies": [{f.name: getattr(s, f.name) for f in fields(s) if getattr(s, f.name) is not None}
                         for s in self.supplies],
            "certificates": [{f.name: getattr(c, f.name) for f in fields(c) if getattr(c, f.name) is not None}
                             for c in self.certificates]}
        for name in ("data_quality", "evidence", "signoff"):
            if getattr(self, name):
                out[name] = dict(getattr(self, name))
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
        kind = ("a list" if isinstance(raw, (list, tuple)) else "a mapping" if isinstance(raw, dict)
                else type(raw).__name__)
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


def section_fields(section: str) -> list[Field]:
    """A section's fields; a stage also takes each per-tonne amount's period total and its output."""
    spec = SECTIONS[section]
    if section not in STAGE_SECTIONS:
        return list(spec.fields)
    totals = [t for f in spec.fields if (t := total_field(f)) is not None]
    return [*spec.fields, *totals, stage_output_field(section)]


def _record(section: str, raw, file: str, where: Where, problems: Problems) -> dict:
    spec = SECTIONS[section]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        problems.add(InputError(file, where((section,)), raw, f"the {spec.en} fields as a mapping"))
        return {}
    flat = flatten(raw)
    specs = section_fields(section)
    known = {f.key for f in specs}
    for key in flat:
        if key not in known:
            problems.add(InputError(file, where((section, *key.split("."))), key,
                                    f"one of the {spec.en} fields: {sorted(known)}"))
    values = {}
    for f in specs:
        with problems.check():
            value = _value(f, flat.get(f.key), file, where((section, *f.key.split("."))))
            if value is not None:
                values[f.key] = value
    return values


def _split_totals(stage: str, values: dict, product: dict, file: str, where: Where,
                  problems: Problems) -> tuple[dict, dict]:
    """(per-tonne values, totals as given): each period total divided by the stage's output in the
    period (its output_t, else the product's annual output on the product's own stage)."""
    given = {k: v for k, v in values.items() if k == "output_t" or k.endswith("_total")}
    per_t = {k: v for k, v in values.items() if k not in given}
    if not given:
        return per_t, {}
    output = given.get("output_t")
    if output is None and PRODUCT_STAGE.get(product.get("kind", "")) == stage:
        output = product.get("annual_output_t")
    for f in SECTIONS[stage].fields:
        total = total_field(f)
        if total is None or total.key not in given:
            continue
        factor = TOTAL_UNITS[f.unit.partition("/")[0]][2]
        at = where((stage, *total.key.split(".")))
        if f.key in per_t:
            problems.add(InputError(file, at, given[total.key], f"either {f.key} ({per_t[f.key]:g} {f.unit}) or "
                                    f"its period total {total.key}, not both"))
            continue
        if output is None:
            problems.add(InputError(file, where((stage, "output_t")), None,
                                    f"the {SECTIONS[stage].en} output in the period (output_t, t "
                                    f"{SECTIONS[stage].per}) that the period total {total.key} is divided by"))
            continue
        amount = given[total.key] * factor / output
        try:
            per_t[f.key] = _number(f, amount, file, at)
        except InputError as exc:
            shown = f"{given[total.key]:g} {total.unit} / {output:g} t = {amount:.6g} {f.unit}"
            problems.add(InputError(file, at, shown, exc.expected, exc.hint))
    if set(given) == {"output_t"}:
        problems.add(InputError(file, where((stage, "output_t")), given["output_t"],
                                "period totals on this stage to divide by it, or no output (amounts per tonne "
                                "need none)"))
    return per_t, given


def _rows(section: str, raw, file: str, where: Where, cls, problems: Problems):
    spec = SECTIONS[section]
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(InputError(file, where(("electricity", section)), raw, f"a list of {spec.en}"))
        return ()
    rows = []
    for i, row in enumerate(raw):
        if not isinstance(row, dict):
            problems.add(InputError(file, where(("electricity", section, i)), row, "one row as a mapping"))
            continue
        for key in row:
            if key not in {f.key for f in spec.fields}:
                problems.add(InputError(file, where(("electricity", section, i, key)), key,
                                        f"one of {[f.key for f in spec.fields]}"))
        values = {}
        for f in spec.fields:
            with problems.check():
                values[f.key] = _value(f, row.get(f.key), file, where(("electricity", section, i, f.key)))
        if len(values) == len(spec.fields):
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


def _check_period(period: dict, file: str, where: Where, problems: Problems) -> None:
    if "start" not in period or "end" not in period:
        return
    if period["end"] <= period["start"]:
        problems.add(InputError(file, where(("period", "end")), str(period["end"]), f"a date after {period['start']}"))
    elif period["end"] >= _one_year_after(period["start"]):
        problems.add(InputError(file, where(("period", "end")), str(period["end"]),
                                f"a reporting period of at most one year, ending before "
                                f"{_one_year_after(period['start'])} (GB/T 44905-2024: data collection covers one "
                                "calendar year)"))


def _check_stages(stages: dict, product: dict, file: str, where: Where, problems: Problems) -> None:
    """Only the stages the product uses, and those it needs; fills the default suppliers in."""
    if product.get("kind") not in REQUIRED_STAGES:
        return
    for stage in stages:
        if stage not in _stages_used(product):
            problems.add(InputError(file, where((stage,)), f"{SECTIONS[stage].en} data ({SECTIONS[stage].zh})",
                                    f"only the stages a {product['kind']} declaration uses: "
                                    f"{list(_stages_used(product))} (leave the others empty; refining and anode data "
                                    "need product.alumina_from or anode_from 'own')"))
    for stage in REQUIRED_STAGES[product["kind"]]:
        if stage not in stages:
            problems.add(InputError(file, where((stage,)), None, f"the {SECTIONS[stage].en} data "
                                    f"({SECTIONS[stage].zh}) of a {product['kind']} declaration"))
    if product["kind"] in ("primary-liquid", "primary-ingot"):
        for key, (stage, default) in DEFAULT_SUPPLIERS.items():
            product.setdefault(key, default)
            if product[key] == "own" and stage not in stages:
                problems.add(InputError(file, where((stage,)), None,
                                        f"the {SECTIONS[stage].en} data, since product.{key} is 'own'"))


def parse(data, file: str, where: Where, problems: Problems | None = None) -> Declaration:
    """Check a declaration mapping field by field and build the Declaration. Every bad field is
    collected (with those `problems` already holds, e.g. a workbook's layout) and raised together."""
    problems = problems if problems is not None else Problems(file)
    if not isinstance(data, dict):
        problems.add(InputError(file, "top level", type(data).__name__, "a declaration mapping"))
        problems.raise_any()
    version = data.get("schema_version", SCHEMA_VERSION)
    if type(version) is not int or version != SCHEMA_VERSION:
        problems.add(InputError(file, where(("schema_version",)), version, f"schema_version {SCHEMA_VERSION}"))
    allowed = {"schema_version", "electricity", "data_quality", "evidence", SIGNOFF, *RECORD_SECTIONS}
    unknown = [key for key in data if key not in allowed]
    if unknown:  # not this schema's layout: say so once, before the fields it would leave missing
        others = ", ".join(map(str, unknown[1:6])) + (f" and {len(unknown) - 6} more" if len(unknown) > 6 else "")
        problems.add(InputError(file, where((unknown[0],)), unknown[0], f"one of the sections {sorted(allowed)}",
                                f"Also unknown: {others}" if others else ""))
        problems.raise_any()
    records = {}
    for section in (*RECORD_SECTIONS, SIGNOFF):  # errors in the order of the sections
        records[section] = _record(section, data.get(section), file, where, problems)
        if section == "declarant" and not USCC.match(records[section].get("uscc", "0" * 18)):
            problems.add(InputError(file, where(("declarant", "uscc")), records[section]["uscc"],
                                    "an 18-character unified social credit code (GB 32100-2015)"))
        if section == "period":
            _check_period(records[section], file, where, problems)
    declarant, period, product = records["declarant"], records["period"], records["product"]
    stages, totals = {}, {}
    for stage in STAGE_SECTIONS:
        per_t, given = _split_totals(stage, records[stage], product, file, where, problems)
        if per_t:  # a stage is declared by its values
            stages[stage] = per_t
        if given:
            totals[stage] = given
    _check_stages(stages, product, file, where, problems)
    electricity = data.get("electricity") or {}
    if not isinstance(electricity, dict):
        problems.add(InputError(file, where(("electricity",)), electricity, "supplies and certificates as a mapping"))
        electricity = {}
    for key in electricity:
        if key not in ("supplies", "certificates"):
            problems.add(InputError(file, where(("electricity", key)), key, "'supplies' or 'certificates'"))
    supplies = _rows("supplies", electricity.get("supplies"), file, where, Supply, problems)
    certificates = _rows("certificates", electricity.get("certificates"), file, where, Certificate, problems)
    declared = {**{s: records[s] for s in ("declarant", "period", "product")}, **stages}
    quality = _keyed("data_quality", data.get("data_quality"), declared, totals, file, where, problems)
    evidence = _keyed("evidence", data.get("evidence"), declared, totals, file, where, problems)
    for key, text in evidence.items():
        with problems.check():
            _text(Field("evidence", "证明材料", "evidence reference", kind="text"), text, file,
                  where(("evidence", key)))
    problems.raise_any()
    return Declaration(declarant, period, product, stages, supplies, certificates, version, file, where,
                       quality, evidence, totals, records[SIGNOFF])


def _keyed(name: str, raw, declared: dict, totals: dict, file: str, where: Where, problems: Problems) -> dict:
    """A mapping keyed by 'section' or 'section.field' (data_quality, evidence), as given; a period
    total's key names its per-tonne field. data_quality's keys and scores are checked against the
    stages by greenal.uncertainty.quality.declared_quality; evidence must name a declared value."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        what = ("a data source (measured, calculated, default, estimate) or the five pedigree scores"
                if name == "data_quality" else "an evidence reference (document, meter, invoice)")
        problems.add(InputError(file, where((name,)), raw, f"a mapping of 'stage' or 'stage.field' to {what}"))
        return {}
    out = {}
    for key, value in raw.items():
        section, _, field_key = str(key).partition(".")
        for f in SECTIONS[section].fields if section in STAGE_SECTIONS else ():
            total = total_field(f)
            if total is not None and field_key == total.key:
                field_key = f.key
        normalised = f"{section}.{field_key}" if field_key else section
        if name == "evidence" and (section not in declared or (field_key and field_key not in declared[section]
                                                               and field_key not in totals.get(section, {}))):
            problems.add(InputError(file, where((name, key)), key, "'section' or 'section.field' of a declared "
                                    f"value (sections declared: {sorted(declared)})"))
            continue
        out[normalised] = value
    return out


__all__ = ["Certificate", "Declaration", "FUELS", "PRODUCTS", "Supply", "parse"]
