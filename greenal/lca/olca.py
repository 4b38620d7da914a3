"""greenal's data as an openLCA 2 JSON-LD zip (the `olca-schema` package), importable in openLCA.

What the zip holds:
- the unit groups and flow properties greenal's units need, named as openLCA names them
  (Mass / Units of mass, Energy / Units of energy, Goods transport (mass*distance));
- one elementary flow per greenal biosphere flow, with the ecoinvent biosphere3 UUID and name
  recorded in inventories/biosphere.yaml (so an openLCA database holding ecoinvent links them);
  flows without a published UUID keep greenal's own UUID (marked unmapped in the data);
- one product flow and one unit process per bundled process (its exchanges as in the data);
- per route and per declared system (location- and market-based): its foreground processes
  (route substitutions applied, declared data in place) linked to each other and to the
  bundled background by default providers, and a product system over them;
- each GWP set of methods/ as an impact method with one impact category.

Every id is a UUID5 in greenal's namespace of a stable name, so exporting twice gives the same
ids (openLCA updates rather than duplicates). The reference data of an openLCA database (its
own Mass, Energy... entities) have other ids: importing adds greenal's copies under the same
names.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import olca_schema as o
from olca_schema import zipio

from greenal.inventory import Inventory
from greenal.lca.engine import Foreground

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/greenal/greenal#olca")
# The namespace of the greenal-own UUIDs of biosphere flows without an ecoinvent UUID
# (inventories/biosphere.yaml, `mapped: false`): uuid5(BIOSPHERE_NAMESPACE, flow code).
BIOSPHERE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/greenal/greenal#biosphere")

# greenal unit -> (openLCA unit name, factor to the group's reference unit, flow property)
UNITS = {"kg": ("kg", 1.0, "Mass"), "t": ("t", 1000.0, "Mass"),
         "MJ": ("MJ", 1.0, "Energy"), "kWh": ("kWh", 3.6, "Energy"),  # 1 kWh = 3.6 MJ (SI)
         "tkm": ("t*km", 1.0, "Goods transport (mass*distance)")}
# flow property -> (unit group, reference unit, other units of the group with their factors)
PROPERTIES = {"Mass": ("Units of mass", "kg", {"t": 1000.0}),
              "Energy": ("Units of energy", "MJ", {"kWh": 3.6}),
              "Goods transport (mass*distance)": ("Units of mass*distance", "t*km", {})}
COMPARTMENTS = {"air": "Elementary flows/Emission to air/unspecified"}


def uid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def biosphere_uuid(code: str) -> str:
    """greenal's own UUID of a biosphere flow that has no ecoinvent biosphere3 UUID."""
    return str(uuid.uuid5(BIOSPHERE_NAMESPACE, code))


@dataclass(frozen=True)
class System:
    """One foreground to export: a route or a declared system."""
    name: str
    foreground: Foreground
    location: str = "GLO"


class _Builder:
    def __init__(self, inventory: Inventory):
        self.inventory = inventory
        self.entities: dict[str, object] = {}
        self.units: dict[str, o.Ref] = {}
        self.properties: dict[str, o.Ref] = {}
        self.locations: dict[str, o.Ref] = {}
        self.products: dict[str, o.Ref] = {}
        self.elementary: dict[str, o.Ref] = {}
        self._unit_groups()

    def add(self, entity) -> o.Ref:
        self.entities[entity.id] = entity
        return o.as_ref(entity)

    def _unit_groups(self) -> None:
        for prop, (group_name, ref_unit, others) in PROPERTIES.items():
            units = [o.Unit(id=uid("unit", ref_unit), name=ref_unit, conversion_factor=1.0, is_ref_unit=True)]
            units += [o.Unit(id=uid("unit", name), name=name, conversion_factor=f, is_ref_unit=False)
                      for name, f in others.items()]
            group = o.UnitGroup(id=uid("unit-group", group_name), name=group_name, units=units,
                                category="Technical unit groups")
            prop_id = uid("flow-property", prop)
            group.default_flow_property = o.Ref(id=prop_id, name=prop, ref_type=o.RefType.FlowProperty)
            group_ref = self.add(group)
            self.properties[prop] = self.add(o.FlowProperty(
                id=prop_id, name=prop, unit_group=group_ref, flow_property_type=o.FlowPropertyType.PHYSICAL_QUANTITY,
                category="Technical flow properties"))
            for unit in units:
                self.units[unit.name] = o.Ref(id=unit.id, name=unit.name, ref_type=o.RefType.Unit)

    def unit(self, greenal_unit: str) -> tuple[o.Ref, o.Ref]:
        name, _, prop = UNITS[greenal_unit]
        return self.units[name], self.properties[prop]

    def location(self, code: str) -> o.Ref:
        if code not in self.locations:
            self.locations[code] = self.add(o.Location(id=uid("location", code), name=code, code=code))
        return self.locations[code]

    def elementary_flows(self) -> None:
        for code, flow in self.inventory.flows.items():
            b3 = flow.biosphere3 or {}
            _, prop = self.unit(flow.unit)
            description = (f"greenal flow '{code}' ({flow.name}). " + (
                "ecoinvent biosphere3 flow." if b3.get("mapped", True) and "source" in b3
                else "No ecoinvent biosphere3 UUID known: greenal's own UUID."))
            self.elementary[code] = self.add(o.Flow(
                id=b3.get("uuid") or biosphere_uuid(code), name=b3.get("name") or flow.name,
                flow_type=o.FlowType.ELEMENTARY_FLOW, description=description,
                category=_category(b3.get("compartment")), formula=None if flow.gas.startswith("CO2e") else flow.gas,
                flow_properties=[o.FlowPropertyFactor(flow_property=prop, conversion_factor=1.0,
                                                      is_ref_flow_property=True)]))

    def product(self, code: str, unit: str, name: str) -> o.Ref:
        if code not in self.products:
            _, prop = self.unit(unit)
            self.products[code] = self.add(o.Flow(
                id=uid("product", code), name=name, flow_type=o.FlowType.PRODUCT_FLOW, category="greenal/products",
                description=f"greenal product of '{code}'",
                flow_properties=[o.FlowPropertyFactor(flow_property=prop, conversion_factor=1.0,
                                                      is_ref_flow_property=True)]))
        return self.products[code]

    def process(self, pid: str, name: str, category: str, location: str, product: o.Ref, unit: str,
                inputs: list[tuple[o.Ref, float, str, o.Ref, str]], emissions: list[tuple[str, float, str]],
                description: str = "") -> o.Ref:
        """A unit process making 1 `unit` of `product`; inputs: (product flow, amount, unit,
        default provider, comment); emissions: (flow code, kg, comment)."""
        unit_ref, prop = self.unit(unit)
        exchanges = [o.Exchange(internal_id=1, flow=product, amount=1.0, unit=unit_ref, flow_property=prop,
                                is_input=False, is_quantitative_reference=True)]
        for flow_ref, amount, in_unit, provider, comment in inputs:
            u, p = self.unit(in_unit)
            exchanges.append(o.Exchange(internal_id=len(exchanges) + 1, flow=flow_ref, amount=amount,
                                        unit=u, flow_property=p, is_input=True, default_provider=provider,
                                        description=comment or None))
        for flow, kg, comment in emissions:
            u, p = self.unit(self.inventory.flows[flow].unit)
            exchanges.append(o.Exchange(internal_id=len(exchanges) + 1, flow=self.elementary[flow], amount=kg,
                                        unit=u, flow_property=p, is_input=False, description=comment or None))
        return self.add(o.Process(id=pid, name=name, category=category, process_type=o.ProcessType.UNIT_PROCESS,
                                  location=self.location(location), exchanges=exchanges,
                                  last_internal_id=len(exchanges), description=description or None))


def _category(compartment) -> str:
    if not compartment:
        return COMPARTMENTS["air"]
    top, *sub = compartment
    return f"Elementary flows/Emission to {top}/{sub[0] if sub else 'unspecified'}"


def build(inventory: Inventory, systems: list[System]) -> list:
    """Every entity of the export, in an order openLCA can import (dependencies first)."""
    b = _Builder(inventory)
    b.elementary_flows()
    processes = inventory.processes
    for code, p in processes.items():
        b.product(code, p.unit, p.product)
    bundled = {code: o.Ref(id=uid("process", code), name=p.name, ref_type=o.RefType.Process)
               for code, p in processes.items()}
    for code, p in processes.items():
        inputs = [(b.products[e.target], e.amount, e.unit, bundled[e.target],
                   f"{e.source.ref}: {e.source.locator} ({e.confidence})") for e in p.inputs]
        emissions = [(e.target, e.amount, f"{e.source.ref}: {e.source.locator} ({e.confidence})") for e in p.emissions]
        b.process(bundled[code].id, p.name, f"greenal/inventories/{p.stage or 'background'}", p.location,
                  b.products[code], p.unit, inputs, emissions, p.comment)
    for system in systems:
        _system(b, system, bundled)
    for method in inventory.methods.values():
        kg, mass = b.unit("kg")
        category = o.ImpactCategory(
            id=uid("impact-category", method.code), name=f"{method.name} (greenal)", ref_unit=method.unit,
            category="greenal", description=f"greenal method '{method.code}'; factors per kg of each flow",
            impact_factors=[o.ImpactFactor(flow=b.elementary[flow], value=cf, unit=kg, flow_property=mass)
                            for flow, cf in method.factors.items()])
        ref = b.add(category)
        b.add(o.ImpactMethod(id=uid("impact-method", method.code), name=f"greenal {method.name}", category="greenal",
                             impact_categories=[ref]))
    return list(b.entities.values())


def _system(b: _Builder, system: System, bundled: dict[str, o.Ref]) -> None:
    """A foreground's processes and its product system. A row that is a bundled process (with
    the route's suppliers or the declared data) makes that process's product; a row of the
    declarant's own (site:..., a supplier's footprint) makes a product of this system only."""
    fg, processes = system.foreground, b.inventory.processes
    folder = f"greenal/systems/{system.name.replace('/', '-')}"
    own = {row.code: o.Ref(id=uid("system", system.name, row.code), name=f"{system.name}: {row.code}",
                           ref_type=o.RefType.Process) for row in fg.rows}
    units = {row.code: processes[row.code].unit if row.code in processes else fg.unit for row in fg.rows}
    products = {row.code: b.product(row.code, units[row.code], processes[row.code].product) if row.code in processes
                else b.product(f"{system.name}/{row.code}", units[row.code], f"{row.code} ({system.name})")
                for row in fg.rows}
    links = []
    for row in fg.rows:
        inputs = []
        for line in row.inputs:
            provider = own.get(line.target) or bundled[line.target]
            product = products.get(line.target) or b.products[line.target]
            unit = units.get(line.target) or processes[line.target].unit
            label = line.label
            inputs.append((product, line.amount, unit, provider, f"stage {label.stage}; source {label.source}; "
                           f"scope {label.scope}; site data {label.primary}"))
        emissions = [(line.target, line.amount, f"stage {line.label.stage}; source {line.label.source}; "
                      f"scope {line.label.scope}; site data {line.label.primary}") for line in row.emissions]
        ref = b.process(own[row.code].id, own[row.code].name, folder, system.location,
                        products[row.code], units[row.code], inputs, emissions)
        process = b.entities[ref.id]
        assert isinstance(process, o.Process) and process.exchanges
        for exchange in process.exchanges[1:len(inputs) + 1]:
            links.append(o.ProcessLink(provider=exchange.default_provider, flow=exchange.flow, process=ref,
                                       exchange=o.ExchangeRef(internal_id=exchange.internal_id)))
    # the background every foreground purchase reaches, linked to its providers
    reached, queue = set(), [line.target for row in fg.rows for line in row.inputs if line.target not in own]
    while queue:
        code = queue.pop()
        if code in reached:
            continue
        reached.add(code)
        for i, e in enumerate(processes[code].inputs, start=2):
            links.append(o.ProcessLink(provider=bundled[e.target], flow=b.products[e.target], process=bundled[code],
                                       exchange=o.ExchangeRef(internal_id=i)))
            queue.append(e.target)
    first = fg.rows[0].code
    b.add(o.ProductSystem(
        id=uid("product-system", system.name), name=system.name, category="greenal",
        ref_process=own[first], ref_exchange=o.ExchangeRef(internal_id=1), target_amount=1.0,
        target_unit=b.unit(units[first])[0], target_flow_property=b.unit(units[first])[1],
        processes=list(own.values()) + [bundled[c] for c in sorted(reached)], process_links=links))


def write_zip(inventory: Inventory, systems: list[System], out: Path) -> dict[str, int]:
    """Write the JSON-LD zip to `out` (through a temporary file: nothing half-written); return
    the number of entities per type."""
    entities = build(inventory, systems)
    out = Path(out)
    tmp = out.with_name(f".{out.name}.partial")
    try:
        writer = zipio.ZipWriter(str(tmp))
        try:
            for entity in entities:
                writer.write(entity)
        finally:
            writer.close()
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    counts: dict[str, int] = {}
    for entity in entities:
        counts[type(entity).__name__] = counts.get(type(entity).__name__, 0) + 1
    return counts
