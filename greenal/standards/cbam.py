"""EU CBAM specific embedded emissions of the declared product (t per t)."""
from __future__ import annotations

from greenal.standards.engine import Missing
from greenal.standards.measures import SMELTER_STAGES, co2e_t_per_t

CBAM_GWP = "ar5"  # EU MRR / CBAM use AR5 (standards.md §5.2 [R])


def direct(ctx):
    """Fuels, anode, PFC and carbonates at the smelter or recycler; captive power is indirect."""
    return co2e_t_per_t(ctx.result.location, CBAM_GWP, scopes=(1,), stages=SMELTER_STAGES,
                        exclude_sources=("electricity",))


def indirect(ctx):
    """Electricity consumed x its factor (transitional-period reporting, IR 2023/1773): the country
    grid factor, unless a direct technical link (own plant, direct line) or a qualifying PPA gives
    the plant's own factor; each supply's basis is in the verdict note."""
    account = ctx.result.electricity
    if account.default_supply:
        return Missing("electricity.supplies")
    kwh = sum(ctx.result.site_kwh_per_t.values())
    return kwh * account.official_kg_per_kwh("cbam") / 1000


def site_mwh(ctx):
    return sum(ctx.result.site_kwh_per_t.values()) / 1000


ELECTRICITY_BASIS = {
    "cbam_indirect_t_per_t": "transitional-period reporting: country grid factor unless a direct technical link or a "
                             "qualifying PPA (each supply's basis in the results' electricity table)"}

INDICATORS = {"cbam_direct_t_per_t": direct, "cbam_indirect_t_per_t": indirect, "site_mwh_per_t": site_mwh}
