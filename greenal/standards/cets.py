"""China national ETS, aluminium smelting (CETS-AG-04.01-V01-2024): intensity per t liquid Al."""
from __future__ import annotations

from greenal.inventory import bundled_inventory
from greenal.standards.engine import Missing
from greenal.standards.measures import co2e_t_per_t

ETS_GWP = "ar5"  # the 2024 guideline uses AR5 (CF4 6630, C2F6 11100), standards.md §3.3


def _per_liquid(ctx, value_per_t):
    liquid = ctx.per_t("electrolysis")
    return Missing("electrolysis data") if not liquid else value_per_t / liquid


def _source(source):
    def compute(ctx):
        fp = ctx.result.location
        return _per_liquid(ctx, co2e_t_per_t(fp, ETS_GWP, scopes=(1,), stages=("electrolysis", "casting", "anode"),
                                             sources=(source,)))
    return compute


def electricity(ctx):
    """Net purchased power x the national grid average of year Y-2 (reporting-year lag): grid power
    and renewable contracts alike, however the same purchase is written down (a 绿电交易 as grid
    power with its certificates or as a PPA with them); fossil contracts at their technology's
    direct factor; own and captive generation outside (captive plants report under the power
    sector's guideline)."""
    account = ctx.result.electricity
    if account.default_supply:
        return Missing("electricity.supplies")
    year = ctx.decl.period["end"].year - 2
    code = f"electricity-cn-mee-national-{year}"
    processes = bundled_inventory().processes
    if code not in processes:
        return Missing(f"an MEE/NBS national factor for {year}")
    national = processes[code].exchanges[0].amount
    kg_per_kwh = sum(s.mwh * (national if s.official_kg_per_kwh["cets"] is None else s.official_kg_per_kwh["cets"])
                     for s in account.supplies) / account.consumption_mwh
    kwh = sum(ctx.result.site_kwh_per_t.values())
    return _per_liquid(ctx, kwh * kg_per_kwh / 1000)


def total(ctx):
    parts = [f(ctx) for f in (_source("fuel"), _source("anode"), _source("PFC"), _source("carbonates"), electricity)]
    missing = [p for p in parts if isinstance(p, Missing)]
    return missing[0] if missing else sum(parts)


ELECTRICITY_BASIS = {
    "cets_electricity_t_per_t_liquid": "net purchased power x national MEE/NBS factor of year Y-2; fossil contracts "
                                       "at their technology; captive plants outside the boundary",
    "cets_total_t_per_t_liquid": "net purchased power x national MEE/NBS factor of year Y-2; captive plants outside"}

INDICATORS = {"cets_fuel_t_per_t_liquid": _source("fuel"), "cets_anode_t_per_t_liquid": _source("anode"),
              "cets_pfc_t_per_t_liquid": _source("PFC"), "cets_carbonates_t_per_t_liquid": _source("carbonates"),
              "cets_electricity_t_per_t_liquid": electricity, "cets_total_t_per_t_liquid": total}
