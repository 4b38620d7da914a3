"""Conformance of the footprint study with GB/T 24067-2024, GB/T 44905-2024 and ISO 14067."""
from __future__ import annotations

import datetime as dt

from greenal.standards.engine import Missing

BOUNDARY = {"primary-liquid": {"mining", "refining", "anode", "electrolysis"},
            "primary-ingot": {"mining", "refining", "anode", "electrolysis", "casting"},
            "alumina": {"mining", "refining"}, "recycled-ingot": {"recycling"}}


def declared_unit(ctx):
    """1 t of ingot or liquid metal: greenal's results are per tonne of the declared product."""
    return float(ctx.decl.product["kind"] in ("primary-liquid", "primary-ingot"))


def boundary_complete(ctx):
    """Every cradle-to-gate stage of the product contributes to the result."""
    stages = set(ctx.result.location.stage_co2e_kg(ctx.gwp))
    return float(BOUNDARY[ctx.decl.product["kind"]] <= stages)


def _declared(key):
    def read(ctx):
        value = ctx.decl.product.get(key)
        return Missing(f"product.{key}") if value is None else value
    return read


def calendar_year(ctx):
    start, end = ctx.decl.period["start"], ctx.decl.period["end"]
    return float(start == dt.date(start.year, 1, 1) and end == dt.date(start.year, 12, 31))


def latest_gwp(ctx):
    return float(ctx.gwp == "ar6")


def electricity_life_cycle(ctx):
    """No electricity in the footprint comes from an official combustion-only factor."""
    supplies = [line.target for line in ctx.result.electricity.location + ctx.result.electricity.market]
    return float(not any(t.startswith("electricity-cn-mee-") for t in supplies))


INDICATORS = {"declared_unit_ok": declared_unit, "boundary_complete": boundary_complete,
              "cutoff_max_item_pct": _declared("cutoff_max_item_pct"),
              "cutoff_total_pct": _declared("cutoff_total_pct"),
              "calendar_year": calendar_year, "latest_gwp": latest_gwp,
              "electricity_life_cycle": electricity_life_cycle}
