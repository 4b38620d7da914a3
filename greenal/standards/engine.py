"""Rules as data, verdicts as data: every claim checked against its clause.

A scheme file (methods/schemes/*.yaml) lists rules; each names an indicator that one of the
rule-set modules computes from a declaration's result. Verdicts: pass, fail, not applicable,
insufficient data, or information (numbers without a verdict).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from functools import cache

import yaml

from greenal.errors import InputError, yaml_error
from greenal.inventory import bundled_inventory
from greenal.paths import bundled

TESTS = ("max", "min", "grade", "info")
CERTAINTY = {"confirmed": "confirmed in the official text or a faithful public copy",
             "secondary": "read in a secondary transcription",
             "unconfirmed": "recalled or proposed, not confirmed"}
VERDICTS = ("pass", "fail", "not applicable", "insufficient data", "information")


class Missing:
    """An indicator that cannot be computed: the declaration lacks these fields."""

    def __init__(self, *fields: str):
        self.fields = fields

    def __str__(self):
        return "missing " + ", ".join(self.fields)


class NotApplicable:
    def __init__(self, reason: str):
        self.reason = reason

    def __str__(self):
        return self.reason


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
    note: str = ""  # shown with every verdict of the rule (e.g. the CBAM CN code)

    def threshold_text(self) -> str:
        if self.test == "grade":
            return " / ".join(f"{v:g}" for v in self.levels)
        if self.threshold is None:
            return ""
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


@dataclass(frozen=True)
class Verdict:
    rule: Rule
    verdict: str
    value: float | None = None
    margin: float | None = None
    grade: str = ""
    note: str = ""

    def to_dict(self) -> dict:
        r = self.rule
        note = "; ".join(x for x in (r.note, self.note) if x)
        return {"rule": r.id, "scheme": r.scheme, "title_zh": r.title["zh"], "title_en": r.title["en"],
                "value": self.value, "unit": r.unit, "threshold": r.threshold_text(), "margin": self.margin,
                "limit": r.levels[-1] if r.test == "grade" else r.threshold,
                "verdict": self.verdict, "grade": self.grade, "note": note, "clause": r.clause,
                "source": cite(r.source), "certainty": r.certainty}


def cite(source: dict) -> str:
    entry = bundled_inventory().sources[source["ref"]]
    return f"{entry['document']} — {source['locator']}"


@cache
def schemes() -> dict[str, Scheme]:
    """Every bundled scheme, checked: known test, certainty, source and indicator."""
    out = {}
    bibliography = bundled_inventory().sources
    for path in sorted((bundled("methods") / "schemes").glob("*.yaml")):
        file = f"methods/schemes/{path.name}"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise yaml_error(file, exc) from None
        module = importlib.import_module(f"greenal.standards.{data['module']}")
        rules = []
        for i, raw in enumerate(data["rules"]):
            where = f"rules[{i}] ({raw.get('id')})"
            if raw.get("test") not in TESTS:
                raise InputError(file, f"{where}.test", raw.get("test"), f"one of {list(TESTS)}")
            if raw.get("certainty") not in CERTAINTY:
                raise InputError(file, f"{where}.certainty", raw.get("certainty"), f"one of {list(CERTAINTY)}")
            if (raw.get("source") or {}).get("ref") not in bibliography:
                raise InputError(file, f"{where}.source", raw.get("source"), "a key of inventories/sources.yaml")
            if raw["indicator"] not in module.INDICATORS:
                raise InputError(file, f"{where}.indicator", raw["indicator"],
                                 f"one of {sorted(module.INDICATORS)} (greenal/standards/{data['module']}.py)")
            if raw["test"] in ("max", "min") and not isinstance(raw.get("threshold"), (int, float)):
                raise InputError(file, f"{where}.threshold", raw.get("threshold"), "a number")
            if raw["test"] == "grade" and len(raw.get("levels") or []) != 3:
                raise InputError(file, f"{where}.levels", raw.get("levels"), "three limits, level 1 to level 3")
            rules.append(Rule(id=raw["id"], scheme=data["code"], title=raw["title"], indicator=raw["indicator"],
                              unit=raw.get("unit", ""), test=raw["test"], clause=raw["clause"], source=raw["source"],
                              certainty=raw["certainty"], threshold=raw.get("threshold"),
                              levels=tuple(raw.get("levels") or ()), strict=bool(raw.get("strict")),
                              applies_to=tuple(raw.get("applies_to") or ()), provinces=tuple(raw.get("provinces") or ()),
                              level=raw.get("level", "plant"), deadline_for_older=raw.get("deadline_for_older"),
                              direction=raw.get("direction", "max"), note=raw.get("note", "")))
        out[data["code"]] = Scheme(data["code"], data["name"], data["document"], str(data["effective"]),
                                   data["module"], tuple(rules))
    return out


def indicator(rule: Rule, context):
    module = importlib.import_module(f"greenal.standards.{schemes()[rule.scheme].module}")
    return module.INDICATORS[rule.indicator](context)


def judge(rule: Rule, value, *, product: str | None = None, province: str | None = None,
          start_year: int | None = None, assessment_year: int | None = None) -> Verdict:
    """The verdict of one rule on one computed value."""
    if rule.applies_to and product not in rule.applies_to:
        return Verdict(rule, "not applicable", note=f"applies to {', '.join(rule.applies_to)}")
    if rule.provinces and province not in rule.provinces:
        return Verdict(rule, "not applicable", note=f"applies in {', '.join(rule.provinces)}")
    if isinstance(value, NotApplicable):
        return Verdict(rule, "not applicable", note=str(value))
    if isinstance(value, Missing) or value is None:
        return Verdict(rule, "insufficient data", note=str(value or "missing data"))
    value = float(value)
    if rule.test == "info":
        margin = None if rule.threshold is None else (
            rule.threshold - value if rule.direction == "max" else value - rule.threshold)
        return Verdict(rule, "information", value, margin)
    if rule.test == "grade":
        grade = next((i for i, limit in enumerate(rule.levels, start=1) if value <= limit), None)
        margin = rule.levels[-1] - value
        if grade is None:
            return Verdict(rule, "fail", value, margin, "below level 3")
        return Verdict(rule, "pass", value, margin, f"level {grade}")
    if rule.test == "max":
        ok = value < rule.threshold if rule.strict else value <= rule.threshold
        margin = rule.threshold - value
    else:
        ok = value > rule.threshold if rule.strict else value >= rule.threshold
        margin = value - rule.threshold
    verdict = Verdict(rule, "pass" if ok else "fail", value, margin)
    older = rule.deadline_for_older
    if older and start_year is not None and start_year < older["before"] and (assessment_year or 0) < older["from"]:
        return Verdict(rule, "not applicable", value, margin,
                       note=f"smelter started {start_year}: the threshold applies from {older['from']} "
                            f"(it would {'pass' if ok else 'fail'} today)")
    if older and start_year is None:
        return Verdict(rule, verdict.verdict, value, margin, note="start year not declared: judged as a smelter from 2020")
    return verdict


@dataclass
class PlantContext:
    """What the indicator modules read: the declaration's result and the GWP set in use."""
    result: object  # greenal.model.site.DeclarationResult
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
    """Every plant-level rule of the chosen schemes (all by default) on one declaration."""
    chosen = _chosen(scheme_codes)
    decl = result.declaration
    context = PlantContext(result, gwp)
    verdicts = []
    for scheme in chosen:
        for rule in scheme.rules:
            if rule.level != "plant":
                continue
            value = indicator(rule, context)
            if result.electricity.default_supply and "CO2" in rule.unit:
                # no supplies declared: the footprint rests on a conservative default, never a claim
                value = Missing("electricity.supplies")
            verdict = judge(rule, value, product=decl.product["kind"], province=decl.declarant.get("province"),
                            start_year=decl.product.get("smelter_start_year"),
                            assessment_year=decl.period["end"].year)
            basis = electricity_basis(rule)
            if basis and verdict.verdict != "not applicable":
                verdict = replace(verdict, note="; ".join(x for x in (verdict.note, f"electricity: {basis}") if x))
            verdicts.append(verdict)
    return verdicts


def electricity_basis(rule: Rule) -> str:
    """The electricity basis the rule's frame uses (each module's ELECTRICITY_BASIS)."""
    module = importlib.import_module(f"greenal.standards.{schemes()[rule.scheme].module}")
    return getattr(module, "ELECTRICITY_BASIS", {}).get(rule.indicator, "")


def _chosen(scheme_codes):
    every = schemes()
    for code in scheme_codes or []:
        if code not in every:
            raise InputError("command line", "--scheme", code, f"one of {list(every)}")
    return [every[c] for c in (scheme_codes or every)]


__all__ = ["Missing", "NotApplicable", "PlantContext", "Rule", "Scheme", "Verdict", "assess", "judge", "schemes"]
