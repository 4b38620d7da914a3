"""Market claims: ASI smelter threshold, low-carbon definitions, EU Taxonomy (market-based)."""
from __future__ import annotations

from greenal.standards.cbam import direct
from greenal.standards.engine import Missing
from greenal.standards.measures import SMELTER_STAGES, ac_kwh, co2e_t_per_t


def smelter_scope12(ctx):
    """Scope 1+2 of the smelter site (anode plant, potlines, casthouse): scope 1 on site (captive
    plants included) plus scope 2 market-based by the GHG Protocol definition (Scope 2 Guidance
    2015: combustion factors of the power bought, certificates and residual mix), not life-cycle."""
    account = ctx.result.electricity
    if account.default_supply:
        return Missing("electricity.supplies")
    kwh = sum(v for stage, v in ctx.result.site_kwh_per_t.items() if stage in SMELTER_STAGES)
    scope1 = co2e_t_per_t(ctx.result.market, ctx.gwp, scopes=(1,), stages=SMELTER_STAGES)
    return scope1 + kwh * account.scope2_market_kg_per_kwh / 1000


def cradle_to_gate(ctx):
    return ctx.result.market.total_co2e_kg(ctx.gwp) / 1000


def electrolysis_mwh(ctx):
    ac = ac_kwh(ctx)
    return ac if isinstance(ac, Missing) else ac / 1000


def electrolysis_electricity_intensity(ctx):
    """g CO2e per kWh of the potlines' electricity, market-based, life-cycle factors."""
    kwh = ctx.result.site_kwh_per_t.get("electrolysis")
    if not kwh:
        return Missing("electrolysis.ac_kwh_per_t")
    return 1e6 * co2e_t_per_t(ctx.result.market, ctx.gwp, stages=("electrolysis",), sources=("electricity",)) / kwh


ELECTRICITY_BASIS = {"smelter_scope12_t_per_t": "basis_scope2_market",
                     "cradle_to_gate_market_t_per_t": "basis_life_cycle",
                     "electrolysis_electricity_g_per_kwh": "basis_life_cycle"}

INDICATORS = {"smelter_scope12_t_per_t": smelter_scope12, "cradle_to_gate_market_t_per_t": cradle_to_gate,
              "cbam_direct_t_per_t": direct, "electrolysis_mwh_per_t": electrolysis_mwh,
              "electrolysis_electricity_g_per_kwh": electrolysis_electricity_intensity}
