"""Rules as data, verdicts as data: every claim checked against its clause.

A scheme file (methods/schemes/*.yaml) lists rules; each names an indicator that one of the
rule-set modules computes from a declaration's result, and the product kinds it applies to.
A `combined` rule judges other rules' verdicts (n of m criteria, n changing at a date).
Verdicts: pass, fail, not applicable, insufficient data, or information (numbers without a
verdict). Verdict notes are message keys of templates/messages.yaml, rendered in zh and en.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

import yaml

from greenal.declaration.fields import PRODUCTS
from greenal.errors import DataError, InputError, yaml_error
from greenal.inventory import bundled_inventory
from greenal.paths import bundled
from greenal.report.i18n import catalogue  # the one message catalogue

if TYPE_CHECKING:  # for the annotation only: the rules need not import the model
    from greenal.model.site import DeclarationResult

TESTS = ("max", "min", "grade", "info", "combined")
LANGS = ("zh", "en")
CERTAINTY = {"confirmed": "confirmed in the official text or a faithful public copy",
             "secondary": "read in a secondary transcription",
             "unconfirmed": "recalled or proposed, not confirmed"}
VERDICTS = ("pass", "fail", "not applicable", "insufficient data", "information")


@dataclass(frozen=True)
class Note:
    """A verdict note: a key of templates/messages.yaml and its parameters."""
    key: str
    params: tuple = ()  # (name, value) pairs

    def text(self, lang: str = "en") -> str:
        params = dict(self.params)
        if lang != "en":  # coded lists (products, provinces) and model prose in the note's language
            from greenal.report.i18n import translator

            t = translator(lang)
            params = {k: t.term(NOTE_TERMS[k], v) if k in NOTE_TERMS and "," not in str(v)
                      else t._group(f"term_{NOTE_TERMS[k]}", str(v)) if k in NOTE_TERMS
                      else t.text(v) if isinstance(v, str) else v for k, v in params.items()}
        return catalogue()[self.key][lang].format(**params)


# note parameters that hold codes, and the catalogue kind of their terms
NOTE_TERMS = {"products": "product", "provinces": "province", "declared": "route", "route": "route"}


def note(key: str, **params) -> Note:
    """The catalogue is read only when a note is rendered (text), not when a verdict is made."""
    return Note(key, tuple(params.items()))


class Missing:
    """An indicator that cannot be computed: the declaration lacks these fields."""

    def __init__(self, *fields: str):
        self.fields = fields

    @property
    def note(self) -> Note:
        return note("note_missing", fields=", ".join(self.fields))

    def __str__(self):
        return self.note.text()


class NotApplicable:
    """An indicator that does not apply to this declaration; `key` is a message key."""

    def __init__(self, key: str, **params):
        self.note = note(key, **params)

    def __str__(self):
        return self.note.text()


@dataclass(frozen=True)
class Finding:
    """A computed value with notes the verdict carries (e.g. what lies outside a boundary)."""
    value: float
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    scheme: str
    title: dict
    indicator: str
    unit: str
    test: str
    clause: str
    source: dict
    certainty: str
    threshold: float | None = None
    levels: tuple[float, ...] = ()
    strict: bool = False
    applies_to: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    level: str = "plant"
    deadline_for_older: dict | None = None
    direction: str = "max"  # for info rules with a reference value: which side is better
    note: dict = field(default_factory=dict)  # {zh, en}, shown with every verdict (e.g. the CN code)
    requires: dict | None = None  # combined rules: {of: [ids], at_least: n, until: date, then: all | n}
    threshold_from: str = ""  # a function of the module's THRESHOLDS giving the threshold per declaration

    @property
    def combination(self) -> dict:
        """`requires` of a combined rule (only combined rules read it)."""
        assert self.requires is not None, f"{self.id} is not a combined rule"
        return self.requires

    def required(self, on: dt.date | None) -> int:
        """Criteria a combined rule needs on the assessment date."""
        req = self.combination
        if on is None or "until" not in req or on <= req["until"]:
            return req["at_least"]
        return len(req["of"]) if req["then"] == "all" else req["then"]

    def threshold_text(self) -> str:
        if self.test == "combined":
            req, n = self.combination, len(self.combination["of"])
            if self.threshold is not None:  # as judged on an assessment date
                return f"≥ {self.threshold:g} / {n}"
            later = f" until {req['until'].isoformat()}, then {req['then']}" if "until" in req else ""
            return f"{req['at_least']} of {n} ({', '.join(req['of'])}){later}"
        if self.test == "grade":
            return " / ".join(f"{v:g}" for v in self.levels)
        if self.threshold is None:
            return f"vs {self.threshold_from} (per declaration)" if self.threshold_from else ""
        sign = {"max": "<" if self.strict else "≤", "min": ">" if self.strict else "≥"}.get(self.test, "vs")
        if self.test == "info" and self.direction == "min":
            sign = "≥"
        return f"{sign} {self.threshold:g}"


@dataclass(frozen=True)
class Scheme:
    code: str
    name: dict
    document: str
    effective: str
    module: str
    rules: tuple[Rule, ...]
    data: dict = field(default_factory=dict)  # sourced values the module reads (each with source, certainty)


@dataclass(frozen=True)
class Verdict:
    rule: Rule
    verdict: str
    value: float | None = None
    margin: float | None = None
    grade: str = ""
    notes: tuple[Note, ...] = ()

    def note_text(self, lang: str = "en") -> str:
        return "; ".join(x for x in (self.rule.note.get(lang, ""), *(n.text(lang) for n in self.notes)) if x)

    @property
    def note(self) -> str:
        return self.note_text("en")

    def to_dict(self) -> dict:
        r = self.rule
        return {"rule": r.id, "scheme": r.scheme, "title_zh": r.title["zh"], "title_en": r.title["en"],
                "value": self.value, "unit": r.unit, "threshold": r.threshold_text(), "margin": self.margin,
                "limit": r.levels[-1] if r.test == "grade" else r.threshold,
                "verdict": self.verdict, "grade": self.grade, "note": self.note,
                **{f"note_{lang}": self.note_text(lang) for lang in LANGS}, "clause": r.clause,
                "source": cite(r.source), "certainty": r.certainty}


def cite(source: dict) -> str:
    entry = bundled_inventory().sources[source["ref"]]
    return f"{entry['document']} — {source['locator']}"


@cache
def schemes() -> dict[str, Scheme]:
    """Every bundled scheme, checked: known test, certainty, source, indicator and product kinds."""
    from greenal.schemas import check_file

    out = {}
    for path in sorted((bundled("methods") / "schemes").glob("*.yaml")):
        file = f"methods/schemes/{path.name}"
        text = path.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise yaml_error(file, exc, DataError) from None
        check_file("scheme", data, file, text)  # structure and types, with the line (greenal/schemas.py)
        module = importlib.import_module(f"greenal.standards.{data['module']}")
        _check_data(file, "data", data.get("data") or {})
        rules = tuple(_rule(file, f"rules[{i}] ({raw.get('id')})", raw, data, module)
                      for i, raw in enumerate(data["rules"]))
        out[data["code"]] = Scheme(data["code"], data["name"], data["document"],
                                   _effective(file, data.get("effective")),
                                   data["module"], rules, data.get("data") or {})
    ids = {r.id for s in out.values() for r in s.rules}
    for code, scheme in out.items():
        for i, r in enumerate(scheme.rules):
            unknown = [x for x in (r.requires or {}).get("of", ()) if x not in ids]
            if unknown:
                raise DataError(f"methods/schemes/{code}.yaml", f"rules[{i}] ({r.id}).requires.of", unknown,
                                 "ids of rules in the bundled schemes")
    return out


def _rule(file: str, where: str, raw: dict, data: dict, module) -> Rule:
    if raw.get("test") not in TESTS:
        raise DataError(file, f"{where}.test", raw.get("test"), f"one of {list(TESTS)}")
    if raw.get("certainty") not in CERTAINTY:
        raise DataError(file, f"{where}.certainty", raw.get("certainty"), f"one of {list(CERTAINTY)}")
    _check_source(file, f"{where}.source", raw.get("source"))
    kinds = raw.get("applies_to")
    if not isinstance(kinds, list) or not kinds or any(k not in PRODUCTS for k in kinds):
        raise DataError(file, f"{where}.applies_to", kinds, f"a list of product kinds from {list(PRODUCTS)}")
    if raw["test"] == "combined":
        _check_requires(file, f"{where}.requires", raw.get("requires"))
    elif raw.get("indicator") not in module.INDICATORS:
        raise DataError(file, f"{where}.indicator", raw.get("indicator"),
                         f"one of {sorted(module.INDICATORS)} (greenal/standards/{data['module']}.py)")
    if raw.get("threshold_from"):
        if raw["threshold_from"] not in getattr(module, "THRESHOLDS", {}):
            raise DataError(file, f"{where}.threshold_from", raw["threshold_from"],
                             f"a function of THRESHOLDS in greenal/standards/{data['module']}.py")
    elif raw["test"] in ("max", "min") and not isinstance(raw.get("threshold"), (int, float)):
        raise DataError(file, f"{where}.threshold", raw.get("threshold"), "a number")
    if raw["test"] == "grade" and len(raw.get("levels") or []) != 3:
        raise DataError(file, f"{where}.levels", raw.get("levels"), "three limits, level 1 to level 3")
    note_ = raw.get("note") or {}
    if isinstance(note_, str):
        note_ = dict.fromkeys(LANGS, note_)
    if set(note_) - set(LANGS) or (note_ and set(note_) != set(LANGS)):
        raise DataError(file, f"{where}.note", raw.get("note"), "a text, or {zh: ..., en: ...}")
    return Rule(id=raw["id"], scheme=data["code"], title=raw["title"], indicator=raw.get("indicator", ""),
                unit=raw.get("unit", ""), test=raw["test"], clause=raw["clause"], source=raw["source"],
                certainty=raw["certainty"], threshold=raw.get("threshold"),
                levels=tuple(raw.get("levels") or ()), strict=bool(raw.get("strict")),
                applies_to=tuple(kinds), provinces=tuple(raw.get("provinces") or ()),
                level=raw.get("level", "plant"), deadline_for_older=raw.get("deadline_for_older"),
                direction=raw.get("direction", "max"), note=note_, requires=raw.get("requires"),
                threshold_from=raw.get("threshold_from", ""))


def _check_source(file: str, where: str, source) -> None:
    if not isinstance(source,
                      dict) or source.get("ref") not in bundled_inventory().sources or not source.get("locator"):
        raise DataError(file, where, source, "{ref: a key of inventories/sources.yaml, locator: where in it}")


def _check_requires(file: str, where: str, req) -> None:
    if not isinstance(req, dict) or not isinstance(req.get("of"), list) or len(req["of"]) < 2:
        raise DataError(file, where, req, "{of: [two or more rule ids], at_least: n, until: date, then: all | n}")
    n = len(req["of"])
    if not isinstance(req.get("at_least"), int) or not 1 <= req["at_least"] <= n:
        raise DataError(file, f"{where}.at_least", req.get("at_least"), f"a whole number from 1 to {n}")
    if "until" in req or "then" in req:
        if not isinstance(req.get("until"), dt.date):
            raise DataError(file, f"{where}.until", req.get("until"), "a date (YYYY-MM-DD)")
        then = req.get("then")
        if then != "all" and not (isinstance(then, int) and 1 <= then <= n):
            raise DataError(file, f"{where}.then", then, f"'all' or a whole number from 1 to {n}")


def _check_data(file: str, where: str, node) -> None:
    """Scheme data: every leaf {value, unit, source, certainty} is sourced and tagged."""
    if isinstance(node, dict) and "value" in node:
        if not isinstance(node["value"], (int, float)) or not node.get("unit"):
            raise DataError(file, where, node, "{value: a number, unit: ..., source: ..., certainty: ...}")
        _check_source(file, f"{where}.source", node.get("source"))
        if node.get("certainty") not in CERTAINTY:
            raise DataError(file, f"{where}.certainty", node.get("certainty"), f"one of {list(CERTAINTY)}")
    elif isinstance(node, dict):
        for key, value in node.items():
            _check_data(file, f"{where}.{key}", value)
    else:
        raise DataError(file, where, node, "a sourced value {value, unit, source, certainty} or a group of them")


def _effective(file: str, effective) -> str:
    """'YYYY-MM-DD (source)' where a source gives the date; otherwise 'not stated'."""
    if effective is None:
        return "not stated"
    if not isinstance(effective, dict) or not isinstance(effective.get("date"), dt.date):
        raise DataError(file, "effective", effective, "{date: YYYY-MM-DD, source: {ref, locator}}")
    _check_source(file, "effective.source", effective.get("source"))
    source = effective["source"]
    return f"{effective['date'].isoformat()} ({source['ref']}: {source['locator']})"


def scheme_data(code: str) -> dict:
    return schemes()[code].data


def data_value(entry: dict) -> float:
    """The number of one sourced data entry."""
    return entry["value"]


def indicator(rule: Rule, context):
    module = importlib.import_module(f"greenal.standards.{schemes()[rule.scheme].module}")
    return module.INDICATORS[rule.indicator](context)


def computed_threshold(rule: Rule, context):
    module = importlib.import_module(f"greenal.standards.{schemes()[rule.scheme].module}")
    return module.THRESHOLDS[rule.threshold_from](context)


def judge(rule: Rule, value, *, product: str | None = None, province: str | None = None,
          start_year: int | None = None, assessment_year: int | None = None) -> Verdict:
    """The verdict of one rule on one computed value (a number, Finding, Missing or NotApplicable)."""
    if product not in rule.applies_to:
        return Verdict(rule, "not applicable", notes=(note("note_applies_to", products=", ".join(rule.applies_to)),))
    if rule.provinces and province not in rule.provinces:
        return Verdict(rule, "not applicable", notes=(note("note_applies_in", provinces=", ".join(rule.provinces)),))
    if isinstance(value, (NotApplicable, Missing)):
        return Verdict(rule, "not applicable" if isinstance(value, NotApplicable) else "insufficient data",
                       notes=(value.note,))
    if value is None:
        return Verdict(rule, "insufficient data", notes=(note("note_missing", fields="data"),))
    notes = ()
    if isinstance(value, Finding):
        value, notes = value.value, value.notes
    value = float(value)
    if rule.test == "info":
        margin = None if rule.threshold is None else (
            rule.threshold - value if rule.direction == "max" else value - rule.threshold)
        return Verdict(rule, "information", value, margin, notes=notes)
    if rule.test == "grade":
        grade = next((i for i, limit in enumerate(rule.levels, start=1) if value <= limit), None)
        margin = rule.levels[-1] - value
        if grade is None:
            return Verdict(rule, "fail", value, margin, "below level 3", notes=notes)
        return Verdict(rule, "pass", value, margin, f"level {grade}", notes=notes)
    if rule.test == "max":
        ok = value < rule.threshold if rule.strict else value <= rule.threshold
        margin = rule.threshold - value
    else:
        ok = value > rule.threshold if rule.strict else value >= rule.threshold
        margin = value - rule.threshold
    verdict = Verdict(rule, "pass" if ok else "fail", value, margin, notes=notes)
    older = rule.deadline_for_older
    if older and start_year is not None and start_year < older["before"] and (assessment_year or 0) < older["from"]:
        return Verdict(rule, "not applicable", value, margin,
                       notes=notes + (note(f"note_deadline_for_older_{verdict.verdict}", start=start_year,
                                           year=older["from"]),))
    if older and start_year is None:
        return Verdict(rule, verdict.verdict, value, margin, notes=notes + (note("note_start_year_missing"),))
    return verdict


def judge_combined(rule: Rule, parts: dict[str, Verdict], *, product: str | None = None,
                   on: dt.date | None = None) -> Verdict:
    """n of m criteria, n read from `requires` on the assessment date: pass when n are met, fail
    when n can no longer be met, insufficient data when the undetermined ones decide."""
    if product not in rule.applies_to:
        return Verdict(rule, "not applicable", notes=(note("note_applies_to", products=", ".join(rule.applies_to)),))
    need = rule.required(on)
    rule = dataclasses.replace(rule, threshold=need)
    of = rule.combination["of"]
    met = [i for i in of if parts[i].verdict == "pass"]
    open_ = [i for i in of if parts[i].verdict not in ("pass", "fail")]
    if len(met) >= need:
        verdict = "pass"
    elif len(met) + len(open_) >= need:
        verdict = "insufficient data"
    else:
        verdict = "fail"
    req = rule.combination
    period = (note("note_combined_until", date=req["until"].isoformat()) if on is not None and "until" in req
              and on <= req["until"] else note("note_combined_after", date=req["until"].isoformat())
              if "until" in req else None)
    notes = (note("note_combined", met=", ".join(met) or "–", need=need, total=len(of)),
             *((period,) if period else ()),
             *((note("note_combined_open", rules=", ".join(open_)),) if open_ else ()))
    return Verdict(rule, verdict, float(len(met)), float(len(met) - need), notes=notes)


@dataclass
class PlantContext:
    """What the indicator modules read: the declaration's result and the GWP set in use."""
    result: DeclarationResult
    gwp: str

    @property
    def decl(self):
        return self.result.declaration

    def stage(self, name: str) -> dict:
        return self.decl.stages.get(name, {})

    def per_t(self, stage: str) -> float:
        """Units of the stage's product per t of declared product (e.g. t liquid per t ingot)."""
        return self.result.scaling.get(f"site:{stage}", 0.0)


def assess(result, scheme_codes: list[str] | None = None, gwp: str = "ar6") -> list[Verdict]:
    """Every plant-level rule of the chosen schemes (all by default) on one declaration. Rules a
    combined rule reads are judged even when their scheme was not chosen."""
    decl = result.declaration
    context = PlantContext(result, gwp)
    every = {r.id: r for s in schemes().values() for r in s.rules}
    done: dict[str, Verdict] = {}

    def verdict_of(rule: Rule) -> Verdict:
        if rule.id not in done:
            if rule.test == "combined":
                parts = {i: verdict_of(every[i]) for i in rule.combination["of"]}
                done[rule.id] = judge_combined(rule, parts, product=decl.product["kind"], on=decl.period["end"])
            else:
                if rule.threshold_from and decl.product["kind"] in rule.applies_to:
                    limit = computed_threshold(rule, context)
                    if isinstance(limit, (Missing, NotApplicable)):
                        done[rule.id] = judge(rule, limit, product=decl.product["kind"])
                        return done[rule.id]
                    extra = limit.notes if isinstance(limit, Finding) else ()
                    limit = limit.value if isinstance(limit, Finding) else limit
                    rule = dataclasses.replace(rule, threshold=float(limit))
                else:
                    extra = ()
                value = indicator(rule, context)
                if result.electricity.default_supply and "CO2" in rule.unit:
                    # no supplies declared: the footprint rests on a conservative default, never a claim
                    value = Missing("electricity.supplies")
                v = judge(rule, value, product=decl.product["kind"],
                          province=decl.declarant.get("province"), start_year=decl.product.get("smelter_start_year"),
                          assessment_year=decl.period["end"].year)
                basis = electricity_basis(rule)
                if basis and v.verdict != "not applicable":
                    extra += (note(basis),)
                done[rule.id] = dataclasses.replace(v, notes=v.notes + extra) if extra else v
        return done[rule.id]

    return [verdict_of(rule) for scheme in _chosen(scheme_codes) for rule in scheme.rules if rule.level == "plant"]


def electricity_basis(rule: Rule) -> str:
    """The electricity basis the rule's frame uses: a message key from the module's ELECTRICITY_BASIS."""
    module = importlib.import_module(f"greenal.standards.{schemes()[rule.scheme].module}")
    return getattr(module, "ELECTRICITY_BASIS", {}).get(rule.indicator, "")


def _chosen(scheme_codes):
    every = schemes()
    for code in scheme_codes or []:
        if code not in every:
            raise InputError("schemes", "scheme code", code, f"one of {list(every)}")
    return [every[c] for c in (scheme_codes or every)]


__all__ = ["Finding", "Missing", "Note", "NotApplicable", "PlantContext", "Rule", "Scheme", "Verdict", "assess",
           "judge",
           "judge_combined", "note", "scheme_data", "schemes", "data_value"]
