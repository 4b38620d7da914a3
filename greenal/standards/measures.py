"""Quantities several rule sets read from a declaration's result."""
from __future__ import annotations

from greenal.declaration.fields import FUELS
from greenal.model.formulas import fuel_mj, parameters
from greenal.standards.engine import Missing

SMELTER_STAGES = ("anode", "electrolysis", "casting", "recycling")  # the smelter or recycler site


def co2e_t_per_t(footprint, gwp: str, *, scopes=(1, 2, 3), stages=None, sources=None, exclude_sources=()) -> float:
    """CO2e (t per t of declared product) of the contributions matching the filters."""
    cf = footprint._cf(gwp)
    total = 0.0
    for label, kg in footprint.contributions.items():
        if label.scope not in scopes or (stages and label.stage not in stages):
            continue
        if (sources and label.source not in sources) or label.source in exclude_sources:
            continue
        total += float(kg @ cf)
    return total / 1000


def footprint_flow_kg(footprint, flow: str, *, scopes=(1,), stages=None, sources=None) -> float:
    """kg of one flow per t of declared product in the contributions matching the filters."""
    i = footprint.inventory.flow_codes.index(flow)
    return sum(float(kg[i]) for label, kg in footprint.contributions.items()
               if label.scope in scopes and (not stages or label.stage in stages)
               and (not sources or label.source in sources))


def site_pfc_kg_per_t_liquid(values: dict, sef: float | None, f: float | None) -> tuple[float, float, str] | None:
    """CF4 and C2F6 (kg per t liquid Al) and the method, from the potline's declared data with a
    frame's own coefficients: measured CF4 (and C2F6, else C2F6 = F x CF4), else the slope method
    CF4 = SEF x AEM, C2F6 = F x CF4 (IPCC 2006 Vol.3 Eq. 4.25/4.26; CBAM IR 2025/2547 Annex II B.7;
    CETS-AG-04.01-2024 阳极效应). None without site PFC data."""
    if "cf4_kg_per_t" in values:
        cf4 = values["cf4_kg_per_t"]
        if "c2f6_kg_per_t" in values:
            return cf4, values["c2f6_kg_per_t"], "measured CF4 and C2F6"
        return cf4, f * cf4, f"measured CF4, C2F6 = {f:g} x CF4"
    if "anode_effect_min_per_cell_day" in values:
        cf4 = sef * values["anode_effect_min_per_cell_day"]
        return cf4, f * cf4, f"slope method, SEF {sef:g}, F {f:g}"
    return None


def fuels_kgce(values: dict) -> float:
    """Declared site fuels of one stage in kg of coal equivalent (NCV / 29.307 MJ/kgce)."""
    mj = sum(fuel_mj(f, values[k]) for f in FUELS for k in values if k.startswith(f"fuels.{f}_"))
    return mj / parameters()["coal_equivalent_mj_per_kgce"]["value"]


def electricity_kgce(kwh: float) -> float:
    return kwh * parameters()["electricity_kgce_per_kwh"]["value"]


def smelter_kwh_per_t(ctx) -> float:
    """kWh per t of product used at the smelter or recycler site (anode plant, potlines,
    casthouse, remelting): an own refinery's power belongs to alumina, which is neither a CBAM
    precursor nor inside the CN-ETS aluminium-smelting boundary."""
    return sum(v for stage, v in ctx.result.site_kwh_per_t.items() if stage in SMELTER_STAGES)


def ac_kwh(ctx):
    value = ctx.stage("electrolysis").get("ac_kwh_per_t")
    return Missing("electrolysis.ac_kwh_per_t") if value is None else value


def green_mwh(ctx):
    """Electricity with its renewable attributes (the electricity account's rules: in China only
    certificates and own renewables that kept them; elsewhere renewable contracts too)."""
    account = ctx.result.electricity
    return Missing("electricity.supplies") if account.default_supply else account.green_mwh


def grid_non_fossil_share(average_kg_per_kwh: float, year: int, inventory) -> float:
    """Non-fossil share of a grid's power: 1 - its average factor / the national fossil-power factor
    of the year (MEE/NBS), e.g. Hebei 2022: 1 - 0.7252 / 0.8325."""
    fossil = inventory.processes[f"electricity-cn-mee-fossil-{year}"].exchanges[0].amount
    return max(0.0, 1 - average_kg_per_kwh / fossil)
