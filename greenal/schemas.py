"""pydantic v2 models of greenal's file formats, and their JSON Schemas.

- Declarations: generated from the field catalogue (greenal/declaration/fields.py), the one
  source of truth the YAML template, the Excel questionnaire and both readers use.
- Scheme files (methods/schemes/*.yaml) and inventory files (inventories/**/*.yaml,
  methods/gwp100-*.yaml): written out here, field by field.

The models check structure and types (known fields only, numbers where numbers go, the listed
choices); the loaders keep the rules that need more than one file (a source key exists in
sources.yaml, an input names a bundled process, units match) and their own messages. A
ValidationError becomes one greenal error naming the file, the field path and its line.
`greenal schema [--kind ...]` prints `json_schema(kind)` for editors and other tools.
"""
from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Annotated, Any, Callable, Literal, Optional, Union

import yaml
from pydantic import (BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, TypeAdapter,
                      ValidationError, create_model)

from greenal.declaration import fields as catalogue
from greenal.errors import DataError, InputError, _Located
from greenal.inventory import STAGES, UNCERTAINTY_TYPES

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
KINDS = ("declaration", "scheme", "inventory")

Number = StrictFloat  # YAML 12 and 12.0 both; never true/false or "12"
# the tags and units of greenal/inventory.py, written out for type checkers (tests/test_schema.py
# checks they are the same)
Confidence = Literal["source", "secondary", "derived", "estimate"]
Unit = Literal["t", "kg", "kWh", "MJ", "tkm"]


class _Model(BaseModel):
    # defer_build: a model's validator is built on its first use, so reading a declaration does
    # not pay for the scheme and inventory models
    model_config = ConfigDict(extra="forbid", defer_build=True)


# --- common ---------------------------------------------------------------------------------

class SourceRef(_Model):
    """A citation: a key of inventories/sources.yaml and where in that document."""
    ref: StrictStr
    locator: Union[StrictStr, Number]


class Bilingual(_Model):
    zh: StrictStr
    en: StrictStr


# --- inventory files ------------------------------------------------------------------------

class Uncertainty(_Model):
    type: Literal[tuple(UNCERTAINTY_TYPES)]  # type: ignore[valid-type]
    minimum: Number | None = None
    maximum: Number | None = None
    scale: Number | None = None


class ExchangeEntry(_Model):
    """One exchange: `input` (a process code) or `flow` (a biosphere flow code), and `amount`
    or `formula` (arithmetic on numbers), per unit of the process's product."""
    input: StrictStr | None = None
    flow: StrictStr | None = None
    amount: Number | None = None
    formula: Union[StrictStr, Number, None] = None
    unit: Unit
    source: SourceRef | None = None
    confidence: Confidence | None = None
    comment: StrictStr | None = None
    uncertainty: Uncertainty | None = None


class ProductEntry(_Model):
    name: StrictStr
    unit: Unit


class Defaults(_Model):
    source: SourceRef | None = None
    confidence: Confidence | None = None


class ProcessFile(_Model):
    """A process file (inventories/<stage>/<name>.yaml), or one record of a table file."""
    code: StrictStr
    name: StrictStr
    location: StrictStr = "GLO"
    product: ProductEntry
    stage: Literal[STAGES] | None = None  # type: ignore[valid-type]
    comment: StrictStr | None = None
    defaults: Defaults | None = None
    source: SourceRef | None = None
    exchanges: list[ExchangeEntry]


class Table(_Model):
    """Several processes from one template (or several) and a list of rows filling its {placeholders}."""
    template: dict[str, Any] | None = None
    templates: list[dict[str, Any]] | None = None
    rows: list[dict[str, Any]]


class TableFile(_Model):
    table: Table


class Biosphere3(_Model):
    """The ecoinvent biosphere3 flow a greenal flow is (mapped: false where no public source
    gave its UUID; the UUID is then greenal's own)."""
    uuid: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    name: StrictStr | None = None
    compartment: list[StrictStr] | None = None
    source: SourceRef | None = None
    confidence: Confidence | None = None
    mapped: StrictBool = True


class BiosphereFlow(_Model):
    name: StrictStr
    formula: StrictStr
    gas: StrictStr
    origin: Literal["fossil", "biogenic"]
    unit: Unit
    compartment: StrictStr
    biosphere3: Biosphere3 | None = None


class Substitution(_Model):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)
    replace: StrictStr
    with_: StrictStr = Field(alias="with")
    in_: list[StrictStr] | None = Field(default=None, alias="in")


class RouteEntry(_Model):
    name: StrictStr
    product: StrictStr
    description: StrictStr | None = None
    sources: list[StrictStr] | None = None
    substitutions: list[Substitution] | None = None


class SourceEntry(_Model):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)
    publisher: StrictStr
    document: StrictStr
    year: Union[StrictInt, StrictStr]
    url: StrictStr | None = None
    copy_: StrictStr | None = Field(default=None, alias="copy")


class Factor(_Model):
    cf: Number
    source: SourceRef
    confidence: Confidence


class MethodFile(_Model):
    """A GWP set (methods/gwp100-*.yaml): kg CO2e per kg of each biosphere flow."""
    code: StrictStr
    name: StrictStr
    unit: StrictStr = "kg CO2e"
    year: StrictInt | None = None
    factors: dict[str, Factor]


# --- scheme files ---------------------------------------------------------------------------

def _scheme_constants():
    from greenal.standards.engine import CERTAINTY, TESTS

    return TESTS, CERTAINTY


class Requires(_Model):
    of: list[StrictStr]
    at_least: StrictInt
    until: dt.date | None = None
    then: Union[Literal["all"], StrictInt, None] = None


class Deadline(_Model):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)
    before: StrictInt
    from_: StrictInt = Field(alias="from")


class Effective(_Model):
    date: dt.date
    source: SourceRef


def _rule_model() -> type[BaseModel]:
    tests, certainty = _scheme_constants()
    fields: dict[str, Any] = {
        "id": (StrictStr, ...), "title": (Bilingual, ...), "indicator": (StrictStr | None, None),
        "unit": (StrictStr, ...), "test": (Literal[tuple(tests)], ...), "clause": (StrictStr, ...),
        "source": (SourceRef, ...), "certainty": (Literal[tuple(certainty)], ...),
        "applies_to": (_list_of(Literal[catalogue.PRODUCTS]), ...),
        "threshold": (Number | None, None), "levels": (list[Number] | None, None),
        "strict": (StrictBool | None, None), "provinces": (list[StrictStr] | None, None),
        "note": (Union[StrictStr, Bilingual, None], None), "level": (Optional[Literal["plant", "fleet"]], None),
        "deadline_for_older": (Deadline | None, None), "direction": (Optional[Literal["max", "min"]], None),
        "requires": (Requires | None, None), "threshold_from": (StrictStr | None, None)}
    return create_model("Rule", __base__=_Model, **fields)


@cache
def scheme_model() -> type[BaseModel]:
    """A scheme file: its rules, and the sourced data its module reads (groups of sourced values)."""
    fields: dict[str, Any] = {
        "code": (StrictStr, ...), "name": (Bilingual, ...), "document": (StrictStr, ...), "module": (StrictStr, ...),
        "effective": (Effective | None, None), "data": (dict[str, Any] | None, None),
        "rules": (_list_of(_rule_model()), ...)}
    return create_model("SchemeFile", __base__=_Model, __doc__="A scheme file (methods/schemes/*.yaml).", **fields)


# --- declarations, from the catalogue ---------------------------------------------------------

_YES_NO = r"^\s*(?:[Yy][Ee][Ss]|[Nn][Oo]|[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|是|否)\s*$"
_MONTH = r"^\s*\d{4}(?:-\d{1,2})?\s*$"
_BLANK = Annotated[StrictStr, Field(pattern=r"^\s*$")]  # an empty cell: the same as leaving the field out


def _field_type(f: catalogue.Field):
    """The type a catalogue field takes in the YAML form (what the reader accepts)."""
    from greenal.declaration.model import MAX_TEXT

    bounds: dict[str, Any] = {"ge": f.plausible[0], "le": f.plausible[1]} if f.plausible and f.kind in (
        "number", "int") else {}
    info: dict[str, Any] = {"description": f"{f.en} / {f.zh}" + (f" [{f.unit}]" if f.unit else "")
                            + (f"; {f.note}" if f.note else "")}
    if f.kind == "number":
        kind: Any = Annotated[StrictFloat, Field(**bounds)]  # strict float takes 12 and 12.0, never true or "12"
    elif f.kind == "int":
        kind = Annotated[StrictInt, Field(**bounds)]
    elif f.kind == "bool":
        kind = Union[StrictBool, Annotated[StrictStr, Field(pattern=_YES_NO)]]
    elif f.kind == "date":
        kind = dt.date
    elif f.kind == "month":
        kind = Union[Annotated[StrictInt, Field(ge=f.plausible[0], le=f.plausible[1])] if f.plausible else StrictInt,
                     Annotated[StrictStr, Field(pattern=_MONTH)], dt.date]
    elif f.kind == "choice":
        kind = Literal[f.choices]
    else:
        kind = Annotated[StrictStr, Field(max_length=MAX_TEXT)]
    if f.required:
        return (kind, Field(..., **info))
    return (Union[kind, _BLANK, None], Field(None, **info))


def _record_model(name: str, title: str, specs: tuple[catalogue.Field, ...]) -> type[BaseModel]:
    """One section (or one table row) as a model; dotted keys (fuels.coal_t_per_t) as a nested one."""
    flat: dict[str, Any] = {}
    nested: dict[str, list] = {}
    for f in specs:
        head, _, tail = f.key.partition(".")
        if tail:
            nested.setdefault(head, []).append(catalogue.Field(**{**f.__dict__, "key": tail}))
        else:
            flat[f.key] = _field_type(f)
    for head, subs in nested.items():
        sub = _record_model(f"{name}_{head}", f"{title}: {head}", tuple(subs))
        flat[head] = (sub | None, None)
    return create_model(name, __base__=_Model, __doc__=title, **flat)


@cache
def declaration_model() -> type[BaseModel]:
    """The YAML declaration format, generated from greenal/declaration/fields.py."""
    sections: dict[str, Any] = {}
    from greenal.declaration.model import section_fields

    for name in (*catalogue.RECORD_SECTIONS, catalogue.SIGNOFF):
        section = catalogue.SECTIONS[name]
        model = _record_model(f"{name.title()}Section", f"{section.en} / {section.zh}"
                              + (f" (per {section.per})" if section.per else ""), tuple(section_fields(name)))
        required = name in ("declarant", "period", "product")
        sections[name] = (model, ...) if required else (model | None, None)
    rows: dict[str, Any] = {}
    for name in ("supplies", "certificates"):
        section = catalogue.SECTIONS[name]
        row = _record_model(f"{name.title()}Row", f"{section.en} / {section.zh}", section.fields)
        rows[name] = (_list_of(row) | None, None)
    electricity = create_model("ElectricitySection", __base__=_Model, __doc__="Electricity supplies and certificates",
                               **rows)
    top: dict[str, Any] = {
        "schema_version": (Literal[catalogue.SCHEMA_VERSION], catalogue.SCHEMA_VERSION),
        **sections, "electricity": (electricity | None, None),
        "data_quality": (dict[str, Any] | None, Field(None, description="optional pedigree scores per stage or "
                                                                         "'stage.field'")),
        "evidence": (dict[str, StrictStr] | None, Field(None, description="evidence reference (document, meter, "
                                                                          "invoice) per 'stage' or 'stage.field'"))}
    return create_model(
        "Declaration", __base__=_Model,
        __doc__="A greenal declaration (YAML form of the questionnaire); fields from greenal/declaration/fields.py",
        **top)


def _list_of(model: Any) -> Any:
    return list.__class_getitem__(model)


# --- inventory files: which model a file takes ------------------------------------------------

INVENTORY_FILES: dict[str, Any] = {
    "biosphere.yaml": dict[str, BiosphereFlow],
    "routes.yaml": dict[str, RouteEntry],
    "sources.yaml": dict[str, SourceEntry],
    "parameters.yaml": dict[str, Any],
}


def _inventory_model(name: str, data) -> Any:
    if name in INVENTORY_FILES:
        return INVENTORY_FILES[name]
    if isinstance(data, dict) and "factors" in data:
        return MethodFile
    return TableFile if isinstance(data, dict) and "table" in data else ProcessFile


# --- errors ---------------------------------------------------------------------------------

def _path_in(data, loc: tuple) -> tuple:
    """The part of a pydantic error location that indexes into the data (union branch tags and
    the like left out)."""
    path, node = [], data
    for key in loc:
        if isinstance(node, dict) and key in node:
            path.append(key)
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            path.append(key)
            node = node[key]
        elif isinstance(node, dict) and isinstance(key, str) and not key.startswith(("function", "json-or")) \
                and "[" not in key and key not in ("str", "int", "float", "bool", "date", "none") \
                and not key[:1].isupper():
            path.append(key)  # a missing or unknown field: named, then stop
            break
    return tuple(path)


def dotted(path: tuple) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def _expected(err: Any, model_name: str) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "missing":
        return "a value (a required field)"
    if kind == "extra_forbidden":
        return f"only the fields of the {model_name} format (this one is unknown)"
    if kind == "literal_error":
        return "one of " + msg.removeprefix("Input should be ")
    return msg.removeprefix("Input should be ").removeprefix("Value should be ")


def _first_error(exc: ValidationError, data, model_name: str) -> tuple[tuple, object, str]:
    """(path into the data, value found, expected) of the most telling error: for a union the
    branch that got furthest."""
    errors = exc.errors()
    best = max(errors, key=lambda e: len(_path_in(data, e["loc"])))
    path = _path_in(data, best["loc"])
    value = None if best["type"] == "missing" else best.get("input")
    if best["type"] == "extra_forbidden":
        value = path[-1] if path else value
    return path, value, _expected(best, model_name)


def yaml_lines(text: str) -> dict[tuple, int]:
    """Each key path's line (1-based) in a YAML text (only computed when an error is reported)."""
    lines: dict[tuple, int] = {}

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                p = path + (key.value if isinstance(key, yaml.ScalarNode) else str(key),)
                lines[p] = key.start_mark.line + 1
                walk(value, p)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[path + (i,)] = item.start_mark.line + 1
                walk(item, path + (i,))

    try:
        walk(yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)), ())
    except yaml.YAMLError:
        pass
    return lines


def _with_line(path: tuple, lines: dict[tuple, int]) -> str:
    name = dotted(path) or "top level"
    for n in range(len(path), 0, -1):
        if path[:n] in lines:
            return f"{name} (line {lines[path[:n]]})"
    return name


# --- validation entry points ------------------------------------------------------------------

def _validate(model: Any, data) -> None:
    if isinstance(model, type) and issubclass(model, BaseModel):
        model.model_validate(data)
    else:
        _adapter(model).validate_python(data)


_ADAPTERS: dict[str, Any] = {}


def _adapter(model: Any):
    key = repr(model)
    if key not in _ADAPTERS:
        _ADAPTERS[key] = TypeAdapter(model)
    return _ADAPTERS[key]


def check_file(kind: str, data, file: str, text: str | None = None, name: str = "",
               error: type[_Located] = DataError, prefix: tuple = ()) -> None:
    """Validate one scheme or inventory file's data; raise `error` naming the file, the field
    path and its line (read from `text`, the file's YAML, when given)."""
    model = scheme_model() if kind == "scheme" else _inventory_model(name or file.rsplit("/", 1)[-1], data)
    try:
        _validate(model, data)
    except ValidationError as exc:
        path, value, expected = _first_error(exc, data, kind)
        lines = yaml_lines(text) if text is not None else {}
        where = _with_line(prefix + path, lines) if not prefix else f"{dotted(prefix)} " + _with_line(path, lines)
        raise error(file, where, value, expected) from None


def check_declaration(data, file: str, where: Callable[[tuple], str]) -> None:
    """Validate a declaration's YAML data with the model generated from the catalogue; raise an
    InputError naming the file, the field and its line (`where` from the YAML reader)."""
    try:
        declaration_model().model_validate(data)
    except ValidationError as exc:
        path, value, expected = _first_error(exc, data, "declaration")
        raise InputError(file, where(path) if path else "top level", value, expected) from None


# --- JSON Schema ----------------------------------------------------------------------------

@cache
def _json_schema(kind: str) -> str:
    import json

    if kind == "declaration":
        schema = declaration_model().model_json_schema(mode="validation")
        title, about = "greenal declaration", "A producer's declaration (YAML form of the questionnaire)"
    elif kind == "scheme":
        schema = scheme_model().model_json_schema(mode="validation")
        title, about = "greenal scheme file", "A scheme of rules (methods/schemes/*.yaml)"
    elif kind == "inventory":
        schema = _adapter(Union[ProcessFile, TableFile]).json_schema(mode="validation")
        title, about = "greenal inventory file", "A process or table file (inventories/<stage>/*.yaml)"
    else:
        raise InputError("schema", "kind", kind, f"one of {list(KINDS)}")
    out = {"$schema": JSON_SCHEMA_DIALECT, "title": title, "description": about,
           **{k: v for k, v in schema.items() if k != "title"}}
    return json.dumps(out)


def json_schema(kind: str = "declaration") -> dict:
    """The JSON Schema (Draft 2020-12) of a declaration, a scheme file or an inventory file."""
    import json

    return json.loads(_json_schema(kind))


__all__ = ["KINDS", "check_declaration", "check_file", "declaration_model", "json_schema", "scheme_model"]


def check_inventory(root, methods_root) -> None:
    """Validate every inventory file under `root` (inventories/) and every GWP set directly in
    `methods_root` (methods/; its schemes/ are checked when the schemes are loaded)."""
    from pathlib import Path

    from greenal.inventory import SAFE_LOADER, _rel

    root, methods_root = Path(root), Path(methods_root)
    for folder, paths in ((root, sorted(root.rglob("*.yaml"))), (methods_root, sorted(methods_root.glob("*.yaml")))):
        for path in paths:
            text = path.read_text(encoding="utf-8")
            try:
                data = yaml.load(text, Loader=SAFE_LOADER)
            except yaml.YAMLError:
                continue  # the loader reports a syntax error with its line
            check_file("inventory", data, _rel(path, folder), text, name=path.name)
