"""MIIT plan (2025-2027) and Guangxi decision (2022) targets, for one plant and for a fleet."""
from __future__ import annotations

from greenal.inventory import bundled_inventory
from greenal.standards.engine import Missing, NotApplicable, schemes
from greenal.standards.gb21346 import INDICATORS as GB21346
from greenal.standards.measures import green_mwh, grid_non_fossil_share


def clean_electricity_share(ctx):
    """Share of electricity from non-fossil sources (greenal's reading of 清洁能源使用比例 for
    electricity): renewable attributes held, plus the non-fossil share of uncovered grid power."""
    account = ctx.result.electricity
    green = green_mwh(ctx)
    if isinstance(green, Missing):
        return green
    inventory = bundled_inventory()
    # uncertified grid power at its own grid's non-fossil share (location: the grid it comes from)
    grid_clean = sum((s.mwh - s.certified_mwh)
                     * grid_non_fossil_share(s.grid_average_kg_per_kwh, s.residual_year, inventory)
                     for s in account.supplies if s.residual_year is not None)
    return 100 * (green + grid_clean) / account.consumption_mwh


def red_mud(ctx, coastal=None):
    if "refining" not in ctx.decl.stages:
        return NotApplicable("na_no_refinery")
    if coastal is not None:
        flag = ctx.decl.declarant.get("coastal")
        if flag is None:
            return Missing("declarant.coastal")
        if flag != coastal:
            return NotApplicable("na_coastal" if flag else "na_inland")
    value = ctx.stage("refining").get("red_mud_utilisation_pct")
    return Missing("refining.red_mud_utilisation_pct") if value is None else value


def alumina_level1_margin(ctx):
    """Comprehensive energy minus the GB 21346-2022 level-1 limit of its route (≤ 0 meets 先进值)."""
    route = ctx.stage("refining").get("process_route", "bayer")
    name = f"{route}_alumina_comprehensive_energy_kgce_per_t"
    value = GB21346[name](ctx)
    if isinstance(value, (Missing, NotApplicable)):
        return value
    (rule,) = [r for r in schemes()["gb21346"].rules if r.indicator == name]
    return value - rule.levels[0]


def fleet_benchmark_share(fleet):
    """Share of capacity with 铝液交流电耗 at or below the 标杆 13000 kWh/t (NDRC 2021)."""
    total = sum(p.capacity_t for p in fleet.plants)
    at = sum(p.capacity_t for p in fleet.plants if p.liquid_ac_kwh_per_t <= fleet.benchmark_kwh_per_t)
    return 100 * at / total


INDICATORS = {
    "clean_electricity_share_pct": clean_electricity_share,
    "red_mud_utilisation_pct": red_mud,
    "red_mud_utilisation_pct_inland": lambda ctx: red_mud(ctx, coastal=False),
    "red_mud_utilisation_pct_coastal": lambda ctx: red_mud(ctx, coastal=True),
    "alumina_comprehensive_energy_level1_margin": alumina_level1_margin,
    "fleet_benchmark_capacity_share_pct": fleet_benchmark_share,
}
