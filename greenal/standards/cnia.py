"""绿电铝 (T/CNIA 0168-2022): aluminium attributable to green electricity, greenal's implementation."""
from __future__ import annotations

from greenal.standards.engine import Missing
from greenal.standards.measures import ac_kwh, green_mwh


def green_aluminium_t(ctx):
    """Green MWh / (AC MWh per t liquid aluminium), at most the period's liquid-metal output."""
    ac = ac_kwh(ctx)
    if isinstance(ac, Missing):
        return ac
    green = green_mwh(ctx)
    if isinstance(green, Missing):
        return green
    liquid_output_t = ctx.decl.output_t * ctx.per_t("electrolysis")
    return min(green / (ac / 1000), liquid_output_t)


def green_share(ctx):
    tonnes = green_aluminium_t(ctx)
    if isinstance(tonnes, Missing):
        return tonnes
    return 100 * tonnes / (ctx.decl.output_t * ctx.per_t("electrolysis"))


ELECTRICITY_BASIS = {"green_aluminium_t": "basis_green_mwh", "green_aluminium_share_pct": "basis_green_mwh"}

INDICATORS = {"green_aluminium_t": green_aluminium_t, "green_aluminium_share_pct": green_share}
