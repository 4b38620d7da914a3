"""Supplier footprints: a purchased intermediate at its supplier's own footprint instead of a
default, read from a PACT v3 ProductFootprint, a greenal result, or a declared number with its
evidence. In the product system a supplier footprint is a foreground purchase of a
pre-aggregated CO2e amount (flow `co2e-aggregated`), labelled supplier-specific.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from greenal.errors import InputError
from greenal.files import read_text_input
from greenal.lca.engine import ForegroundRow, Label, Line

# Purchased intermediates that can take a supplier's footprint, with their unit.
INPUT_UNITS = {"alumina": "t", "anode": "t", "liquid-metal": "t", "primary-ingot": "t", "remelt-ingot": "t",
               "billet": "t", "slab": "t", "electricity": "kWh"}
INPUT_STAGES = {"alumina": "refining", "anode": "anode", "liquid-metal": "electrolysis", "primary-ingot": "casting",
                "remelt-ingot": "recycling", "billet": "casting", "slab": "casting", "electricity": "electricity"}
SOURCE_LABEL = "supplier-specific"
# greenal declaration products -> the input kind their result can stand for
GREENAL_PRODUCTS = {"alumina": "alumina", "primary-liquid": "liquid-metal", "primary-ingot": "primary-ingot",
                    "recycled-ingot": "remelt-ingot"}
_METAL = ("liquid-metal", "primary-ingot", "remelt-ingot")
_COMPATIBLE = {"alumina": ("alumina",), "anode": ("anode",), "liquid-metal": ("liquid-metal",),
               "primary-ingot": ("primary-ingot",), "remelt-ingot": ("remelt-ingot",),
               "billet": _METAL, "slab": _METAL, "electricity": ()}
# The PACT v3 OpenAPI file is reference data beside the checkout (not shipped in the wheel):
# GREENAL_PACT_SCHEMA names it, else the nearest shared/reference/pact-v3/openapi.yaml above.
PACT_SCHEMA_PARTS = ("shared", "reference", "pact-v3", "openapi.yaml")
# PACT v3 declared units that are a mass or energy greenal can convert (CarbonFootprint.declaredUnitOfMeasurement).
PACT_MASS_KG = {"kilogram": 1.0}
PACT_ENERGY_KWH = {"kilowatt hour": 1.0, "megajoule": 1 / 3.6}
PACT_COUNTED = ("piece", "liter", "cubic meter", "square meter")  # with productMassPerDeclaredUnit


MAX_JSON_BYTES = 5_000_000  # a supplier's footprint document is a few kB


def read_json(path: Path, what: str):
    """A JSON input read as the declarations are (size-limited, UTF-8 only), errors naming the line."""
    if not path.is_file():
        raise InputError(str(path), "file", str(path), f"an existing {what}")
    try:
        return json.loads(read_text_input(path, MAX_JSON_BYTES, what))
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"line {exc.lineno}", exc.msg, f"a {what}") from None

@dataclass(frozen=True)
class SupplierFootprint:
    """A supplier's cradle-to-gate footprint of one input, in kg CO2e per t (per kWh for electricity)."""
    id: str
    input: str  # key of INPUT_UNITS
    kg_co2e_per_unit: float
    origin: str  # "pact" | "greenal" | "declared"
    evidence: str  # file (with its PACT id) or the declared evidence reference
    company: str = ""
    geography: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    primary_data_share_pct: float | None = None
    kg_co2e_per_unit_including_biogenic: float | None = None
    gwp_sets: tuple[str, ...] = ()  # the PACT document's ipccCharacterizationFactors

    @property
    def unit(self) -> str:
        return INPUT_UNITS[self.input]

    @property
    def code(self) -> str:
        return f"supplier:{self.id}"

    def row(self) -> ForegroundRow:
        """The supplier as a foreground process: per unit of its product, the declared CO2e."""
        label = Label(INPUT_STAGES[self.input], SOURCE_LABEL, 3, True)
        return ForegroundRow(self.code, INPUT_STAGES[self.input], [],
                             [Line("co2e-aggregated", self.kg_co2e_per_unit, label)])

    def describe(self) -> dict:
        return {"input": self.input, "basis": SOURCE_LABEL, "supplier": self.id, "company": self.company,
                "origin": self.origin, "evidence": self.evidence, f"kg_co2e_per_{self.unit}": self.kg_co2e_per_unit,
                "geography": self.geography,
                "reference_period": [str(self.period_start or ""), str(self.period_end or "")],
                "primary_data_share_pct": self.primary_data_share_pct, "gwp_sets": list(self.gwp_sets)}


# --- PACT v3 ---------------------------------------------------------------------------------

def find_pact_schema() -> Path | None:
    import os

    if os.environ.get("GREENAL_PACT_SCHEMA"):
        return Path(os.environ["GREENAL_PACT_SCHEMA"])
    for folder in Path(__file__).resolve().parents:
        candidate = folder.joinpath(*PACT_SCHEMA_PARTS)
        if candidate.is_file():
            return candidate
    return None


@cache
def pact_validator(schema_path: str | None = None):
    """jsonschema validator of a PACT v3 ProductFootprint, from the OpenAPI file's components."""
    try:
        import jsonschema
    except ImportError:  # an optional dependency (greenal[test]); greenal's own field check stands in
        return None
    import yaml

    path = Path(schema_path) if schema_path else find_pact_schema()
    if path is None or not path.is_file():
        return None
    spec = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    schema = {"components": spec["components"], "$ref": "#/components/schemas/ProductFootprint"}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _decimal(pcf: dict, key: str, file: str) -> float:
    try:
        return float(pcf[key])
    except (KeyError, TypeError, ValueError):
        raise InputError(file, f"pcf.{key}", pcf.get(key), "a decimal string (PACT v3 Decimal)") from None


def _date(text: str | None) -> dt.date | None:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date() if text else None


def read_pact(path: str | Path, supplier_id: str, input_kind: str, schema_path: str | None = None) -> SupplierFootprint:
    """A supplier's PACT v3 ProductFootprint (validated against the OpenAPI schema) as kg CO2e per
    t of product (per kWh for electricity): PCF / declared unit (PACT v3 CarbonFootprint §
    declaredUnitOfMeasurement, declaredUnitAmount, productMassPerDeclaredUnit)."""
    path, file = Path(path), str(path)
    document = read_json(path, "PACT ProductFootprint JSON file")
    validator = pact_validator(schema_path)
    if validator is not None:
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            where = "/".join(map(str, first.absolute_path)) or "top level"
            raise InputError(file, where, first.instance if not isinstance(first.instance, dict) else "(object)",
                             f"a valid PACT v3 ProductFootprint ({first.message[:160]})")
    else:  # no schema file at hand: greenal's own check of the fields PACT v3 requires
        from greenal.report.pact import missing_fields

        missing = missing_fields(document) if isinstance(document, dict) else ["top level"]
        if missing:
            raise InputError(file, missing[0], None, "a PACT v3 ProductFootprint with every required field")
    pcf = document["pcf"]
    unit = pcf["declaredUnitOfMeasurement"]
    amount = _decimal(pcf, "declaredUnitAmount", file)
    if amount <= 0:
        raise InputError(file, "pcf.declaredUnitAmount", pcf["declaredUnitAmount"], "a positive amount")
    excluding = _decimal(pcf, "pcfExcludingBiogenicUptake", file)
    including = _decimal(pcf, "pcfIncludingBiogenicUptake", file)
    if input_kind == "electricity":
        if unit not in PACT_ENERGY_KWH:
            raise InputError(file, "pcf.declaredUnitOfMeasurement", unit,
                             f"one of {list(PACT_ENERGY_KWH)} for electricity")
        per_unit = 1 / (amount * PACT_ENERGY_KWH[unit])  # declared units per kWh
    else:
        if unit in PACT_MASS_KG:
            mass_kg = amount * PACT_MASS_KG[unit]
        elif unit not in PACT_COUNTED:
            raise InputError(file, "pcf.declaredUnitOfMeasurement", unit,
                             f"a unit of the material ({input_kind}): kilogram, or one of {list(PACT_COUNTED)} "
                             "with productMassPerDeclaredUnit")
        else:  # piece, liter, ...: the mass the declared unit holds
            mass_kg = _decimal(pcf, "productMassPerDeclaredUnit", file)
            if mass_kg <= 0:
                raise InputError(file, "pcf.productMassPerDeclaredUnit", pcf["productMassPerDeclaredUnit"],
                                 f"the product's mass per declared unit ({unit}), > 0 kg")
        per_unit = 1000 / mass_kg  # declared units per t
    geography = (pcf.get("geographyCountrySubdivision") or pcf.get("geographyCountry")
                 or pcf.get("geographyRegionOrSubregion") or "")
    share = pcf.get("primaryDataShare")
    # The footprint used is the PCF excluding biogenic uptake: for metal no uptake is expected,
    # and where a supplier reports one it is not netted against the buyer's emissions (erring high).
    return SupplierFootprint(
        id=supplier_id, input=input_kind, kg_co2e_per_unit=excluding * per_unit, origin="pact",
        evidence=f"{path.name} (PACT id {document['id']})", company=document.get("companyName", ""),
        geography=geography, period_start=_date(pcf.get("referencePeriodStart")),
        period_end=_date(pcf.get("referencePeriodEnd")),
        primary_data_share_pct=float(share) if share is not None else None,
        kg_co2e_per_unit_including_biogenic=including * per_unit,
        gwp_sets=tuple(str(x).lower() for x in pcf.get("ipccCharacterizationFactors") or ()))


# --- greenal's own results, declared numbers --------------------------------------------------

def read_greenal_result(path: str | Path, supplier_id: str, input_kind: str) -> SupplierFootprint:
    """A greenal result JSON (`greenal footprint DECL --json` or a report's JSON): its market-based
    total (t CO2e per t) as the supplier's footprint; a greenal PACT file is read as PACT."""
    path, file = Path(path), str(path)
    document = read_json(path, "greenal result JSON file")
    if isinstance(document, dict) and "pcf" in document and "specVersion" in document:
        return read_pact(path, supplier_id, input_kind)
    block = document.get("market_based") if isinstance(document, dict) else None
    block = block if isinstance(block, dict) else document
    total = block.get("total_t_co2e") if isinstance(block, dict) else None
    if isinstance(total, bool) or not isinstance(total, (int, float)) or total < 0:
        raise InputError(file, "market_based.total_t_co2e", total, "a greenal result with a total in t CO2e per t")
    if input_kind == "electricity":
        raise InputError(file, "input", input_kind, "a material input (a greenal result is per t of product)")
    product = document.get("product")
    if product in GREENAL_PRODUCTS and GREENAL_PRODUCTS[product] not in _COMPATIBLE[input_kind]:
        raise InputError(file, "product", product, f"a greenal result for {input_kind} "
                         f"(one of {[k for k, v in GREENAL_PRODUCTS.items() if v in _COMPATIBLE[input_kind]]})")
    period = document.get("period") or {}
    details = [f"greenal result of {product or 'a product'}"] + [
        f"{label} {str(document[key])[:16]}" for key, label in (("input_hash", "input hash"),
                                                              ("toolkit_version", "greenal")) if document.get(key)]
    return SupplierFootprint(supplier_id, input_kind, float(total) * 1000, "greenal",
                             f"{path.name} ({', '.join(details)})",
                             company=str(document.get("declarant", "")),
                             period_start=_date(str(period["start"])) if period.get("start") else None,
                             period_end=_date(str(period["end"])) if period.get("end") else None)


def declared(supplier_id: str, input_kind: str, kg_co2e_per_unit, evidence, file: str, where: str) -> SupplierFootprint:
    """A supplier footprint declared as a number; it needs an evidence reference."""
    if isinstance(kg_co2e_per_unit, bool) or not isinstance(kg_co2e_per_unit, (int, float)) or kg_co2e_per_unit < 0:
        raise InputError(file, where, kg_co2e_per_unit, f"kg CO2e per {INPUT_UNITS[input_kind]}, a number >= 0")
    if not evidence or not str(evidence).strip():
        raise InputError(file, where.rsplit(".", 1)[0] + ".evidence", evidence,
                         "the evidence reference (verification statement, EPD or contract) "
                         "backing a declared supplier footprint")
    return SupplierFootprint(supplier_id, input_kind, float(kg_co2e_per_unit), "declared", str(evidence).strip())


def read_supplier(entry: dict, base: Path, file: str, where: str) -> SupplierFootprint:
    """One `suppliers:` entry of a product file: id, input, and one of pact / greenal / kg_co2e_per_t
    (kg_co2e_per_kwh for electricity) with evidence."""
    if not isinstance(entry, dict):
        raise InputError(file, where, entry,
                         "a supplier as a mapping (id, input, and pact, greenal or a declared number)")
    sid, kind = entry.get("id"), entry.get("input")
    if not sid or not isinstance(sid, str):
        raise InputError(file, f"{where}.id", sid, "a supplier id")
    if kind not in INPUT_UNITS:
        raise InputError(file, f"{where}.input", kind, f"one of {list(INPUT_UNITS)}")
    number_key = "kg_co2e_per_kwh" if kind == "electricity" else "kg_co2e_per_t"
    given = [k for k in ("pact", "greenal", number_key) if k in entry]
    if len(given) != 1:
        raise InputError(file, where, sorted(entry), f"exactly one of 'pact', 'greenal' or '{number_key}'")
    known = {"id", "input", "name", "evidence", "pact", "greenal", number_key}
    for key in entry:
        if key not in known:
            raise InputError(file, f"{where}.{key}", key, f"one of {sorted(known)}")
    if "pact" in entry:
        found = read_pact(base / str(entry["pact"]), sid, kind)
    elif "greenal" in entry:
        found = read_greenal_result(base / str(entry["greenal"]), sid, kind)
    else:
        found = declared(sid, kind, entry[number_key], entry.get("evidence"), file, f"{where}.{number_key}")
    if entry.get("name") and not found.company:
        from dataclasses import replace
        found = replace(found, company=str(entry["name"]))
    return found


def declaration_suppliers(decl) -> dict[str, SupplierFootprint]:
    """Supplier-specific alumina and anodes of a smelter declaration (product.<input>_supplier_*),
    by the chain stage they replace."""
    out = {}
    base = Path(decl.file).parent if decl.file else Path(".")
    for kind in ("alumina", "anode"):
        given = {k: decl.product[f"{kind}_supplier_{k}"] for k in ("file", "kg_co2e_per_t", "evidence")
                 if f"{kind}_supplier_{k}" in decl.product}
        if not given:
            continue
        where = decl.locate("product", f"{kind}_supplier_file" if "file" in given else f"{kind}_supplier_kg_co2e_per_t")
        if ("file" in given) == ("kg_co2e_per_t" in given):
            raise InputError(decl.file, where, sorted(given),
                             f"either {kind}_supplier_file or {kind}_supplier_kg_co2e_per_t (with its evidence)")
        if decl.product.get(f"{kind}_from") == "own":
            raise InputError(decl.file, where, "own", f"a bought {kind} (product.{kind}_from is 'own')")
        if "file" in given:
            try:
                found = read_greenal_result(base / str(given["file"]), f"{kind}-supplier", kind)
            except InputError as exc:  # named at the declaration's field, the file's own problem as the hint
                raise InputError(decl.file, where, given["file"], "a supplier's greenal result or PACT JSON file",
                                 str(exc)) from None
        else:
            found = declared(f"{kind}-supplier", kind, given["kg_co2e_per_t"], given.get("evidence"), decl.file, where)
        out[INPUT_STAGES[kind]] = found
    return out
