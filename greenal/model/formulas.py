"""The standards' formulas for a smelter's own (foreground) emissions, one function each.

Amounts per tonne of liquid aluminium; units are in the names.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from greenal.paths import bundled

CO2_PER_C = 44.0 / 12.0  # molar mass ratio CO2/C


@cache
def parameters() -> dict:
    """Named coefficients from inventories/parameters.yaml (value, unit, source, confidence)."""
    return yaml.safe_load((bundled("inventories") / "parameters.yaml").read_text(encoding="utf-8"))


def anode_co2_t_per_t(net_anode_t_per_t: float, sulphur_fraction: float, ash_fraction: float) -> float:
    """Prebake anode CO2: E = NC x (1 - S_a - A_a) x 44/12.
    IPCC 2006 Vol.3 Eq. 4.21 (Tier 2); 2013 Chinese smelter guideline, 炭阳极消耗."""
    return net_anode_t_per_t * (1.0 - sulphur_fraction - ash_fraction) * CO2_PER_C


@dataclass(frozen=True)
class PFC:
    cf4_kg_per_t: float
    c2f6_kg_per_t: float

    def co2e_t_per_t(self, gwp_cf4: float, gwp_c2f6: float) -> float:
        """E = (EF_CF4 x GWP_CF4 + EF_C2F6 x GWP_C2F6) x 10^-3 (CETS-AG-04.01-2024, 阳极效应)."""
        return (self.cf4_kg_per_t * gwp_cf4 + self.c2f6_kg_per_t * gwp_c2f6) / 1000.0


def pfc_slope(anode_effect_min_per_cell_day: float, technology: str = "CWPB") -> PFC:
    """Slope method: CF4 = S_CF4 x AEM; C2F6 = F x CF4 (IPCC 2006 Vol.3 Eq. 4.25/4.26;
    40 CFR 98.63 Eqs. F-2, F-4). `technology` is a row of parameters.yaml pfc_slope
    (CWPB, SWPB, VSS, HSS, or CN-ETS for the Chinese guideline's F = 0.1)."""
    row = parameters()["pfc_slope"][technology]
    cf4 = row["slope_cf4"]["value"] * anode_effect_min_per_cell_day
    return PFC(cf4, row["c2f6_ratio"]["value"] * cf4)


def fuel_mj(fuel: str, amount: float) -> float:
    """Energy of a fuel amount in its activity unit (t, or Nm3 for gas): AD x NCV."""
    return amount * parameters()["fuels"][fuel]["ncv_mj_per_unit"]["value"]


def fuel_co2_kg_per_mj(fuel: str) -> float:
    """CO2 per MJ burned: CC x OF x 44/12 (2013 guideline / GB/T 32151.4, 化石燃料燃烧:
    E = AD x NCV x CC x OF x 44/12), with CC in tC/TJ (= 10^-3 kg C/MJ)."""
    p = parameters()["fuels"][fuel]
    return p["carbon_t_per_tj"]["value"] * 1e-3 * p["oxidation"]["value"] * CO2_PER_C


def carbonate_co2_t(carbonate: str, t: float) -> float:
    """Carbonate decomposition: E = consumption x EF (CETS-AG-04.01-2024, 碳酸盐分解; purity 100 %)."""
    return t * parameters()["carbonates"][carbonate]["value"]
