"""EU CBAM specific embedded emissions of the declared good (t per t of the good).

Definitive period (methods/schemes/cbam.yaml; standards.md §6.1): aluminium goods carry direct
emissions only. Direct = scope 1 at the smelter or recycler (site fuels, anode, carbonates;
electricity excluded) with the PFC part recomputed by the CBAM coefficients (IR 2025/2547
Annex II B.7) and AR5 GWPs, whatever C2F6 ratio the declaration chose for its footprint.
"""
from __future__ import annotations

from greenal.report.pact import CN_CODES
from greenal.standards.engine import Finding, Missing, data_value, note, scheme_data
from greenal.standards.measures import (SMELTER_STAGES, co2e_t_per_t, footprint_flow_kg, site_pfc_kg_per_t_liquid,
                                       smelter_kwh_per_t)

CBAM_GWP = "ar5"  # EU MRR / CBAM use AR5 (IR 2025/2547 Annex II G, Table 6)
DEFAULT_CELL = "CWPB"  # as the footprint model assumes when no cell technology is declared


def pfc(ctx) -> tuple[float, float, str, bool]:
    """CF4 and C2F6 in kg per t of the good, the method, and whether site data were used."""
    values = ctx.stage("electrolysis")
    liquid = ctx.per_t("electrolysis")
    if not liquid:
        return 0.0, 0.0, "no electrolysis", False
    row = scheme_data("cbam")["pfc_slope"][values.get("cell_technology", DEFAULT_CELL)]
    site = site_pfc_kg_per_t_liquid(values, data_value(row["sef"]), data_value(row["f"]))
    if site is None:  # no site data: the footprint's default factors, per t of the good already
        fp = ctx.result.location
        return (footprint_flow_kg(fp, "cf4", stages=("electrolysis",), sources=("PFC",)),
                footprint_flow_kg(fp, "c2f6", stages=("electrolysis",), sources=("PFC",)), "default factors", False)
    cf4, c2f6, method = site
    return cf4 * liquid, c2f6 * liquid, f"{values.get('cell_technology', DEFAULT_CELL)}, {method}", True


def pfc_co2e(ctx) -> float:
    gwp = scheme_data("cbam")["gwp_ar5"]
    cf4, c2f6, _, _ = pfc(ctx)
    return (cf4 * data_value(gwp["cf4"]) + c2f6 * data_value(gwp["c2f6"])) / 1000


def direct(ctx):
    """Fuels, anode and carbonates at the smelter or recycler, plus PFC by the CBAM coefficients."""
    others = co2e_t_per_t(ctx.result.location, CBAM_GWP, scopes=(1,), stages=SMELTER_STAGES,
                          exclude_sources=("electricity", "PFC"))
    if not ctx.per_t("electrolysis"):
        return others
    _, _, method, site = pfc(ctx)
    why = note("note_cbam_pfc", method=method) if site else note("note_cbam_pfc_default")
    return Finding(others + pfc_co2e(ctx), (why,))


def indirect(ctx):
    """Electricity consumed x its factor (transitional-period reporting, IR 2023/1773): the country
    grid factor, unless a direct technical link (own plant, direct line) or a qualifying PPA gives
    the plant's own factor; each supply's basis is in the verdict note."""
    account = ctx.result.electricity
    if account.default_supply:
        return Missing("electricity.supplies")
    return smelter_kwh_per_t(ctx) * account.official_kg_per_kwh("cbam") / 1000


def site_mwh(ctx):
    return smelter_kwh_per_t(ctx) / 1000


ELECTRICITY_BASIS = {"cbam_indirect_t_per_t": "basis_cbam_indirect"}

def default_with_markup(cn_code: str, year: int) -> dict:
    """China default of the good (t CO2e/t) and the mark-up of the year: the first definitive
    year for earlier periods, the last listed year's mark-up for later ones."""
    data = scheme_data("cbam")
    years = sorted(data["markup_pct"])
    used = max(year, years[0])
    pct = data_value(data["markup_pct"][max(y for y in years if y <= used)])
    base = data_value(data["china_default_t_per_t"][cn_code])
    return {"base_t_per_t": base, "markup_pct": pct, "year": used, "t_per_t": base * (1 + pct / 100)}


def china_default_with_markup(ctx):
    year = ctx.decl.period["end"].year
    d = default_with_markup(CN_CODES[ctx.decl.product["kind"]], year)
    notes = (note("note_cbam_default", base=f"{d['base_t_per_t']:.3f}", markup=f"{d['markup_pct']:g}", year=d["year"]),)
    if year < d["year"]:
        notes += (note("note_cbam_default_before", year=d["year"]),)
    return Finding(d["t_per_t"], notes)


INDICATORS = {"cbam_direct_t_per_t": direct, "cbam_indirect_t_per_t": indirect, "site_mwh_per_t": site_mwh,
              "cbam_pfc_t_per_t": pfc_co2e, "cbam_cf4_kg_per_t": lambda ctx: pfc(ctx)[0],
              "cbam_c2f6_kg_per_t": lambda ctx: pfc(ctx)[1]}
THRESHOLDS = {"china_default_with_markup": china_default_with_markup}
