"""CBAM embedded emissions of a product down the chain, direct and indirect apart.

Complex goods (Regulation (EU) 2023/956 Annex IV §3; IR 2023/1773 Annex III, attribution of
emissions to goods): SEE_g = (AttrEm_g + EE_InpMat) / AL_g with EE_InpMat = sum_i M_i x SEE_i,
the embedded emissions of the relevant precursors added to the good's own, direct and indirect
each on their own. For aluminium products (IR 2023/1773 Annex II §3, aluminium products) the
relevant precursor is unwrought aluminium; alumina is no CBAM good and no precursor, so mining and
refining stay outside; the unwrought aluminium's own boundary is the smelter or recycler site
(anode plant, potlines, casthouse, remelting: greenal.standards.measures.SMELTER_STAGES, the
boundary of greenal.standards.cbam). Per t of product, walking the product system with its scaling:
- direct: emissions of the rows inside the boundary (fuel combustion, anode CO2, PFC, process),
  AR5 GWPs (greenal.standards.cbam.CBAM_GWP); a precursor taken at a supplier's footprint counts
  its whole cradle-to-gate PCF as direct (the PCF does not split direct from indirect: errs high);
- indirect: electricity consumed inside the boundary x the country's grid factor (IR 2023/1773
  Annex III, emission factor of electricity: the default of the country's grid unless a direct
  technical link or a qualifying PPA is shown; a product file shows neither).
From 2026 aluminium goods carry direct emissions only (Regulation 2023/956 Annex II; see
greenal.standards.cbam); the indirect part is the transitional-period figure, for information.
"""
from __future__ import annotations

from dataclasses import dataclass

from greenal.lca.engine import Engine, Foreground
from greenal.model.electricity import official_factor
from greenal.standards.cbam import CBAM_GWP
from greenal.standards.measures import SMELTER_STAGES
from greenal.supply.footprints import SOURCE_LABEL
from greenal.supply.products import ProductSpec, product_foreground, site_grid_code

OWN_ROWS = ("step:", "product:")  # the product's own installation (casthouse, forming)
SUPPLIER_ROWS = "supplier:"


@dataclass(frozen=True)
class CbamSplit:
    """Embedded emissions of 1 t of the good, t CO2e per t (electricity in MWh per t)."""
    direct_t_per_t: float
    indirect_t_per_t: float
    own_direct_t_per_t: float
    precursor_direct_t_per_t: float
    supplier_pcf_t_per_t: float  # of the direct part: precursors at a supplier's PCF
    electricity_mwh_per_t: float
    electricity_t_co2_per_mwh: float
    notes: tuple[str, ...]


def grid_factor_kg_per_kwh(engine: Engine, spec: ProductSpec) -> tuple[float, str]:
    """The country grid factor of the product's site grid (CO2 of combustion, kg per kWh)."""
    grid = site_grid_code(engine.inventory, spec)
    if grid.startswith("electricity-lc-cn-") and grid[-4:].isdigit():
        year = grid[-4:]
        return (official_factor(engine.inventory, f"national-{year}", spec.file, "product.grid"),
                f"China's national grid factor {year} (MEE/NBS, CO2 of combustion)")
    cf = engine.inventory.methods[CBAM_GWP].factors
    unit = engine.unit_inventories[engine.background_index[grid]]
    kg = float(sum(unit[i] * cf[f] for i, f in enumerate(engine.inventory.flow_codes)))
    return kg, f"{grid}: life-cycle factor of the country grid (no combustion-only factor bundled; errs high)"


def _inside(code: str, stage: str) -> bool:
    return code.startswith(OWN_ROWS) or code.startswith(SUPPLIER_ROWS) or stage in SMELTER_STAGES


def cbam_split(engine: Engine, spec: ProductSpec, foreground: Foreground | None = None) -> CbamSplit:
    """Direct and indirect embedded emissions of one t of the product (location-based system:
    contractual instruments play no part in CBAM)."""
    inventory = engine.inventory
    processes = inventory.processes
    cf = inventory.methods[CBAM_GWP].factors
    if foreground is None:
        foreground = product_foreground(engine, spec, "location")[0]
    scaling = engine.scaling(foreground)
    factor, factor_note = grid_factor_kg_per_kwh(engine, spec)
    own = precursor = supplier = kwh = precursor_kwh = 0.0
    for row in foreground.rows:
        if not _inside(row.code, row.stage):
            continue
        s = scaling[row.code]
        kg = sum(line.amount * cf[line.target] for line in row.emissions)
        if row.code.startswith(SUPPLIER_ROWS):
            # a supplier's PCF (flow co2e-aggregated) of a metal input; electricity suppliers are
            # not used on the location basis
            supplier += s * kg
            continue
        for line in row.inputs:
            target = line.target
            if target.startswith("electricity-"):
                kwh += s * line.amount
                if not row.code.startswith(OWN_ROWS):
                    precursor_kwh += s * line.amount
            elif target.startswith("fuel-") and target.endswith("-burned") and target in processes:
                # a default process's fuel burned on site: its combustion is direct
                kg += line.amount * sum(e.amount * cf[e.target] for e in processes[target].emissions)
        if row.code.startswith(OWN_ROWS):
            own += s * kg
        else:
            precursor += s * kg
    notes = [f"indirect: {kwh / 1000:.3f} MWh per t x {factor_note}, {factor:.4f} t CO2/MWh",
             "unwrought-aluminium precursor inside the smelter or recycler boundary (anode, electrolysis, casting, "
             "remelting); alumina is no CBAM precursor",
             "from 2026 aluminium goods carry direct emissions only (Regulation 2023/956 Annex II)"]
    if precursor_kwh:
        notes.append(f"default precursor: its {precursor_kwh / 1000:.3f} MWh per t at the same country grid factor "
                     "(a smelter's own plant would use its own factor, direct technical link)")
    if supplier:
        notes.append(f"{SOURCE_LABEL} precursor: its whole PCF counted as direct embedded emissions "
                     "(the PCF does not split direct from indirect; errs high)")
    direct = (own + precursor + supplier) / 1000
    # kg CO2 per kWh = t CO2 per MWh
    return CbamSplit(direct, kwh * factor / 1000, own / 1000, precursor / 1000, supplier / 1000, kwh / 1000,
                     factor, tuple(notes))
