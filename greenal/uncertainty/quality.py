"""Data quality: pedigree scores per foreground line, their lognormal, and the DQR.

Scores (1 best .. 5 worst) on the five indicators of the ecoinvent pedigree matrix
(reliability, completeness, temporal, geographical, technological; Frischknecht et al. 2007
§7.2, Weidema et al. 2013 Table 10.5) come from the declaration's optional `data_quality`
section, else from greenal's default for the line's data source (methods/uncertainty/pedigree.yaml).
"""
from __future__ import annotations

import math
from functools import cache

import yaml

from greenal.errors import InputError
from greenal.paths import bundled

INDICATORS = ("reliability", "completeness", "temporal", "geographical", "technological")
# Which declared field a site line's amount comes from, by the line's source category (the
# first field the stage declares wins); inputs named in FIELD_INPUTS are matched by target.
SOURCE_FIELDS = {
    "electricity": ("ac_kwh_per_t", "auxiliary_kwh_per_t", "electricity_kwh_per_t"),
    "anode": ("net_anode_t_per_t", "anode_sulphur_pct", "anode_ash_pct"),
    "PFC": ("cf4_kg_per_t", "anode_effect_min_per_cell_day", "c2f6_kg_per_t"),
    "carbonates": ("limestone_kg_per_t",),
}
CHAIN_FIELDS = {"refining": "alumina_t_per_t", "anode": "net_anode_t_per_t", "electrolysis": "liquid_aluminium_t_per_t"}


@cache
def pedigree() -> dict:
    return yaml.safe_load((bundled("methods") / "uncertainty" / "pedigree.yaml").read_text(encoding="utf-8"))


def sigma(scores: dict, basic: float) -> float:
    """Standard deviation of ln(amount): sqrt(ln(U_b)^2 + sum ln(U_i)^2) / 2 (U = GSD^2, ecoinvent)."""
    factors = pedigree()["factors"]
    total = math.log(basic) ** 2 + sum(math.log(factors[i][scores[i] - 1]) ** 2 for i in INDICATORS)
    return math.sqrt(total) / 2


def basic_factor(kind: str, target: str) -> float:
    basic = pedigree()["basic"]
    if kind == "input":
        return basic["input"]
    for prefix, key in (("co2", "co2"), ("ch4", "ch4"), ("n2o", "n2o"), ("cf4", "pfc"), ("c2f6", "pfc")):
        if target.startswith(prefix):
            return basic[key]
    return basic["other"]


def source_scores(name: str) -> dict:
    return dict(pedigree()["defaults"]["by_source"][name])


def confidence_scores(confidence: str) -> tuple[str, dict]:
    name = pedigree()["defaults"]["by_confidence"][confidence]
    return name, source_scores(name)


def declared_quality(decl) -> dict[str, dict]:
    """The declaration's `data_quality` section, checked: key 'stage' or 'stage.field' -> scores."""
    out = {}
    names = list(pedigree()["defaults"]["by_source"])
    for key, value in (getattr(decl, "data_quality", None) or {}).items():
        where = decl.locate("data_quality", key)
        stage, _, field = str(key).partition(".")
        if stage not in decl.stages or (field and field not in decl.stages[stage]):
            raise InputError(decl.file, where, key, "a declared stage or 'stage.field' of a declared value "
                             f"(stages: {sorted(decl.stages)})")
        if isinstance(value, str):
            if value not in names:
                raise InputError(decl.file, where, value, f"one of {names} or the five scores")
            out[key] = source_scores(value)
            continue
        if not isinstance(value, dict) or set(value) != set(INDICATORS) or not all(
                isinstance(value[i], int) and not isinstance(value[i], bool) and 1 <= value[i] <= 5
                for i in INDICATORS):
            raise InputError(decl.file, where, value,
                             f"one of {names} or {{{', '.join(f'{i}: 1..5' for i in INDICATORS)}}}")
        out[key] = dict(value)
    return out


def site_field(stage: str, line, values: dict, field_inputs: dict, inventory) -> str | None:
    """The declared field a site row's primary line comes from (None: no single field)."""
    source = line.label.source
    if source in SOURCE_FIELDS:
        return next((k for k in SOURCE_FIELDS[source] if k in values), None)
    if source == "fuel":
        return next((k for k in values if k.startswith("fuels.")), None)
    if source == "carbonates":
        return next((k for k in values if k.startswith("carbonates.")), None)
    for key, (target, _) in field_inputs.items():
        if line.target == target and key in values:
            return key
    if line.target == "transport-bauxite-sea-freight" and "bauxite_t_per_t" in values:
        return "bauxite_t_per_t"
    if stage == "recycling":
        return next((k for k in values if k.startswith("scrap_")), None)
    supplier = inventory.processes.get(line.target)
    supplier_stage = supplier.stage if supplier else \
        (line.target.removeprefix("site:") if line.target.startswith("site:") else None)
    field = CHAIN_FIELDS.get(supplier_stage or "")
    return field if field in values else None


def dqr(scores: dict) -> float:
    """A line's DQR: the mean of its five pedigree scores (greenal's choice, pedigree.yaml `dqr`)."""
    return sum(scores[i] for i in INDICATORS) / len(INDICATORS)


def product_dqr(lines: list[tuple[dict, float]]) -> dict:
    """Each indicator's mean over the lines weighted by |kg CO2e| of each line, and their mean."""
    weight = sum(abs(w) for _, w in lines)
    if not weight:
        return {}
    out = {i: float(sum(s[i] * abs(w) for s, w in lines) / weight) for i in INDICATORS}
    out["dqr"] = sum(out[i] for i in INDICATORS) / len(INDICATORS)
    return out
