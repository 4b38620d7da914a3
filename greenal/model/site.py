"""A declaration's foreground: the declarant's own stages built from its site data, each starting
from the sourced default process of that stage and replacing what the site declares.

Labels: direct emissions at the site are scope 1; purchased electricity scope 2 (its life-cycle
factor in the product footprint); everything bought or upstream scope 3. Default upstream
chains (purchased alumina or anodes, bauxite) keep the cn-average route's Chinese grid.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from greenal.declaration.fields import FUELS
from greenal.declaration.model import Declaration
from greenal.errors import InputError
from greenal.lca.engine import Engine, Footprint, Foreground, ForegroundRow, Label, Line, direct_source, source_of
from greenal.model import electricity
from greenal.model.formulas import anode_co2_t_per_t, carbonate_co2_t, fuel_mj, parameters, pfc_slope

STAGE_DEFAULTS = {"refining": "refining-alumina-cn-diasporic", "anode": "anode-prebake-global",
                  "electrolysis": "electrolysis-prebake-cn", "casting": "casting-ingot-global",
                  "recycling": "recycling-post-consumer"}
PRODUCT_STAGE = {"primary-liquid": "electrolysis", "primary-ingot": "casting", "alumina": "refining",
                 "recycled-ingot": "recycling"}
DEFAULT_CHAIN_ROUTE = "cn-average"
PRIMARY_INGOT = "casting-ingot-global"  # primary origin of pre-consumer scrap, via cn-average (S17)
SCRAP_FREE = "scrap-post-consumer"
# How bought scrap is charged (product.recycled_content_rule), printed with every result.
RECYCLED_CONTENT_RULES = {
    "cut-off": "cut-off: pre- and post-consumer scrap enter burden-free, carrying only their collection, "
               "preparation and remelting (recycled-content approach; "
               "ISO 14067:2018 6.4 asks the recycling allocation to be stated); "
               "run-around scrap is internal and carries no primary burden",
    "pre-consumer-primary": "pre-consumer scrap carries the footprint of its primary origin (Chinese primary ingot, "
                            "cn-average route; Hydro methodology note, S17); post-consumer scrap enters burden-free; "
                            "run-around scrap is internal and carries no primary burden",
}
# declared field -> (input of the default process it sets, factor from the field's unit to the input's unit)
FIELD_INPUTS = {
    "refining": {"bauxite_t_per_t": ("mining-bauxite-global", 1.0),
                 "caustic_soda_kg_per_t": ("material-caustic-soda", 1e-3),
                 "lime_kg_per_t": ("material-lime", 1e-3)},
    "anode": {"calcined_coke_t_per_t": ("material-calcined-coke", 1.0),
              "pitch_t_per_t": ("material-coal-tar-pitch", 1.0)},
    "electrolysis": {"alf3_kg_per_t": ("material-aluminium-fluoride", 1e-3)},
    "casting": {}, "recycling": {},
}


def site_code(stage: str) -> str:
    return f"site:{stage}"


@dataclass(frozen=True)
class DeclarationResult:
    declaration: Declaration
    location: Footprint
    market: Footprint
    electricity: electricity.ElectricityAccount
    site_kwh_per_t: dict[str, float]  # kWh per t of declared product, by stage
    scaling: dict[str, float]  # units of each foreground row's product per t of declared product
    market_foreground: Foreground  # what the market-based footprint was computed on (for provenance)
    notes: tuple[str, ...] = ()  # warnings a reader of the result must see (certificates, defaults, lime)
    # supply id -> basis ("location", "market") -> kg of each flow per kWh of that supply, life-cycle
    supply_flows_per_kwh: dict = field(default_factory=dict)
    location_foreground: Foreground | None = None  # what the location-based footprint was computed on

    def supply_life_cycle_kg_per_kwh(self, gwp: str) -> dict[str, dict[str, float]]:
        """Each supply's life-cycle factor (kg CO2e per kWh) on both bases."""
        cf = self.location._cf(gwp)
        return {sid: {basis: float(flows @ cf) for basis, flows in bases.items()}
                for sid, bases in self.supply_flows_per_kwh.items()}

    @property
    def recycled_content_rule(self) -> str:
        return RECYCLED_CONTENT_RULES[self.declaration.recycled_content_rule]

    def scope2_official_t_per_t(self) -> dict[str, float]:
        """Scope 2 of purchased grid power with the official combustion-only factors (t CO2/t)."""
        kwh = sum(self.site_kwh_per_t.values())
        return {"location": kwh * self.electricity.scope2_location_kg_per_kwh / 1000,
                "market": kwh * self.electricity.scope2_market_kg_per_kwh / 1000}


class SiteModel:
    def __init__(self, engine: Engine, decl: Declaration):
        self.engine, self.decl = engine, decl
        self.notes: list[str] = list(decl.notes)  # amounts given as period totals (greenal.declaration)
        self.inventory = engine.inventory
        self.route = self.inventory.routes[DEFAULT_CHAIN_ROUTE]
        self.suppliers = {"refining": self._supplier("alumina_from", "refining"),
                          "anode": self._supplier("anode_from", "anode"),
                          "electrolysis": site_code("electrolysis")}
        # Bought alumina or anodes at their supplier's own footprint (greenal/supply/footprints.py).
        from greenal.supply.footprints import declaration_suppliers
        self.supplier_footprints = declaration_suppliers(decl)
        for stage, found in self.supplier_footprints.items():
            self.suppliers[stage] = found.code
            self.notes.append(f"{found.input}: supplier-specific footprint, {found.kg_co2e_per_unit:g} kg CO2e/t "
                              f"({found.origin}: {found.evidence})")

    def _supplier(self, key: str, stage: str) -> str:
        chosen = self.decl.product.get(key, STAGE_DEFAULTS[stage])
        if chosen == "own":
            return site_code(stage)
        process = self.inventory.processes.get(chosen)
        if process is None or process.stage != stage:
            options = [c for c, p in self.inventory.processes.items() if p.stage == stage]
            raise InputError(self.decl.file, self.decl.locate("product", key), chosen, f"'own' or one of {options}")
        return chosen

    # --- one own stage ---------------------------------------------------------------------

    def stage_row(self, stage: str, supply: tuple[electricity.ElectricityLine, ...]) -> tuple[ForegroundRow, float]:
        """The stage's row and its kWh per t of the stage's product."""
        values = self.decl.stages[stage]
        default = self.inventory.processes[STAGE_DEFAULTS[stage]]
        inputs, emissions = [], []

        def buy(target, amount, primary, scope=3, source=None):
            if amount:
                inputs.append(Line(target, amount, Label(stage, source or source_of(target), scope, primary)))

        def emit(flow, kg, primary, source):
            if kg:
                emissions.append(Line(flow, kg, Label(stage, source, 1, primary)))

        def burn(process: str, mj: float, primary: bool):
            """Fuel burned on site: combustion gases (scope 1) and the fuel's supply chain (scope 3),
            from the fuel's one burned process, as for captive plants."""
            for sub in self.inventory.processes[process].exchanges:
                if sub.kind == "technosphere":
                    buy(sub.target, sub.amount * mj, primary, 3, "fuel")
                else:
                    emit(sub.target, sub.amount * mj, primary, "fuel")

        declared_fuels = {k: v for k, v in values.items() if k.startswith("fuels.")}
        kwh, kwh_primary = self._kwh(stage, values, default)
        for e in default.inputs:
            if e.target.startswith("electricity-"):
                continue  # replaced by the site's supply below
            if e.target.startswith("fuel-") and e.target.endswith("-burned"):
                if not declared_fuels:  # the default process's fuels, unless the site declares its own
                    burn(e.target, e.amount, False)
                continue
            target, amount, primary = self._chain_input(stage, e.target, e.amount, values)
            buy(target, amount, primary)
        for key, (target, factor) in FIELD_INPUTS[stage].items():
            if key in values:
                inputs[:] = [line for line in inputs if line.target != target]
                buy(target, values[key] * factor, True)
                if target == "mining-bauxite-global":  # bauxite freight follows the bauxite (per t bauxite)
                    inputs[:] = [line for line in inputs if line.target != "transport-bauxite-sea-freight"]
                    buy("transport-bauxite-sea-freight", values[key], True, 3, "transport")
        for fuel in FUELS:
            fuel_key = next((k for k in declared_fuels if k.startswith(f"fuels.{fuel}_")), None)
            if fuel_key:
                burn(electricity.burned_fuel(fuel), fuel_mj(fuel, values[fuel_key]), True)
        for line in supply:
            label = Label(stage, "electricity", line.scope, line.primary and kwh_primary)
            (inputs if line.kind == "input" else emissions).append(Line(line.target, line.amount * kwh, label))
        emissions += self._direct(stage, values, default)
        return ForegroundRow(site_code(stage), stage, inputs, emissions), kwh

    def _kwh(self, stage: str, values: dict, default) -> tuple[float, bool]:
        keys = ("ac_kwh_per_t", "auxiliary_kwh_per_t") if stage == "electrolysis" else ("electricity_kwh_per_t",)
        declared = [values[k] for k in keys if k in values]
        if declared:
            return sum(declared), True
        return sum(e.amount for e in default.inputs if e.target.startswith("electricity-")), False

    def _chain_input(self, stage: str, target: str, amount: float, values: dict) -> tuple[str, float, bool]:
        """Where a default chain input comes from on this site, and how much of it."""
        supplier_stage = self.inventory.processes[target].stage or ""  # "" (no stage) matches no key below
        declared = {("electrolysis", "refining"): "alumina_t_per_t", ("electrolysis", "anode"): "net_anode_t_per_t",
                    ("casting", "electrolysis"): "liquid_aluminium_t_per_t"}.get((stage, supplier_stage))
        supplier = self.suppliers.get(supplier_stage, target)
        if declared and declared in values:
            return supplier, values[declared], True
        return supplier, amount, False

    def _direct(self, stage: str, values: dict, default) -> list[Line]:
        """Direct emissions: the standards' formulas on site data, else the default process's."""
        out = []
        params = parameters()["anode"]

        def emit(flow, kg, primary, source):
            if kg:
                out.append(Line(flow, kg, Label(stage, source, 1, primary)))

        for e in default.emissions:
            source = direct_source(default.stage, e.target)
            if stage == "electrolysis" and source in ("anode", "PFC"):
                continue  # computed below
            emit(e.target, e.amount, False, source)
        if stage == "electrolysis":
            nc = values.get("net_anode_t_per_t", self._default_input(default, "anode"))
            s = values.get("anode_sulphur_pct", params["sulphur_fraction_default"]["value"] * 100) / 100
            a = values.get("anode_ash_pct", params["ash_fraction_default"]["value"] * 100) / 100
            emit("co2-fossil", anode_co2_t_per_t(nc, s, a) * 1000, "net_anode_t_per_t" in values, "anode")
            cf4, c2f6, primary = self._pfc(values, default)
            emit("cf4", cf4, primary, "PFC")
            emit("c2f6", c2f6, primary, "PFC")
        for key, value in values.items():
            if key.startswith("carbonates."):
                carbonate = key.split(".")[1].removesuffix("_kg_per_t")
                emit("co2-fossil", carbonate_co2_t(carbonate, value), True, "carbonates")
        if values.get("limestone_kg_per_t"):
            emit("co2-fossil", self._limestone_co2_kg(values), True, "carbonates")
        return out

    def _limestone_co2_kg(self, values: dict) -> float:
        """Limestone calcined on site: with a measured CaCO3 content, kg x purity x 0.440
        (CETS-AG-04.01-2024 碳酸盐分解); else kg x 0.405 t CO2/t limestone (2013 guideline)."""
        kg = values["limestone_kg_per_t"]
        if values.get("lime_kg_per_t"):
            self.notes.append(
                f"refining: lime bought ({values['lime_kg_per_t']:g} kg/t) and limestone calcined on site "
                f"({kg:g} kg/t) are both declared; lime burned on site must not also be declared as lime bought, "
                "or its calcination CO2 is counted twice")
        if "limestone_caco3_pct" in values:
            return carbonate_co2_t("CaCO3", kg * values["limestone_caco3_pct"] / 100)
        return kg * parameters()["limestone_co2_t_per_t"]["value"]

    def _pfc(self, values: dict, default) -> tuple[float, float, bool]:
        """Measured CF4/C2F6, else the slope method on AEM, else the default factors."""
        if "cf4_kg_per_t" in values:
            ratio = parameters()["pfc_slope"][self._ratio_row(values)]["c2f6_ratio"]["value"]
            return values["cf4_kg_per_t"], values.get("c2f6_kg_per_t", values["cf4_kg_per_t"] * ratio), True
        if "anode_effect_min_per_cell_day" in values:
            pfc = pfc_slope(values["anode_effect_min_per_cell_day"], self._ratio_row(values))
            return pfc.cf4_kg_per_t, pfc.c2f6_kg_per_t, True
        flows = {e.target: e.amount for e in default.emissions}
        return flows.get("cf4", 0.0), flows.get("c2f6", 0.0), False

    def _default_input(self, process, supplier_stage: str) -> float:
        """Amount of the default process's input from a supplier of the given stage."""
        return sum(e.amount for e in process.inputs if self.inventory.processes[e.target].stage == supplier_stage)

    @staticmethod
    def _ratio_row(values: dict) -> str:
        return "CN-ETS" if values.get("c2f6_ratio") == "cn-ets" else values.get("cell_technology", "CWPB")

    def _recycling_inputs(self, row: ForegroundRow) -> ForegroundRow:
        """Scrap by class. Run-around scrap (厂内返回料) is internal: it costs only its remelting and
        its melt loss, which the bought metal makes up. Bought scrap follows the declared
        recycled-content rule."""
        values = self.decl.stages["recycling"]
        keys = ("scrap_post_consumer_t_per_t", "scrap_pre_consumer_t_per_t", "scrap_process_t_per_t")
        scrap = {k: values[k] for k in keys if k in values}
        if not scrap:
            return row
        bought = scrap.get("scrap_post_consumer_t_per_t", 0) + scrap.get("scrap_pre_consumer_t_per_t", 0)
        if bought < 1.0:
            raise InputError(self.decl.file, self.decl.locate("recycling", "scrap_post_consumer_t_per_t"),
                             f"{bought:g} t/t", "pre- and post-consumer scrap adding up to at least 1 t per t of ingot "
                             "(metal out cannot exceed metal bought; run-around scrap returns within the plant)")
        inputs = [line for line in row.inputs if line.target != SCRAP_FREE]
        pre = scrap.get("scrap_pre_consumer_t_per_t", 0)
        primary_origin = pre if self.decl.recycled_content_rule == "pre-consumer-primary" else 0.0
        if bought - primary_origin:
            inputs.append(Line(SCRAP_FREE, bought - primary_origin, Label("recycling", "materials", 3, True)))
        if primary_origin:
            inputs.append(Line(PRIMARY_INGOT, primary_origin, Label("recycling", "intermediates", 3, True)))
        return ForegroundRow(row.code, row.stage, inputs, row.emissions)

    # --- the whole system ------------------------------------------------------------------

    def foreground(self, supply: tuple[electricity.ElectricityLine, ...], basis: str) -> tuple[Foreground, dict]:
        stages = [PRODUCT_STAGE[self.decl.product["kind"]]] + [s for s in self.decl.stages
                                                               if s != PRODUCT_STAGE[self.decl.product["kind"]]]
        rows, kwh = [], {}
        for stage in stages:
            row, kwh[stage] = self.stage_row(stage, supply)
            rows.append(self._recycling_inputs(row) if stage == "recycling" else row)
        rows += [found.row() for found in self.supplier_footprints.values()]
        own = {r.code for r in rows}
        seen = set(own)
        for row in list(rows):
            for line in row.inputs:
                if line.target in self.inventory.processes and self.inventory.processes[line.target].stage:
                    for chain in self.engine.chain_rows(line.target, self.route, seen):
                        rows.append(_upstream(chain))
        missing = [line.target for r in rows for line in r.inputs
                   if line.target.startswith("site:") and line.target not in own]
        if missing:
            raise InputError(self.decl.file, self.decl.locate(missing[0].removeprefix("site:")), None,
                             f"the {missing[0].removeprefix('site:')} data the declared chain buys from")
        name = f"{self.decl.declarant['name']} — {self.decl.product['kind']} ({basis})"
        return Foreground(name, "t", tuple(rows)), kwh


def _upstream(row: ForegroundRow) -> ForegroundRow:
    """A default chain row seen from the declarant: all of it scope 3, none of it site data."""
    def relabel(line):
        return Line(line.target, line.amount, Label(line.label.stage, line.label.source, 3, False))
    return ForegroundRow(row.code, row.stage, [relabel(x) for x in row.inputs], [relabel(x) for x in row.emissions])


def declaration_footprint(engine: Engine, decl: Declaration) -> DeclarationResult:
    """Location-based and market-based footprints of one tonne of the declared product."""
    model = SiteModel(engine, decl)
    bare, kwh = model.foreground((), "scaling")  # the chain's amounts do not depend on the supply
    scaling = engine.scaling(bare)
    site_kwh_per_t = {stage: kwh[stage] * scaling[site_code(stage)] for stage in kwh}
    use_mwh = sum(site_kwh_per_t.values()) * decl.output_t / 1000
    account = electricity.account(decl, engine.inventory, use_mwh or None)
    location, _ = model.foreground(account.location, "location-based")
    market, _ = model.foreground(account.market, "market-based")
    supply_flows = {s.id: {basis: engine.line_flows(getattr(s, basis)) for basis in ("location", "market")}
                    for s in account.supplies}
    return DeclarationResult(decl, engine.footprint(location), engine.footprint(market), account, site_kwh_per_t,
                             scaling, market, account.notes + tuple(dict.fromkeys(model.notes)), supply_flows, location)
