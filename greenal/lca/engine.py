"""Footprints: a small foreground (the chain's stage processes) over the factorised background.

Partitioned technosphere (Heijungs & Suh 2002, ch. 5): with foreground F and background B,

    [A_FF  0  ] [s_F]   [f]        s_F = A_FF^-1 f
    [-D_BF A_BB] [s_B] = [0]   =>   s_B = A_BB^-1 D_BF s_F

so the inventory is  G_F s_F + Lambda^T D_BF s_F,  where Lambda (background product x flow) is
the cumulative inventory per unit of each background product: one factorisation of A_BB,
computed once, serves every route, declaration and variant. Stage contributions follow from
the columns: each stage carries its own direct emissions and the background it buys.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from greenal.inventory import STAGES, Inventory, Route
from greenal.lca import bw


@dataclass(frozen=True)
class ForegroundRow:
    """One foreground process: what it buys (supplier code, amount) and emits (flow, kg),
    per unit of its product."""
    code: str
    stage: str
    inputs: list[tuple[str, float]]
    emissions: list[tuple[str, float]]


@dataclass(frozen=True)
class Foreground:
    """A product system's own processes, as arrays indexed like `Engine.background_codes`."""
    name: str
    processes: tuple[str, ...]  # stage process codes; processes[0] makes the declared product
    stages: tuple[str, ...]
    unit: str
    technosphere: np.ndarray  # (n, n): 1 on the diagonal, -amount bought from another foreground process
    background_inputs: np.ndarray  # (background products, n): amount bought per unit of each process
    direct: np.ndarray  # (flows, n): direct emissions in kg per unit of each process

    background_index: dict[str, int] = field(repr=False, compare=False, default_factory=dict)
    flow_index: dict[str, int] = field(repr=False, compare=False, default_factory=dict)

    def column(self, process: str) -> int:
        return self.processes.index(process)

    def with_input(self, consumer: str, supplier: str, amount: float) -> "Foreground":
        """A variant in which `consumer` buys `amount` of `supplier` per unit (0 removes it)."""
        j = self.column(consumer)
        if supplier in self.processes:
            technosphere = self.technosphere.copy()
            technosphere[self.column(supplier), j] = -amount
            return replace(self, technosphere=technosphere)
        inputs = self.background_inputs.copy()
        inputs[self.background_index[supplier], j] = amount
        return replace(self, background_inputs=inputs)

    def with_emission(self, process: str, flow: str, kg: float) -> "Foreground":
        """A variant in which `process` emits `kg` of `flow` per unit."""
        direct = self.direct.copy()
        direct[self.flow_index[flow], self.column(process)] = kg
        return replace(self, direct=direct)

    def input_amount(self, consumer: str, supplier: str) -> float:
        j = self.column(consumer)
        if supplier in self.processes:
            return float(-self.technosphere[self.column(supplier), j])
        return float(self.background_inputs[self.background_index[supplier], j])


@dataclass(frozen=True)
class Footprint:
    """Cradle-to-gate inventory of one declared unit, kept per stage and per flow (kg).
    CO2e for any GWP set is read from it; nothing is recomputed per frame."""
    name: str
    declared_unit: str
    stage_flow_kg: dict[str, dict[str, float]]  # stage -> flow code -> kg per declared unit
    inventory: Inventory

    def stage_co2e_kg(self, gwp: str) -> dict[str, float]:
        cf = self.inventory.methods[gwp].factors
        return {stage: sum(kg * cf[f] for f, kg in flows.items()) for stage, flows in self.stage_flow_kg.items()}

    def gas_co2e_kg(self, gwp: str) -> dict[str, float]:
        cf, flows = self.inventory.methods[gwp].factors, self.inventory.flows
        out: dict[str, float] = {}
        for stage_flows in self.stage_flow_kg.values():
            for f, kg in stage_flows.items():
                out[flows[f].gas] = out.get(flows[f].gas, 0.0) + kg * cf[f]
        return out

    def origin_co2e_kg(self, gwp: str) -> dict[str, float]:
        """Fossil vs biogenic (ISO 14067 §6.4.9.2 asks them apart)."""
        cf, flows = self.inventory.methods[gwp].factors, self.inventory.flows
        out = {"fossil": 0.0, "biogenic": 0.0}
        for stage_flows in self.stage_flow_kg.values():
            for f, kg in stage_flows.items():
                out[flows[f].origin] += kg * cf[f]
        return out

    def flow_kg(self) -> dict[str, float]:
        out = {f: 0.0 for f in self.inventory.flows}
        for stage_flows in self.stage_flow_kg.values():
            for f, kg in stage_flows.items():
                out[f] += kg
        return out

    def total_co2e_kg(self, gwp: str) -> float:
        return sum(self.stage_co2e_kg(gwp).values())

    def to_dict(self, gwp: str) -> dict:
        """Machine-readable result in t CO2e per declared unit (the unit users quote)."""
        t = 1e-3
        return {
            "product": self.name, "declared_unit": self.declared_unit, "gwp": gwp,
            "gwp_name": self.inventory.methods[gwp].name,
            "total_t_co2e": self.total_co2e_kg(gwp) * t,
            "by_stage_t_co2e": {s: v * t for s, v in self.stage_co2e_kg(gwp).items()},
            "by_gas_t_co2e": {g: v * t for g, v in self.gas_co2e_kg(gwp).items()},
            "by_origin_t_co2e": {o: v * t for o, v in self.origin_co2e_kg(gwp).items()},
            "inventory_kg": self.flow_kg(),
            "data_version": self.inventory.content_hash[:16],
        }


class Engine:
    """Holds the bundled inventory and the factorised background; computes footprints."""

    def __init__(self, inventory: Inventory, data_dir: Path):
        self.inventory = inventory
        ids = bw.ensure_project(inventory, data_dir)
        background = bw.Background(inventory, ids)
        self.background_codes = background.codes
        self.background_index = {c: i for i, c in enumerate(self.background_codes)}
        self.flow_index = {f: i for i, f in enumerate(inventory.flow_codes)}
        self.unit_inventories = background.unit_inventories()  # Lambda
        self._background = background

    def foreground(self, name: str, unit: str, rows: list[ForegroundRow]) -> Foreground:
        """Arrays for a foreground given as rows; rows[0] makes the declared product. A row's
        supplier is another row's code (foreground) or a background process code."""
        index = {row.code: j for j, row in enumerate(rows)}
        technosphere = np.eye(len(rows))
        inputs = np.zeros((len(self.background_codes), len(rows)))
        direct = np.zeros((len(self.flow_index), len(rows)))
        for j, row in enumerate(rows):
            for supplier, amount in row.inputs:
                if supplier in index:
                    technosphere[index[supplier], j] -= amount
                else:
                    inputs[self.background_index[supplier], j] += amount
            for flow, kg in row.emissions:
                direct[self.flow_index[flow], j] += kg
        return Foreground(name, tuple(r.code for r in rows), tuple(r.stage for r in rows), unit,
                          technosphere, inputs, direct, self.background_index, self.flow_index)

    def route_foreground(self, route: Route) -> Foreground:
        """The route's stage processes reachable from its product, substitutions applied."""
        processes = self.inventory.processes
        rows, seen = [], {route.product}
        queue = [route.product]
        for code in queue:  # breadth-first; `queue` grows while we walk it
            process = processes[code]
            inputs = [(route.supplier(code, e.target), e.amount) for e in process.inputs]
            rows.append(ForegroundRow(code, process.stage, inputs, [(e.target, e.amount) for e in process.emissions]))
            for supplier, _ in inputs:
                if processes[supplier].stage is not None and supplier not in seen:
                    seen.add(supplier)
                    queue.append(supplier)
        return self.foreground(route.name, processes[route.product].unit, rows)

    def footprint(self, foreground: Foreground, amount: float = 1.0) -> Footprint:
        demand = np.zeros(len(foreground.processes))
        demand[0] = amount
        scaling = np.linalg.solve(foreground.technosphere, demand)
        # per process column: own emissions + cumulative background it buys (kg per flow)
        per_process = (foreground.direct + self.unit_inventories.T @ foreground.background_inputs) * scaling
        codes = self.inventory.flow_codes
        by_stage = {s: {f: 0.0 for f in codes} for s in STAGES if s in foreground.stages}
        for j, stage in enumerate(foreground.stages):
            for i, f in enumerate(codes):
                by_stage[stage][f] += float(per_process[i, j])
        unit = f"{amount:g} {foreground.unit}"
        return Footprint(foreground.name, unit, by_stage, self.inventory)

    def route_footprint(self, route_code: str) -> Footprint:
        return self.footprint(self.route_foreground(self.inventory.routes[route_code]))
