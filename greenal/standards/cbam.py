"""EU CBAM specific embedded emissions of the declared product (t per t)."""
from __future__ import annotations

from greenal.standards.measures import SMELTER_STAGES, co2e_t_per_t

CBAM_GWP = "ar5"  # EU MRR / CBAM use AR5 (standards.md §5.2 [R])


def direct(ctx):
    """Fuels, anode, PFC and carbonates at the smelter or recycler; captive power is indirect."""
    return co2e_t_per_t(ctx.result.location, CBAM_GWP, scopes=(1,), stages=SMELTER_STAGES,
                        exclude_sources=("electricity",))


def indirect(ctx):
    """Electricity consumed x its factor: the captive plant's own CO2, the MEE/NBS grid average."""
    account = ctx.result.electricity
    captive_kg_per_kwh = sum(line.amount for line in account.location if line.kind == "emission")
    kwh = sum(ctx.result.site_kwh_per_t.values())
    return kwh * (account.scope2_location_kg_per_kwh + captive_kg_per_kwh) / 1000


def site_mwh(ctx):
    return sum(ctx.result.site_kwh_per_t.values()) / 1000


INDICATORS = {"cbam_direct_t_per_t": direct, "cbam_indirect_t_per_t": indirect, "site_mwh_per_t": site_mwh}
