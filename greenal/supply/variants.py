"""Footprint variants of one product as a batch: many versions of one foreground (e.g. power,
anode and alumina per t of metal changed) over the background factorised once.

With the partitioned technosphere of greenal.lca.engine, a variant v changes some foreground
amounts; its footprint is  h_v = sum_j s_v[j] * g_v[j],  where s_v solves the small foreground
system A_v s_v = e_0 and g_v[j] is row j's own CO2e per unit: its direct emissions times the
characterisation factors plus its purchases from the background times their cumulative CO2e
(Lambda c, computed once). Changes to purchases or emissions only move g_v (one matrix product for
all variants); changes to foreground links move A_v, and the V small systems are solved in one
batched call. Nothing is built per variant.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from greenal.errors import InputError
from greenal.lca.engine import Engine, Foreground


@dataclass(frozen=True)
class Change:
    """Per variant, the amount `consumer` takes of `target` per unit of its product: a foreground
    row, a background product or a flow (kg emitted)."""
    consumer: str
    target: str
    amounts: np.ndarray  # shape (V,)


def _unit_co2e(engine: Engine, gwp: str) -> tuple[np.ndarray, np.ndarray]:
    """CO2e per unit of every background product and per kg of every flow."""
    factors = engine.inventory.methods[gwp].factors
    cf = np.array([factors[f] for f in engine.inventory.flow_codes])
    return engine.unit_inventories @ cf, cf


def variant_totals(engine: Engine, foreground: Foreground, changes: list[Change], gwp: str) -> np.ndarray:
    """kg CO2e per declared unit of each variant: shape (V,)."""
    rows = {r.code: j for j, r in enumerate(foreground.rows)}
    n = len(rows)
    sizes = {len(c.amounts) for c in changes}
    if len(sizes) != 1:
        raise InputError("variants", "amounts", sorted(sizes), "the same number of variants for every change")
    v = sizes.pop()
    background_co2e, flow_co2e = _unit_co2e(engine, gwp)
    flows = engine.flow_index
    base_links = np.eye(n)
    base_own = np.zeros(n)  # CO2e per unit of each row from its own lines
    for j, row in enumerate(foreground.rows):
        for line in row.inputs:
            if line.target in rows:
                base_links[rows[line.target], j] -= line.amount
            else:
                base_own[j] += line.amount * background_co2e[engine.background_index[line.target]]
        for line in row.emissions:
            base_own[j] += line.amount * flow_co2e[flows[line.target]]
    own = np.broadcast_to(base_own, (v, n)).copy()
    link_changes = []
    for change in changes:
        if change.consumer not in rows:
            raise InputError("variants", "consumer", change.consumer, f"a row of the product system: {sorted(rows)}")
        j = rows[change.consumer]
        amounts = np.asarray(change.amounts, dtype=float)
        if change.target in rows:
            delta = amounts - foreground.input_amount(change.consumer, change.target)
            link_changes.append((rows[change.target], j, delta))
        elif change.target in engine.background_index:
            unit = background_co2e[engine.background_index[change.target]]
            own[:, j] += (amounts - foreground.input_amount(change.consumer, change.target)) * unit
        elif change.target in flows:
            unit = flow_co2e[flows[change.target]]
            own[:, j] += (amounts - foreground.emission_amount(change.consumer, change.target)) * unit
        else:
            raise InputError("variants", "target", change.target, "a foreground row, background product or flow")
    demand = np.zeros(n)
    demand[0] = 1.0
    if not link_changes:  # one scaling serves every variant
        return own @ np.linalg.solve(base_links, demand)
    a = np.broadcast_to(base_links, (v, n, n)).copy()
    for i, j, delta in link_changes:
        a[:, i, j] -= delta
    scaling = np.linalg.solve(a, np.broadcast_to(demand, (v, n))[:, :, None])[:, :, 0]
    return np.einsum("vj,vj->v", scaling, own)
