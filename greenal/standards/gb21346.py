"""GB 21346-2022 indicators (§6 electrolytic aluminium, §7 alumina). Indicator definitions in
§6.2 were not read (standards.md §2.1 [R]); greenal's reading is stated per indicator."""
from __future__ import annotations

from greenal.standards.engine import Missing, NotApplicable
from greenal.standards.measures import ac_kwh, electricity_kgce, fuels_kgce


def liquid_comprehensive_ac(ctx):
    """6.2.2 铝液综合交流电耗: AC to the potlines plus auxiliary consumption."""
    values = ctx.stage("electrolysis")
    if "ac_kwh_per_t" not in values or "auxiliary_kwh_per_t" not in values:
        return Missing(*(f"electrolysis.{k}" for k in ("ac_kwh_per_t", "auxiliary_kwh_per_t") if k not in values))
    return values["ac_kwh_per_t"] + values["auxiliary_kwh_per_t"]


def ingot_comprehensive_ac(ctx):
    """铝锭综合交流电耗: liquid-metal comprehensive AC per t ingot plus casthouse electricity."""
    liquid = liquid_comprehensive_ac(ctx)
    casting = ctx.stage("casting").get("electricity_kwh_per_t")
    if isinstance(liquid, Missing) or casting is None:
        return Missing(*(getattr(liquid, "fields", ())),
                       *(() if casting is not None else ("casting.electricity_kwh_per_t",)))
    return liquid * ctx.per_t("electrolysis") + casting


def ingot_comprehensive_energy(ctx):
    """铝锭综合能耗: electricity (当量值 0.1229 kgce/kWh) plus potline and casthouse fuels, per t ingot."""
    kwh = ingot_comprehensive_ac(ctx)
    if isinstance(kwh, Missing):
        return kwh
    fuels = fuels_kgce(ctx.stage("electrolysis")) * ctx.per_t("electrolysis") + fuels_kgce(ctx.stage("casting"))
    return electricity_kgce(kwh) + fuels


def _alumina(route: str, which: str):
    def compute(ctx):
        if "refining" not in ctx.decl.stages:
            return NotApplicable("na_no_refinery")
        values = ctx.stage("refining")
        if values.get("process_route", "bayer") != route:
            return NotApplicable("na_other_route", declared=values.get("process_route", "bayer"), route=route)
        if which == "process":
            value = values.get("process_energy_kgce_per_t")
            return Missing("refining.process_energy_kgce_per_t") if value is None else value
        if "electricity_kwh_per_t" not in values or not any(k.startswith("fuels.") for k in values):
            return Missing("refining.electricity_kwh_per_t and refining fuels")
        return electricity_kgce(values["electricity_kwh_per_t"]) + fuels_kgce(values)
    return compute


INDICATORS = {
    "liquid_ac_kwh_per_t": ac_kwh,
    "liquid_comprehensive_ac_kwh_per_t": liquid_comprehensive_ac,
    "ingot_comprehensive_ac_kwh_per_t": ingot_comprehensive_ac,
    "ingot_comprehensive_energy_kgce_per_t": ingot_comprehensive_energy,
    "bayer_alumina_process_energy_kgce_per_t": _alumina("bayer", "process"),
    "bayer_alumina_comprehensive_energy_kgce_per_t": _alumina("bayer", "comprehensive"),
    "other_alumina_process_energy_kgce_per_t": _alumina("other", "process"),
    "other_alumina_comprehensive_energy_kgce_per_t": _alumina("other", "comprehensive"),
}
