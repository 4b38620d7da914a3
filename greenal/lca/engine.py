"""Footprints: a small foreground (the chain's stage processes) over the factorised background.

Partitioned technosphere (Heijungs & Suh 2002, ch. 5): with foreground F and background B,

    [A_FF  0  ] [s_F]   [f]        s_F = A_FF^-1 f
    [-D_BF A_BB] [s_B] = [0]   =>   s_B = A_BB^-1 D_BF s_F

so the inventory is  G_F s_F + Lambda^T D_BF s_F,  where Lambda (background product x flow) is
the cumulative inventory per unit of each background product: one factorisation of A_BB,
computed once, serves every route, declaration and variant. Every foreground line (a purchase
from the background or a direct emission) carries a label, so any breakdown (stage, scope,
source, site or default data) is a sum over labelled contributions.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import cast
from pathlib import Path

import numpy as np

from greenal.inventory import Inventory, Route, in_stage_order
from greenal.lca import cache

# What a contribution is for (the "source" breakdown of issue 3 and the reports).
SOURCES = ("fuel", "anode", "PFC", "carbonates", "process", "electricity", "materials", "transport", "intermediates",
           "supplier-specific")


def source_of(supplier: str) -> str:
    """Source category of a purchase, from the supplier's code family."""
    for prefix, source in (("fuel-", "fuel"), ("electricity-", "electricity"), ("material-", "materials"),
                           ("transport-", "transport")):
        if supplier.startswith(prefix):
            return source
    return "intermediates"


@dataclass(frozen=True)
class Label:
    """What a contribution is: chain stage, GHG Protocol scope (None where no site is declared),
    source category, and whether its amount is the declarant's own (primary) data."""
    stage: str
    source: str
    scope: int | None = None
    primary: bool = False


@dataclass(frozen=True)
class Line:
    target: str  # supplier code (input) or flow code (emission)
    amount: float  # per unit of the row's product (kg for emissions)
    label: Label


@dataclass(frozen=True)
class ForegroundRow:
    """One foreground process: what it buys and emits per unit of its product."""
    code: str
    stage: str
    inputs: list[Line]
    emissions: list[Line]


@dataclass(frozen=True)
class Foreground:
    """A product system's own processes; rows[0] makes the declared product."""
    name: str
    unit: str
    rows: tuple[ForegroundRow, ...]

    @property
    def processes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.rows)

    def column(self, process: str) -> int:
        return self.processes.index(process)

    def _with_lines(self, process: str, kind: str, target: str, amount: float, label: Label | None):
        j = self.column(process)
        row = self.rows[j]
        lines = list(getattr(row, kind))
        found = [i for i, line in enumerate(lines) if line.target == target]
        if found:
            i = found[0]
            lines[i] = replace(lines[i], amount=amount, label=label or lines[i].label)
            lines = [line for k, line in enumerate(lines) if k == i or k not in found]
        else:
            source = source_of(target) if kind == "inputs" else "process"
            lines.append(Line(target, amount, label or Label(row.stage, source)))
        rows = list(self.rows)
        rows[j] = replace(row, inputs=lines) if kind == "inputs" else replace(row, emissions=lines)
        return replace(self, rows=tuple(rows))

    def with_input(self, consumer: str, supplier: str, amount: float, label: Label | None = None) -> "Foreground":
        """A variant in which `consumer` buys `amount` of `supplier` per unit (0 removes it)."""
        return self._with_lines(consumer, "inputs", supplier, amount, label)

    def with_emission(self, process: str, flow: str, kg: float, label: Label | None = None) -> "Foreground":
        """A variant in which `process` emits `kg` of `flow` per unit."""
        return self._with_lines(process, "emissions", flow, kg, label)

    def input_amount(self, consumer: str, supplier: str) -> float:
        return sum(line.amount for line in self.rows[self.column(consumer)].inputs if line.target == supplier)

    def emission_amount(self, process: str, flow: str) -> float:
        return sum(line.amount for line in self.rows[self.column(process)].emissions if line.target == flow)


@dataclass(frozen=True)
class Footprint:
    """Cradle-to-gate inventory of one declared unit as labelled contributions (kg per flow).
    CO2e for any GWP set and any breakdown is read from it; nothing is recomputed per frame."""
    name: str
    declared_unit: str
    contributions: dict[Label, np.ndarray]  # label -> kg per flow (inventory.flow_codes order)
    inventory: Inventory

    def _cf(self, gwp: str) -> np.ndarray:
        factors = self.inventory.methods[gwp].factors
        return np.array([factors[f] for f in self.inventory.flow_codes])

    def co2e_kg_by(self, key: str, gwp: str) -> dict:
        """CO2e by a label field: 'stage', 'scope', 'source' or 'primary'."""
        cf = self._cf(gwp)
        out: defaultdict[str, float] = defaultdict(float)
        for label, kg in self.contributions.items():
            out[getattr(label, key)] += float(kg @ cf)
        return dict(out)

    def stage_co2e_kg(self, gwp: str) -> dict[str, float]:
        return self.co2e_kg_by("stage", gwp)

    def _by_flow_attribute(self, attribute: str, gwp: str) -> dict[str, float]:
        weighted = self.flow_kg_array() * self._cf(gwp)
        out: defaultdict[str, float] = defaultdict(float)
        for i, f in enumerate(self.inventory.flow_codes):
            out[getattr(self.inventory.flows[f], attribute)] += float(weighted[i])
        return dict(out)

    def gas_co2e_kg(self, gwp: str) -> dict[str, float]:
        return self._by_flow_attribute("gas", gwp)

    def origin_co2e_kg(self, gwp: str) -> dict[str, float]:
        """Fossil vs biogenic (ISO 14067 §6.4.9.2 asks them apart)."""
        return {"fossil": 0.0, "biogenic": 0.0, **self._by_flow_attribute("origin", gwp)}

    def flow_kg_array(self) -> np.ndarray:
        return sum(self.contributions.values(), np.zeros(len(self.inventory.flow_codes)))

    def flow_kg(self) -> dict[str, float]:
        return dict(zip(self.inventory.flow_codes, map(float, self.flow_kg_array()), strict=True))

    def total_co2e_kg(self, gwp: str) -> float:
        return float(self.flow_kg_array() @ self._cf(gwp))

    def to_dict(self, gwp: str) -> dict:
        """Machine-readable result in t CO2e per declared unit (the unit users quote)."""
        t = 1e-3
        out = {
            "product": self.name, "declared_unit": self.declared_unit, "gwp": gwp,
            "gwp_name": self.inventory.methods[gwp].name,
            "total_t_co2e": self.total_co2e_kg(gwp) * t,
            "by_stage_t_co2e": in_stage_order({s: v * t for s, v in self.stage_co2e_kg(gwp).items()}),
            "by_gas_t_co2e": {g: v * t for g, v in self.gas_co2e_kg(gwp).items()},
            "by_origin_t_co2e": {o: v * t for o, v in self.origin_co2e_kg(gwp).items()},
            "by_source_t_co2e": {s: v * t for s, v in self.co2e_kg_by("source", gwp).items()},
            "inventory_kg": self.flow_kg(),
            "data_version": self.inventory.content_hash[:16],
        }
        scopes = self.co2e_kg_by("scope", gwp)
        if None not in scopes:
            out["by_scope_t_co2e"] = {f"scope {s}": v * t for s, v in sorted(scopes.items())}
        total = sum(scopes.values())
        out["primary_data_share"] = self.co2e_kg_by("primary", gwp).get(True, 0.0) / total if total else 0.0
        return out


class Engine:
    """Holds the bundled inventory and the factorised background; computes footprints."""

    def __init__(self, inventory: Inventory, data_dir: Path):
        self.inventory = inventory
        results = cache.load(data_dir, inventory)
        if results is None:  # first run on these data: the Brightway core computes, the cache keeps
            if inventory.methods_root is not None:  # the file formats, once per data version
                from greenal.schemas import check_inventory

                check_inventory(inventory.root, inventory.methods_root)
            results = background_results(inventory, data_dir)
            cache.save(data_dir, inventory, results)
        self.background_codes = list(results.codes)
        self.background_index = {c: i for i, c in enumerate(self.background_codes)}
        self.flow_index = {f: i for i, f in enumerate(inventory.flow_codes)}
        self.unit_inventories = results.unit_inventories  # Lambda
        self._supply_matrix = results.supply_matrix

    def chain_rows(self, product: str, route: Route | None = None, seen: set | None = None) -> list[ForegroundRow]:
        """Rows of the stage processes reachable from `product` (route substitutions applied),
        skipping those in `seen`, which it extends."""
        processes = self.inventory.processes
        seen = set() if seen is None else seen
        if product in seen:
            return []
        seen.add(product)
        rows, queue = [], [product]
        for code in queue:  # breadth-first; `queue` grows while we walk it
            p = processes[code]
            stage = cast(str, p.stage)  # chain rows are stage processes: the queue takes only those
            inputs = []
            freight = stage == "transport"  # a freight process is transport, whatever it burns
            for e in p.inputs:
                supplier = route.supplier(code, e.target) if route else e.target
                inputs.append(Line(supplier, e.amount, Label(stage, "transport" if freight else source_of(supplier))))
                if processes[supplier].stage is not None and supplier not in seen:
                    seen.add(supplier)
                    queue.append(supplier)
            emissions = [Line(e.target, e.amount,
                              Label(stage, "transport" if freight else direct_source(stage, e.target)))
                         for e in p.emissions]
            rows.append(ForegroundRow(code, stage, inputs, emissions))
        return rows

    def route_foreground(self, route: Route) -> Foreground:
        """The route's stage processes reachable from its product, substitutions applied."""
        rows = self.chain_rows(route.product, route)
        return Foreground(route.name, self.inventory.processes[route.product].unit, tuple(rows))

    def scaling(self, foreground: Foreground, amount: float = 1.0) -> dict[str, float]:
        """Units of each foreground row's product per `amount` of the declared product."""
        index = {r.code: j for j, r in enumerate(foreground.rows)}
        technosphere = np.eye(len(index))
        for j, row in enumerate(foreground.rows):
            for line in row.inputs:
                if line.target in index:
                    technosphere[index[line.target], j] -= line.amount
        demand = np.zeros(len(index))
        demand[0] = amount
        return dict(zip(index, map(float, np.linalg.solve(technosphere, demand)), strict=True))

    def footprint(self, foreground: Foreground, amount: float = 1.0) -> Footprint:
        rows = foreground.rows
        scaling = self.scaling(foreground, amount)
        contributions: dict[Label, np.ndarray] = defaultdict(lambda: np.zeros(len(self.flow_index)))
        for row in rows:
            for line in row.inputs:
                if line.target not in scaling:  # foreground suppliers carry their own lines
                    contributions[line.label] += self.unit_inventories[self.background_index[line.target]] * (
                        line.amount * scaling[row.code])
            for line in row.emissions:
                contributions[line.label][self.flow_index[line.target]] += line.amount * scaling[row.code]
        return Footprint(foreground.name, f"{amount:g} {foreground.unit}", dict(contributions), self.inventory)

    def line_flows(self, lines) -> np.ndarray:
        """Cradle-to-gate kg per flow of a set of lines (purchases from the background and direct
        emissions, each with `kind`, `target` and `amount`): e.g. one kWh of a supply."""
        out = np.zeros(len(self.flow_index))
        for line in lines:
            if line.kind == "input":
                out += self.unit_inventories[self.background_index[line.target]] * line.amount
            else:
                out[self.flow_index[line.target]] += line.amount
        return out

    def supply(self, foreground: Foreground, amount: float = 1.0) -> dict[str, float]:
        """Every process the footprint used (foreground and background) with its amount, in the
        process's own unit, per `amount` of the declared product: the provenance of a result."""
        scaling = self.scaling(foreground, amount)
        demand = np.zeros(len(self.background_codes))
        for row in foreground.rows:
            for line in row.inputs:
                if line.target not in scaling:
                    demand[self.background_index[line.target]] += line.amount * scaling[row.code]
        used = dict(scaling)
        for code, value in zip(self.background_codes, self._supply_matrix @ demand, strict=True):
            if abs(value) > 1e-12:
                used[code] = float(value)
        return used

    def route_footprint(self, route_code: str) -> Footprint:
        return self.footprint(self.route_foreground(self.inventory.routes[route_code]))


def background_results(inventory: Inventory, data_dir: Path) -> cache.BackgroundResults:
    """Build or open the Brightway project, factorise the background once, and read from it the
    unit inventories and the supply of every background product per unit demand."""
    from greenal.lca import bw

    background = bw.Background(inventory, bw.ensure_project(inventory, data_dir))
    eye = np.eye(len(background.codes))
    supply = np.array([background.supply(eye[i]) for i in range(len(background.codes))]).T
    return cache.BackgroundResults(tuple(background.codes), background.unit_inventories(), supply)


def direct_source(stage: str, flow: str) -> str:
    """Source category of a default process's direct emission."""
    if flow in ("cf4", "c2f6"):
        return "PFC"
    if stage == "electrolysis" and flow == "co2-fossil":
        return "anode"
    return "process"
