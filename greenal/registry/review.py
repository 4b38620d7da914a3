"""Plausibility checks a verifier runs before signing, each with the basis it rests on.

Each check returns {check, status (ok | warn | fail | info), value, basis, detail}. A 'fail'
blocks approval; a 'warn' asks the verifier to look at the evidence. Tolerances that are
greenal's own review choices, not a standard's, say so ('review tolerance, estimate').
"""
from __future__ import annotations

import statistics

from greenal.registry.serials import count

# Standard atomic weights, CIAAW/IUPAC 2021: Al 26.9815384, O 15.999 (conventional value).
AL_G_PER_MOL, O_G_PER_MOL = 26.9815384, 15.999
# 2 Al2O3 -> 4 Al + 3 O2: t alumina per t aluminium at 100 % alumina yield.
ALUMINA_STOICHIOMETRIC_T_PER_T = (2 * AL_G_PER_MOL + 3 * O_G_PER_MOL) / (2 * AL_G_PER_MOL)
CO2_PER_C = 44.0 / 12.0  # molar mass ratio (IPCC 2006 Vol. 3 Eq. 4.21)
BALANCE_TOLERANCE = 0.10  # supplies vs declared use: review tolerance, estimate
ANODE_TOLERANCE = 0.02  # result's anode CO2 vs the formula on declared NC: review tolerance, estimate
DEFAULT_SHARE_WARN = 0.5  # share of the footprint on defaults above which site data are asked for: estimate
OUTLIER_Z = 3.5  # modified z-score (Iglewicz & Hoaglin 1993, 'How to detect and handle outliers')
MIN_PEERS = 3


def _check(check, status, value, basis, detail=""):
    return {"check": check, "status": status, "value": value, "basis": basis, "detail": detail}


def alumina(stages: dict) -> dict:
    basis = (f"stoichiometry 2 Al2O3 -> 4 Al + 3 O2: at least {ALUMINA_STOICHIOMETRIC_T_PER_T:.4f} t alumina/t Al "
             "(CIAAW 2021 atomic weights Al 26.9815384, O 15.999)")
    value = stages.get("electrolysis", {}).get("alumina_t_per_t")
    if value is None:
        return _check("alumina vs stoichiometry", "info", None, basis,
                      "not declared: the default process's value is used")
    if value < ALUMINA_STOICHIOMETRIC_T_PER_T:
        return _check("alumina vs stoichiometry", "fail", value, basis, "below the stoichiometric minimum: impossible")
    excess = value / ALUMINA_STOICHIOMETRIC_T_PER_T - 1
    return _check("alumina vs stoichiometry", "ok", value, basis, f"{excess:.2%} above stoichiometric (losses)")


def anode(stages: dict, product: str, results: dict) -> dict:
    basis = "anode CO2 = NC x (1 - S - Ash) x 44/12 (IPCC 2006 Vol. 3 Eq. 4.21; 2013 Chinese smelter guideline)"
    e = stages.get("electrolysis", {})
    nc = e.get("net_anode_t_per_t")
    if nc is None or "anode_sulphur_pct" not in e or "anode_ash_pct" not in e:
        return _check("net anode carbon vs anode CO2", "info", nc, basis,
                      "NC, sulphur or ash not declared: the defaults are used")
    expected_per_t_al = nc * (1 - e["anode_sulphur_pct"] / 100 - e["anode_ash_pct"] / 100) * CO2_PER_C
    liquid = stages.get("casting", {}).get("liquid_aluminium_t_per_t", 1.0) if product == "primary-ingot" else 1.0
    expected = expected_per_t_al * liquid
    reported = results["market_based"]["by_source_t_co2e"].get("anode", 0.0)
    ratio = reported / expected if expected else float("nan")
    detail = (f"{reported:.4f} t CO2/t in the result vs {expected:.4f} from NC {nc:g} t/t"
              f" (x {liquid:g} t liquid metal per t product);"
              f" at most {nc * CO2_PER_C * liquid:.4f} if all of NC were carbon")
    status = "ok" if abs(ratio - 1) <= ANODE_TOLERANCE else "warn"
    return _check("net anode carbon vs anode CO2", status, reported,
                  basis + f"; tolerance {ANODE_TOLERANCE:.0%} (review tolerance, estimate)", detail)


def ac_energy(stages: dict, levels: tuple[float, ...]) -> dict:
    basis = f"GB 21346-2022 §4.1 Table 1, 铝液交流电耗 levels 1/2/3: {' / '.join(f'{v:g}' for v in levels)} kWh/t"
    value = stages.get("electrolysis", {}).get("ac_kwh_per_t")
    if value is None:
        return _check("AC kWh/t vs GB 21346", "info", None, basis, "not declared")
    if not levels:
        return _check("AC kWh/t vs GB 21346", "info", value, basis, "levels not found")
    if value < levels[0]:
        return _check("AC kWh/t vs GB 21346", "warn", value, basis,
                      f"better than level 1 ({levels[0]:g}): ask for the potline meter records (§6.2.1)")
    if value > levels[-1]:
        return _check("AC kWh/t vs GB 21346", "warn", value, basis, f"above the level-3 limit ({levels[-1]:g})")
    grade = 1 + sum(value > v for v in levels[:-1])
    return _check("AC kWh/t vs GB 21346", "ok", value, basis, f"level {grade}")


def _slip(ratio: float) -> str:
    for factor, words in ((1000, "kWh given as MWh?"), (0.001, "MWh given as kWh?"), (10, "misplaced decimal point?"),
                          (0.1, "misplaced decimal point?")):
        if abs(ratio / factor - 1) <= 0.2:
            return f"ratio {ratio:.3g} ≈ {factor:g}: likely unit slip ({words})"
    return ""


def supplies(results: dict, output_t: float) -> dict:
    basis = (f"energy balance: supplies in the period = site kWh/t x output; tolerance ±{BALANCE_TOLERANCE:.0%} "
             "(review tolerance, estimate)")
    el = results["electricity"]
    use_mwh = el["site_kwh_per_t"] * output_t / 1000
    if not el["consumption_mwh"] or not use_mwh:
        return _check("supplies vs consumption", "info", el["consumption_mwh"], basis, "no supplies or no use declared")
    ratio = el["consumption_mwh"] / use_mwh
    detail = f"{el['consumption_mwh']:,.0f} MWh supplied vs {use_mwh:,.0f} MWh used (ratio {ratio:.3f})"
    slip = _slip(ratio)
    status = "ok" if abs(ratio - 1) <= BALANCE_TOLERANCE else "warn"
    return _check("supplies vs consumption", status, ratio, basis, f"{detail}; {slip}" if slip else detail)


def certificates(results: dict, claims: list[dict]) -> list[dict]:
    el = results["electricity"]
    covered = el["grid_mwh"] + el["null_power_mwh"]
    basis = ("certificates cover at most the grid and null power they are retired against "
             "(GHG Protocol Scope 2 Guidance 2015, Quality Criteria)")
    status = "ok" if el["certified_mwh"] <= covered * (1 + 1e-9) else "fail"
    out = [_check("certificates vs supplies", status, el["certified_mwh"], basis,
                  f"{el['certified_mwh']:,.0f} MWh certified vs {covered:,.0f} MWh grid and null power")]
    for claim in claims:
        n = count(claim)
        basis = "one certificate per MWh (GEC: 国家能源局 发改能源〔2023〕1044号; I-REC Code 1 MWh)"
        if abs(n - claim["mwh"]) > 1e-6:
            slip = _slip(claim["mwh"] / n)
            out.append(_check(f"serial count vs MWh ({claim['serial_from']})", "warn", claim["mwh"], basis,
                              f"{n:,} serials for {claim['mwh']:,.3f} MWh" + (f"; {slip}" if slip else "")))
    return out


def outliers(results: dict, peers: list[dict]) -> list[dict]:
    """Modified z-score 0.6745 (x - median) / MAD against the registry's other declarations of the product."""
    out = []
    for basis_key in ("market_based", "location_based"):
        values = [p[basis_key]["total_t_co2e"] for p in peers]
        value = results[basis_key]["total_t_co2e"]
        name = f"{basis_key.replace('_', '-')} total vs {len(values)} other declarations"
        basis = f"modified z-score |0.6745 (x - median)/MAD| > {OUTLIER_Z} (Iglewicz & Hoaglin 1993)"
        if len(values) < MIN_PEERS:
            out.append(_check(name, "info", value, basis, f"fewer than {MIN_PEERS} declarations of this product"))
            continue
        median = statistics.median(values)
        mad = statistics.median(abs(v - median) for v in values)
        z = 0.6745 * (value - median) / mad if mad else (0.0 if value == median else float("inf"))
        status = "warn" if abs(z) > OUTLIER_Z else "ok"
        out.append(_check(name, status, value, basis, f"median {median:.3f} t CO2e/t, modified z {z:.2f}"))
    return out


def defaults(results: dict) -> dict:
    share = 1 - results["market_based"]["primary_data_share"]
    basis = ("GB/T 24067-2024 / ISO 14067:2018 data requirements: "
             "site-specific data for processes under the organisation's control; "
             f"warn above {DEFAULT_SHARE_WARN:.0%} on defaults (review tolerance, estimate)")
    return _check("share of defaults", "warn" if share > DEFAULT_SHARE_WARN else "ok", share, basis,
                  f"{share:.1%} of the market-based footprint rests on default data")


def claimed_fields(stages: dict, supplies_ids: list[str], certificate_ids: list[str]) -> list[str]:
    """The numbers a declaration claims, by the names evidence references use."""
    claimed = [f"{stage}.{key}" for stage, values in stages.items() for key, v in values.items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return claimed + [f"supplies.{i}" for i in supplies_ids] + [f"certificates.{i}" for i in certificate_ids]


def evidence(stages: dict, supplies_ids: list[str], certificate_ids: list[str], refs: dict) -> dict:
    claimed = claimed_fields(stages, supplies_ids, certificate_ids)
    missing = [c for c in claimed if not refs.get(c)]
    basis = "ISO 14064-3:2019 verification: each claimed number traceable to evidence (submit --evidence FIELD=REF)"
    return _check("evidence references", "warn" if missing else "ok", len(missing), basis,
                  ("missing for " + ", ".join(missing[:12]) + (" …" if len(missing) > 12 else "")) if missing
                  else f"{len(claimed)} claimed numbers, each with a reference")


def run(stages: dict, product: str, output_t: float, results: dict, claims: list[dict], peers: list[dict],
        refs: dict, supplies_ids: list[str], certificate_ids: list[str], ac_levels: tuple[float, ...]) -> list[dict]:
    potline = [alumina(stages), anode(stages, product, results), ac_energy(stages, ac_levels)]
    if product not in ("primary-liquid", "primary-ingot"):
        potline = [_check(c["check"], "info", None, c["basis"],
                          f"not applicable: a {product} declaration has no potline")
                   for c in potline]
    checks = [*potline, supplies(results, output_t), *certificates(results, claims), *outliers(results, peers),
              defaults(results), evidence(stages, supplies_ids, certificate_ids, refs)]
    return checks
