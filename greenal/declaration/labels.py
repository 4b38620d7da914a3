"""Readable labels of the declaration's coded fields (templates/questionnaire.yaml), both ways.

`options(name, lang)` gives a drop-down list's (code, label) pairs; `to_code(name, text)` maps a
label of either language, or the code itself, back to the code. Lists built from the bundled
data (grids with an official factor, supplier processes of a stage) follow that data.
"""
from __future__ import annotations

import unicodedata
from functools import cache

import yaml

from greenal.declaration.fields import QUALITY_FLAGS, SECTIONS, Field
from greenal.paths import bundled

LANGS = ("zh", "en")
OPEN_LISTS = ("province", "grid", "region")  # other values are allowed (sites and certificates outside China)


@cache
def catalogue() -> dict:
    return yaml.safe_load((bundled("templates") / "questionnaire.yaml").read_text(encoding="utf-8"))


def _fold(text: str) -> str:
    """Labels compare after NFKC (full-width brackets) and case folding, ignoring spaces."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _grids() -> list[str]:
    """Grid areas with an official factor in the bundled data: national, regional, provincial."""
    from greenal.inventory import bundled_inventory

    prefix, rows = "electricity-cn-mee-", []
    for code in bundled_inventory().processes:
        if code.startswith(prefix):
            name, _, year = code[len(prefix):].rpartition("-")
            if year.isdigit() and name not in ("residual", "fossil") and name not in rows:
                rows.append(name)
    regions = list(catalogue()["lists"]["grid"])  # other rows (the ETS reporting factor) are not grid areas
    return [g for g in regions if g in rows] + sorted((g for g in rows if g in catalogue()["provinces"]),
                                                      key=_province_order)


def _province_order(code: str) -> int:
    provinces = list(catalogue()["provinces"])
    return provinces.index(code) if code in provinces else len(provinces)


def _suppliers(stage: str) -> list[str]:
    from greenal.inventory import bundled_inventory

    return ["own"] + [c for c, p in bundled_inventory().processes.items() if p.stage == stage]


def codes(name: str) -> list[str]:
    """The codes of a drop-down list."""
    lists, provinces = catalogue()["lists"], catalogue()["provinces"]
    if name == "province":
        return list(provinces)
    if name == "region":
        return ["CN"] + [p["iso"] for p in provinces.values()]
    if name == "grid":
        return _grids()
    if name.startswith("supplier-"):
        return _suppliers(name.removeprefix("supplier-"))
    if name == "quality":
        return list(QUALITY_FLAGS)
    choices = next((f.choices for s in SECTIONS.values() for f in s.fields if f.codes == name and f.choices), None)
    return list(choices) if choices else list(lists[name])


def label(name: str, code: str, lang: str) -> str:
    """A code's readable label in `lang` (the code itself when the catalogue has none)."""
    cat = catalogue()
    if name in ("province", "grid") and code in cat["provinces"]:
        return cat["provinces"][code][lang]
    if name == "region":
        if code == "CN":
            return "中国（全国）" if lang == "zh" else "China (whole country)"
        found = next((p for p in cat["provinces"].values() if p["iso"] == code), None)
        return f"{found[lang]} ({code})" if found else code
    entry = cat["lists"].get("supplier" if name.startswith("supplier-") else name, {}).get(code)
    if entry:
        return entry[lang]
    if name.startswith("supplier-"):
        from greenal.inventory import bundled_inventory

        return bundled_inventory().processes[code].name
    return code


def options(name: str, lang: str) -> list[tuple[str, str]]:
    return [(code, label(name, code, lang)) for code in codes(name)]


@cache
def _reverse(name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for code in codes(name):
        for lang in LANGS:
            out.setdefault(_fold(label(name, code, lang)), code)
    for code in codes(name):
        out[_fold(code)] = code  # a code typed by hand wins over a label that happens to equal it
    return out


def to_code(name: str, value):
    """A cell's text as its code: a label of either language or the code itself (any case);
    anything else is returned unchanged for the declaration's own check to judge."""
    if not isinstance(value, str):
        return value
    return _reverse(name).get(_fold(value), value)


def list_name(f: Field) -> str:
    """The drop-down list of a field ('' for none): its `codes`, or yes/no for a boolean."""
    return f.codes or ("bool" if f.kind == "bool" else "")
