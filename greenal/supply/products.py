"""Products down the chain: cast metal from a declared charge (primary metal of a named origin or
supplier footprint, pre- and post-consumer scrap, alloying elements), and semi-finished products
(extrusion, anodised extrusion, rolled sheet, foil, wire rod, castings) with their forming yields.

Per tonne of the final product, each forming step buys 1/yield t of its input (inventories/semis/);
the process scrap, (1/yield - 1) t per t out, is run-around scrap (厂内返回料): it goes back to the
casthouse and costs only its remelting, never a primary burden. The casthouse melts each charge
material in its melt process: liquid metal in the casting process (casting-ingot-global, 1.000 t per
t), solid metal and clean scrap in remelting (remelting-process-scrap, EA EPR 2018: 1.019 t per t),
post-consumer scrap with its preparation (recycling-post-consumer, AA: 1.048 t per t). The melt loss
of each is made up by the bought charge.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


from greenal.errors import InputError
from greenal.lca.engine import Engine, Footprint, Foreground, ForegroundRow, Label, Line
from greenal.declaration.yaml_io import load_yaml, locator
from greenal.model.site import PRIMARY_INGOT, RECYCLED_CONTENT_RULES, SCRAP_FREE, _upstream
from greenal.supply.footprints import SOURCE_LABEL, SupplierFootprint, read_supplier

SCHEMA_VERSION = 1
# kind -> forming steps from the final product back to the cast metal (inventories/semis/)
STEPS = {"ingot": (), "billet": (), "slab": (), "extrusion": ("semis-extrusion",),
         "sheet": ("semis-rolling-sheet",), "foil": ("semis-rolling-foil", "semis-rolling-sheet"),
         "wire-rod": ("semis-wire-rod",), "casting": ("semis-shape-casting",)}
# kind -> the supplier input its bought metal is (a rod line is fed liquid metal, a foundry alloy ingot)
CAST_INPUT = {"ingot": "primary-ingot", "billet": "billet", "slab": "slab", "extrusion": "billet",
              "sheet": "slab", "foil": "slab", "wire-rod": "liquid-metal", "casting": "remelt-ingot"}
ANODISING = "semis-anodising"
# Combined Nomenclature headings of the products (7601 unwrought, 7604 profiles, 7605 wire (rod of
# cross-section > 7 mm: 7605 11 / 7605 21), 7606 plates and sheets > 0.2 mm, 7607 foil <= 0.2 mm,
# 7616 other articles of aluminium (castings); a product file may give the full CN code).
CN_CODES = {"ingot": "7601", "billet": "7601", "slab": "7601", "extrusion": "7604", "sheet": "7606", "foil": "7607",
            "wire-rod": "7605", "casting": "7616"}
# charge material -> (melt process, solid?, supplier input kind it may take, recycled class)
CHARGE = {
    "post-consumer-scrap": ("recycling-post-consumer", None, "post-consumer"),
    "pre-consumer-scrap": ("remelting-process-scrap", None, "pre-consumer"),
    "primary-ingot": ("remelting-process-scrap", "primary-ingot", None),
    "remelt-ingot": ("remelting-process-scrap", "remelt-ingot", None),
    "liquid-metal": ("casting-ingot-global", "liquid-metal", None),
}
RUN_AROUND_MELT = "remelting-process-scrap"
ALLOYING = ("si", "mg", "cu", "mn", "zn", "fe", "ti")
DEFAULT_ORIGIN = "cn-average"
DEFAULT_GRID = "national"
RESIDUAL = "residual"


@dataclass(frozen=True)
class ChargeItem:
    material: str
    share: float  # mass share of the bought charge (run-around scrap excluded)
    supplier: str | None = None


@dataclass(frozen=True)
class ProductSpec:
    """A product file: who makes what, from which metal, through which steps."""
    id: str
    kind: str
    name: str
    producer: dict
    period_start: dt.date
    period_end: dt.date
    annual_output_t: float
    low_carbon_t: float  # of the output, what claims may draw on (the ledger's balance)
    cn_code: str
    anodised: bool
    casting: str  # own | bought
    metal_supplier: str | None
    grid: str
    electricity_supplier: str | None
    primary_origin: str
    recycled_content_rule: str
    charge: tuple[ChargeItem, ...]
    alloying_kg_per_t: dict
    suppliers: dict  # id -> SupplierFootprint
    file: str = ""


@dataclass(frozen=True)
class ProductResult:
    spec: ProductSpec
    location: Footprint
    market: Footprint
    inputs: tuple[dict, ...]  # per purchased input: supplier-specific or default, with its evidence
    mass_balance_t_per_t: dict
    recycled_content_pct: dict  # pre-consumer, post-consumer, total (ISO 14021 §7.8.1.1)
    notes: tuple[str, ...] = ()

    def summary(self, gwp: str) -> dict:
        loc, mkt = self.location.total_co2e_kg(gwp), self.market.total_co2e_kg(gwp)
        primary = self.market.co2e_kg_by("primary", gwp).get(True, 0.0)
        return {"product": self.spec.id, "name": self.spec.name, "kind": self.spec.kind, "cn_code": self.spec.cn_code,
                "producer": self.spec.producer.get("name", ""), "gwp": gwp,
                "location_based_kg_co2e_per_t": loc, "market_based_kg_co2e_per_t": mkt,
                "by_stage_kg_co2e_per_t": self.market.stage_co2e_kg(gwp),
                "by_source_kg_co2e_per_t": self.market.co2e_kg_by("source", gwp),
                "supplier_specific_share_pct": 100 * primary / mkt if mkt else 0.0,
                "recycled_content_pct": self.recycled_content_pct, "inputs": list(self.inputs),
                "mass_balance_t_per_t": self.mass_balance_t_per_t,
                "recycled_content_rule": RECYCLED_CONTENT_RULES[self.spec.recycled_content_rule],
                "notes": list(self.notes)}


# --- reading a product file --------------------------------------------------------------------

def _number(value, file, where, low=0.0, high=float("inf"), what="a number", strict_low=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(file, where, value, what)
    if value < low or value > high or (strict_low and value == low):
        raise InputError(file, where, value, f"{what} {'>' if strict_low else '>='} {low:g}"
                         + (f" and <= {high:g}" if high != float("inf") else ""))
    return float(value)


def _date(value, file, where) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(file, where, value, "a date as YYYY-MM-DD") from None


def read_product(path: str | Path) -> ProductSpec:
    """A product file (YAML, or the Excel form of greenal/supply/forms.py): producer, period,
    product, charge, alloying, suppliers."""
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise InputError(file, "file", file, "an existing product file (.yaml or the .xlsx form)")
    if path.suffix.lower() == ".xlsx":
        from greenal.supply.forms import read_form

        data, cell_of = read_form(path)
        return parse_product(data, file, cell_of, path.parent)
    data, lines = load_yaml(path, "product file")  # the declaration's reader: one pass, limits, line numbers
    located = locator(lines)

    def where(*field_path) -> str:
        return located(field_path)
    return parse_product(data, file, where, path.parent)


def parse_product(data, file: str, where, base: Path) -> ProductSpec:
    if not isinstance(data, dict):
        raise InputError(file, "top level", type(data).__name__, "a product mapping")
    allowed = {"schema_version", "producer", "period", "product", "charge", "alloying_kg_per_t", "suppliers"}
    for key in data:
        if key not in allowed:
            raise InputError(file, where(key), key, f"one of {sorted(allowed)}")
    if data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise InputError(file, where("schema_version"), data.get("schema_version"), f"{SCHEMA_VERSION}")
    producer = data.get("producer") or {}
    for key in ("name", "province"):
        if not producer.get(key):
            raise InputError(file, where("producer", key), producer.get(key), f"the producer's {key}")
    period = data.get("period") or {}
    start = _date(period.get("start"), file, where("period", "start"))
    end = _date(period.get("end"), file, where("period", "end"))
    if end <= start:
        raise InputError(file, where("period", "end"), str(end), f"a date after {start}")
    product = data.get("product") or {}
    known = {"id", "kind", "name", "annual_output_t", "low_carbon_t", "cn_code", "anodised", "casting",
             "metal_supplier", "grid", "electricity_supplier", "primary_origin", "recycled_content_rule"}
    for key in product:
        if key not in known:
            raise InputError(file, where("product", key), key, f"one of {sorted(known)}")
    kind = product.get("kind")
    if kind not in STEPS:
        raise InputError(file, where("product", "kind"), kind, f"one of {list(STEPS)}")
    if not product.get("id"):
        raise InputError(file, where("product", "id"), product.get("id"), "a product id (referenced by shipments)")
    output = _number(product.get("annual_output_t"), file, where("product", "annual_output_t"), 0,
                     what="the period's output in t,", strict_low=True)
    low_carbon = output
    if "low_carbon_t" in product:
        low_carbon = _number(product["low_carbon_t"], file, where("product", "low_carbon_t"), 0, output,
                             "tonnes of the period's output that may be sold as low-carbon / 绿电铝, between 0")
    casting = product.get("casting", "own")
    if casting not in ("own", "bought"):
        raise InputError(file, where("product", "casting"), casting,
                         "'own' (own casthouse, the charge below) or 'bought' (cast metal from metal_supplier)")
    anodised = bool(product.get("anodised", False))
    if anodised and kind != "extrusion":
        raise InputError(file, where("product", "anodised"), anodised, "anodising only on an extrusion")
    rule = product.get("recycled_content_rule", "cut-off")
    if rule not in RECYCLED_CONTENT_RULES:
        raise InputError(file, where("product", "recycled_content_rule"), rule,
                         f"one of {list(RECYCLED_CONTENT_RULES)}")
    suppliers: dict[str, SupplierFootprint] = {}
    raw_suppliers = data.get("suppliers") or []
    if not isinstance(raw_suppliers, list):
        raise InputError(file, where("suppliers"), raw_suppliers, "a list of suppliers")
    for i, entry in enumerate(raw_suppliers):
        found = read_supplier(entry, base, file, where("suppliers", i))
        if found.id in suppliers:
            raise InputError(file, where("suppliers", i, "id"), found.id, "a supplier id not used before")
        suppliers[found.id] = found

    def supplier_of(sid, place, kinds):
        if sid is None:
            return None
        if sid not in suppliers:
            raise InputError(file, place, sid, f"the id of a supplier listed under suppliers: {sorted(suppliers)}")
        if suppliers[sid].input not in kinds:
            raise InputError(file, place, sid,
                             f"a supplier of {' or '.join(kinds)} (it supplies {suppliers[sid].input})")
        return sid

    metal_supplier = supplier_of(product.get("metal_supplier"), where("product", "metal_supplier"),
                                 (CAST_INPUT[kind], "primary-ingot", "remelt-ingot"))
    if metal_supplier and casting != "bought":
        raise InputError(file, where("product", "metal_supplier"), metal_supplier,
                         "a metal supplier only with casting: bought (own casting names suppliers in the charge)")
    electricity_supplier = supplier_of(product.get("electricity_supplier"), where("product", "electricity_supplier"),
                                       ("electricity",))
    charge = []
    raw_charge = data.get("charge") or []
    if casting == "own":
        if not isinstance(raw_charge, list) or not raw_charge:
            raise InputError(file, where("charge"), raw_charge or None,
                             "the casthouse charge: a list of {material, share[, supplier]} (own casting)")
        for i, item in enumerate(raw_charge):
            if not isinstance(item, dict) or item.get("material") not in CHARGE:
                raise InputError(file, where("charge", i, "material"), (item or {}).get("material")
                                 if isinstance(item, dict) else item, f"one of {list(CHARGE)}")
            for key in item:
                if key not in ("material", "share", "supplier"):
                    raise InputError(file, where("charge", i, key), key, "material, share or supplier")
            share = _number(item.get("share"), file, where("charge", i, "share"), 0, 1, "a mass share between 0 and 1")
            input_kind = CHARGE[item["material"]][1]
            sid = item.get("supplier")
            if sid is not None and input_kind is None:
                raise InputError(file, where("charge", i, "supplier"), sid,
                                 "no supplier for scrap (its burden follows the rule)")
            sid = supplier_of(sid, where("charge", i, "supplier"), (input_kind,)) if sid else None
            charge.append(ChargeItem(item["material"], share, sid))
        total = sum(c.share for c in charge)
        if abs(total - 1) > 1e-6:
            raise InputError(file, where("charge"), round(total, 6), "shares of the bought charge adding up to 1")
    elif raw_charge:
        raise InputError(file, where("charge"), "(list)", "no charge when the cast metal is bought (casting: bought)")
    alloying = data.get("alloying_kg_per_t") or {}
    if not isinstance(alloying, dict):
        raise InputError(file, where("alloying_kg_per_t"), alloying, "element -> kg per t of cast metal")
    alloy = {}
    for element, kg in alloying.items():
        key = str(element).lower()
        if key not in ALLOYING:
            raise InputError(file, where("alloying_kg_per_t", element), element, f"one of {list(ALLOYING)}")
        alloy[key] = _number(kg, file, where("alloying_kg_per_t", element), 0, 200, "kg per t between 0")
    if alloy and casting == "bought":
        raise InputError(file, where("alloying_kg_per_t"), "(mapping)", "alloying only in an own casthouse")
    cn = str(product.get("cn_code", CN_CODES[kind]))
    return ProductSpec(
        id=str(product["id"]), kind=kind, name=str(product.get("name", product["id"])), producer=dict(producer),
        period_start=start, period_end=end, annual_output_t=output, low_carbon_t=low_carbon, cn_code=cn,
        anodised=anodised, casting=casting,
        metal_supplier=metal_supplier, grid=str(product.get("grid", DEFAULT_GRID)),
        electricity_supplier=electricity_supplier, primary_origin=str(product.get("primary_origin", DEFAULT_ORIGIN)),
        recycled_content_rule=rule, charge=tuple(charge), alloying_kg_per_t=alloy, suppliers=suppliers, file=file)


# --- the product system ------------------------------------------------------------------------

def site_grid_code(inventory, spec: ProductSpec) -> str:
    """The site grid's life-cycle mix (the latest year bundled), location-based."""
    grid = spec.grid
    if grid in inventory.processes:
        return grid
    codes = sorted(c for c in inventory.processes if c.startswith(f"electricity-lc-cn-{grid}-")
                   and c.removeprefix(f"electricity-lc-cn-{grid}-").isdigit())
    if not codes:
        options = sorted({c.removeprefix("electricity-lc-cn-").rsplit("-", 1)[0] for c in inventory.processes
                          if c.startswith("electricity-lc-cn-") and c[-4:].isdigit()})
        raise InputError(spec.file, "product.grid", grid, f"a bundled grid: one of {options}")
    return codes[-1]


@dataclass
class _Builder:
    engine: Engine
    spec: ProductSpec
    basis: str  # "location" | "market"
    rows: list = field(default_factory=list)
    seen: set = field(default_factory=set)
    inputs: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def inventory(self):
        return self.engine.inventory

    def route(self):
        routes = self.inventory.routes
        if self.spec.primary_origin not in routes:
            raise InputError(self.spec.file, "product.primary_origin", self.spec.primary_origin,
                             f"one of {list(routes)}")
        return routes[self.spec.primary_origin]

    def grid_code(self) -> str:
        return site_grid_code(self.inventory, self.spec)

    def electricity_target(self) -> str:
        """Location-based: the site grid. Market-based: the supplier-specific electricity where
        declared, else the residual mix of the grid's year (GHG Protocol Scope 2 Guidance, 2015, 6.11)."""
        grid = self.grid_code()
        if self.basis == "location":
            return grid
        if self.spec.electricity_supplier:
            return self.supplier(self.spec.electricity_supplier)
        if not grid.startswith("electricity-lc-cn-"):  # no residual mix bundled outside China
            self.notes.append(f"market-based electricity: no residual mix bundled for {grid}; its grid average is used")
            return grid
        residual = f"electricity-lc-cn-{RESIDUAL}-{grid[-4:]}"
        if residual not in self.inventory.processes:
            residual = sorted(c for c in self.inventory.processes if c.startswith(f"electricity-lc-cn-{RESIDUAL}-"))[-1]
        return residual

    def supplier(self, sid: str) -> str:
        found: SupplierFootprint = self.spec.suppliers[sid]
        if found.code not in self.seen:
            self.seen.add(found.code)
            self.rows.append(found.row())
            self.notes.extend(supplier_notes(found, self.spec))
        self.inputs[found.code] = found.describe()
        return found.code

    def default(self, code: str, input_kind: str) -> str:
        """A default chain (origin route) joined to the system, all of it scope 3 default data."""
        for chain in self.engine.chain_rows(code, self.route(), self.seen):
            self.rows.append(_upstream(chain))
        self.inputs.setdefault(code, {"input": input_kind, "basis": "default", "process": code,
                                      "route": self.spec.primary_origin,
                                      "name": self.inventory.processes[code].name})
        return code

    def step_lines(self, process_code: str, factor: float, stage: str, skip: set) -> tuple[list[Line], list[Line]]:
        """A process's inputs and direct emissions at `factor` x its amounts, electricity on the
        product's supply, fuels burned on site split into combustion (scope 1) and supply chain (scope 3)."""
        out, emitted = [], []
        for e in self.inventory.processes[process_code].exchanges:
            if e.target in skip:
                continue
            amount = e.amount * factor
            if e.kind == "biosphere":
                emitted.append(Line(e.target, amount, Label(stage, "process", 1, False)))
            elif e.target.startswith("electricity-"):
                target = self.electricity_target()
                supplier_specific = target.startswith("supplier:")
                out.append(Line(target, amount, Label(stage, "electricity", 2, supplier_specific)))
            elif e.target.startswith("fuel-") and e.target.endswith("-burned"):
                for sub in self.inventory.processes[e.target].exchanges:
                    if sub.kind == "technosphere":
                        out.append(Line(sub.target, sub.amount * amount, Label(stage, "fuel", 3, False)))
                    else:
                        emitted.append(Line(sub.target, sub.amount * amount, Label(stage, "fuel", 1, False)))
            else:
                out.append(Line(e.target, amount, Label(stage, "materials", 3, False)))
        return out, emitted

    def metal_input(self, process_code: str):
        """The metal exchange of a step or melt process (its only input in t from a stage process)."""
        p = self.inventory.processes
        return next(e for e in p[process_code].inputs if p[e.target].stage is not None and p[e.target].unit == "t")


def supplier_notes(found: SupplierFootprint, spec: ProductSpec) -> list[str]:
    """What a reader must know about a supplier footprint: a reference period outside the product's,
    or other GWP sets than greenal's (its CO2e is taken as declared)."""
    notes = []
    if found.period_end and found.period_start and (found.period_end < spec.period_start
                                                     or found.period_start > spec.period_end):
        notes.append(f"{found.id}: the supplier's reference period {found.period_start} to {found.period_end} "
                     f"lies outside the product's period {spec.period_start} to {spec.period_end}")
    if found.gwp_sets:
        sets = ", ".join(s.upper() for s in found.gwp_sets)
        notes.append(f"{found.id}: supplier footprint characterised with {sets}; "
                     "taken as declared whatever GWP set the product is reported in")
    return notes


def _charge_target(b: _Builder, item: ChargeItem) -> tuple[str, bool]:
    """Where a charge material comes from, and whether it is supplier-specific."""
    rule = b.spec.recycled_content_rule
    if item.supplier:
        return b.supplier(item.supplier), True
    if item.material == "post-consumer-scrap":
        return b.default(SCRAP_FREE, "post-consumer scrap (burden-free, cut-off)"), False
    if item.material == "pre-consumer-scrap":
        if rule == "pre-consumer-primary":
            return b.default(PRIMARY_INGOT, "pre-consumer scrap at its primary origin"), False
        return b.default(SCRAP_FREE, "pre-consumer scrap (burden-free, cut-off)"), False
    route = b.route()
    if item.material == "primary-ingot":
        return b.default(route.product, "primary ingot"), False
    if item.material == "remelt-ingot":
        return b.default("remelting-process-scrap", "remelt ingot"), False
    liquid = route.supplier(route.product, b.metal_input(route.product).target)
    return b.default(liquid, "liquid metal"), False


def _cast_row(b: _Builder, run_around_t_per_t: float) -> tuple[ForegroundRow, dict]:
    """One t of cast metal from `run_around_t_per_t` t of run-around scrap and the bought charge."""
    p = b.inventory.processes
    charge_ratio = {m: b.metal_input(melt).amount for m, (melt, _, _) in CHARGE.items()}
    run_ratio = b.metal_input(RUN_AROUND_MELT).amount
    cast_from_run_around = run_around_t_per_t / run_ratio
    external_cast = 1 - cast_from_run_around
    # bought charge X (t per t cast): sum_k share_k X / c_k = external cast
    bought_t = external_cast / sum(c.share / charge_ratio[c.material] for c in b.spec.charge)
    lines, emissions = [], []
    melt_cast: dict[str, float] = {RUN_AROUND_MELT: cast_from_run_around}
    charged: dict[str, float] = {}
    for item in b.spec.charge:
        amount = item.share * bought_t
        melt = CHARGE[item.material][0]
        melt_cast[melt] = melt_cast.get(melt, 0.0) + amount / charge_ratio[item.material]
        target, specific = _charge_target(b, item)
        lines.append(Line(target, amount, Label("casting", SOURCE_LABEL if specific else "intermediates", 3, specific)))
        charged[item.material] = charged.get(item.material, 0.0) + amount
    for melt, cast_t in melt_cast.items():
        if cast_t:
            bought, emitted = b.step_lines(melt, cast_t, "casting", {b.metal_input(melt).target})
            lines += bought
            emissions += emitted
    for element, kg in b.spec.alloying_kg_per_t.items():
        code = f"material-alloying-{element}"
        lines.append(Line(code, kg / 1000, Label("casting", "materials", 3, False)))
        b.inputs.setdefault(code, {"input": f"alloying element {element}", "basis": "default", "process": code,
                                   "name": p[code].name, "confidence": p[code].exchanges[0].confidence})
    return (ForegroundRow("product:cast", "casting", lines, emissions),
            {"bought_charge_t_per_t_cast": bought_t, "charged_t_per_t_cast": charged,
             "cast_from_run_around_t_per_t_cast": cast_from_run_around})


def product_foreground(engine: Engine, spec: ProductSpec, basis: str) -> tuple[Foreground, dict, dict, list]:
    """The product system on one electricity basis: rows, mass balance, inputs, notes."""
    b = _Builder(engine, spec, basis)
    steps = ((ANODISING,) if spec.anodised else ()) + STEPS[spec.kind]
    # metal per t of product through the forming steps (anodising keeps the mass)
    cast_t = 1.0
    for code in steps:
        cast_t *= b.metal_input(code).amount
    run_around = cast_t - 1.0  # every step's process scrap returns to the casthouse
    balance = {"cast_metal_t_per_t": cast_t, "process_scrap_t_per_t": run_around}
    step_rows = []
    for i, code in enumerate(steps):
        metal = b.metal_input(code)
        row_code = f"step:{code}"
        if i + 1 < len(steps):
            upstream = f"step:{steps[i + 1]}"
        elif spec.casting == "own":
            upstream = "product:cast"
        else:
            upstream = None
        lines, emissions = b.step_lines(code, 1.0, "semi-fabrication", {metal.target})
        if upstream is None:
            upstream = _bought_metal(b)
            specific = upstream.startswith("supplier:")
            lines.append(Line(upstream, metal.amount, Label("casting", SOURCE_LABEL if specific else "intermediates", 3,
                                                            specific)))
        else:
            lines.append(Line(upstream, metal.amount, Label("semi-fabrication", "intermediates", 3, False)))
        step_rows.append(ForegroundRow(row_code, "semi-fabrication", lines, emissions))
    if spec.casting == "own":
        cast_row, cast_balance = _cast_row(b, run_around / cast_t)
        step_rows.append(cast_row)
        balance.update({k: (v * cast_t if isinstance(v, float) else {m: t * cast_t for m, t in v.items()})
                        for k, v in cast_balance.items()})
        balance = {k.replace("_per_t_cast", "_per_t"): v for k, v in balance.items()}
    elif not steps:  # bought cast metal sold on as it is
        upstream = _bought_metal(b)
        specific = upstream.startswith("supplier:")
        step_rows.append(ForegroundRow("product:metal", "casting", [
            Line(upstream, 1.0, Label("casting", SOURCE_LABEL if specific else "intermediates", 3, specific))], []))
    else:
        b.notes.append(f"the {run_around:.3f} t of process scrap per t leaves the system (sold or returned to the "
                       "metal supplier) burden-free; the bought cast metal carries its whole footprint")
    b.electricity_target()  # registers the electricity supplier's input even when no step uses power
    if spec.electricity_supplier is None:
        b.inputs.setdefault("electricity", {"input": "electricity", "basis": "default", "process": b.grid_code(),
                                            "market_based": "residual mix (no supplier-specific electricity)"})
    name = f"{spec.producer['name']} — {spec.name} ({basis}-based)"
    return Foreground(name, "t", tuple(step_rows + b.rows)), balance, b.inputs, b.notes


def _bought_metal(b: _Builder) -> str:
    if b.spec.metal_supplier:
        return b.supplier(b.spec.metal_supplier)
    route = b.route()
    b.notes.append(f"cast metal bought without a supplier footprint: the default primary ingot of route "
                   f"{route.code} stands in for it")
    return b.default(route.product, CAST_INPUT[b.spec.kind])


def recycled_content(spec: ProductSpec) -> dict:
    """Pre- and post-consumer shares of the metal bought (ISO 14021:2016 §7.8.1.1): run-around scrap
    reclaimed within the same process is not recycled content; alloying elements are left out."""
    if spec.casting != "own":
        return {"pre_consumer": None, "post_consumer": None, "total": None,
                "basis": "not declared: the cast metal is bought; ask its supplier"}
    pre = 100 * sum(c.share for c in spec.charge if CHARGE[c.material][2] == "pre-consumer")
    post = 100 * sum(c.share for c in spec.charge if CHARGE[c.material][2] == "post-consumer")
    return {"pre_consumer": pre, "post_consumer": post, "total": pre + post,
            "basis": "mass share of the metal charged, run-around scrap excluded (ISO 14021:2016 7.8.1.1)"}


def product_footprint(engine: Engine, spec: ProductSpec) -> ProductResult:
    """Location- and market-based footprints of one t of the product, with its inputs' provenance."""
    location, balance, inputs, notes = product_foreground(engine, spec, "location")
    market, _, market_inputs, market_notes = product_foreground(engine, spec, "market")
    inputs = {**inputs, **market_inputs}
    return ProductResult(spec, engine.footprint(location), engine.footprint(market), tuple(inputs.values()), balance,
                         recycled_content(spec), tuple(dict.fromkeys(notes + market_notes)))
