"""China national ETS, aluminium smelting (CETS-AG-04.01-V01-2024): intensity per t liquid Al."""
from __future__ import annotations

from greenal.inventory import bundled_inventory
from greenal.model.formulas import parameters
from greenal.standards.engine import Finding, Missing, note
from greenal.standards.measures import co2e_t_per_t, footprint_flow_kg, site_pfc_kg_per_t_liquid, smelter_kwh_per_t

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


def pfc(ctx):
    """Anode effects per t liquid Al with the guideline's own coefficients (EF_CF4 = 0.143 x AEM,
    EF_C2F6 = 0.1 x EF_CF4; measured values where declared) and AR5, whatever ratio the
    declaration chose for its footprint (CETS-AG-04.01-2024 §6, 阳极效应排放)."""
    liquid = ctx.per_t("electrolysis")
    if not liquid:
        return Missing("electrolysis data")
    row = parameters()["pfc_slope"]["CN-ETS"]
    gwp = bundled_inventory().methods[ETS_GWP].factors
    site = site_pfc_kg_per_t_liquid(ctx.stage("electrolysis"), row["slope_cf4"]["value"], row["c2f6_ratio"]["value"])
    if site is None:  # no site data: the footprint's default factors
        fp = ctx.result.location
        cf4, c2f6 = (footprint_flow_kg(fp, f, stages=("electrolysis",), sources=("PFC",)) / liquid
                     for f in ("cf4", "c2f6"))
        return Finding((cf4 * gwp["cf4"] + c2f6 * gwp["c2f6"]) / 1000, (note("note_cets_pfc_default"),))
    cf4, c2f6, _ = site
    return (cf4 * gwp["cf4"] + c2f6 * gwp["c2f6"]) / 1000


def _captive_outside(compute):
    """The same figure, with a note where captive generation lies outside the guideline's boundary
    (power plants inside the enterprise report under their own sector guideline, §5)."""
    def with_note(ctx):
        value = compute(ctx)
        captive = [s for s in ctx.decl.supplies if s.kind.startswith("captive")]
        if isinstance(value, Missing) or not captive:
            return value
        plants = ", ".join(f"{s.id} {s.mwh:,.0f} MWh" for s in captive)
        return Finding(value, (note("note_cets_captive_outside", plants=plants),))
    return with_note


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
    return _per_liquid(ctx, smelter_kwh_per_t(ctx) * kg_per_kwh / 1000)


def total(ctx):
    parts = [f(ctx) for f in (_source("fuel"), _source("anode"), pfc, _source("carbonates"), electricity)]
    missing = [p for p in parts if isinstance(p, Missing)]
    return missing[0] if missing else sum(p.value if isinstance(p, Finding) else p for p in parts)


ELECTRICITY_BASIS = {"cets_electricity_t_per_t_liquid": "basis_cets", "cets_total_t_per_t_liquid": "basis_cets"}

INDICATORS = {"cets_fuel_t_per_t_liquid": _source("fuel"), "cets_anode_t_per_t_liquid": _source("anode"),
              "cets_pfc_t_per_t_liquid": pfc, "cets_carbonates_t_per_t_liquid": _source("carbonates"),
              "cets_electricity_t_per_t_liquid": _captive_outside(electricity),
              "cets_total_t_per_t_liquid": _captive_outside(total)}
