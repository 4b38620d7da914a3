"""The file formats as pydantic models and JSON Schema (issue 8): every bundled file validates,
a wrong type or an unknown field is refused naming file, field and line, and `greenal schema`
prints a valid Draft 2020-12 schema that accepts the bundled examples and refuses a broken one."""
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from greenal import schemas
from greenal.cli import main
from greenal.declaration.yaml_io import read_yaml
from greenal.errors import DataError, InputError
from greenal.inventory import load_inventory

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SCHEMES = sorted((ROOT / "methods" / "schemes").glob("*.yaml"))


def _as_json(data):
    """YAML data as JSON would carry it (dates as ISO text)."""
    return json.loads(json.dumps(data, default=lambda v: v.isoformat() if isinstance(v, dt.date) else str(v)))


def _schema(kind: str) -> dict:
    result = CliRunner().invoke(main, ["schema", "--kind", kind])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# --- every bundled file validates ----------------------------------------------------------------

def test_every_bundled_inventory_and_gwp_file_validates():
    schemas.check_inventory(ROOT / "inventories", ROOT / "methods")
    assert load_inventory(ROOT / "inventories", ROOT / "methods", check_format=True).processes


@pytest.mark.parametrize("path", SCHEMES, ids=lambda p: p.name)
def test_every_bundled_scheme_validates(path):
    text = path.read_text(encoding="utf-8")
    schemas.check_file("scheme", yaml.safe_load(text), f"methods/schemes/{path.name}", text)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_bundled_example_declaration_validates(path):
    assert read_yaml(path).product["kind"]  # the reader runs the model after the field checks


# --- wrong types and unknown fields: file, field and line --------------------------------------------

def test_an_unknown_field_in_an_inventory_file_is_refused_with_its_line(data_copy):
    inv, meth, line = data_copy("inventories/casting/ingot-global.yaml", "exchanges:", "exchangez: []\nexchanges:")
    with pytest.raises(DataError) as caught:
        load_inventory(inv, meth)
    assert caught.value.file == "inventories/casting/ingot-global.yaml"
    assert caught.value.where == f"exchangez (line {line})"
    assert caught.value.value == "exchangez" and "unknown" in caught.value.expected


def test_a_wrong_type_in_an_inventory_file_names_field_and_line(data_copy):
    inv, meth, line = data_copy("inventories/casting/ingot-global.yaml",
                                     'product: {name: "aluminium, primary, ingot"', "product: {name: [aluminium]")
    with pytest.raises(DataError) as caught:
        load_inventory(inv, meth)
    assert caught.value.where == f"product.name (line {line})" and caught.value.value == ["aluminium"]
    assert "string" in caught.value.expected


def test_a_biosphere3_uuid_must_be_a_uuid(data_copy):
    inv, meth, line = data_copy("inventories/biosphere.yaml", "uuid: 349b29d1-3e58-4c66-98b9-9d1a076efd2e",
                                     "uuid: not-a-uuid")
    with pytest.raises(DataError) as caught:
        load_inventory(inv, meth)
    assert caught.value.where == f"co2-fossil.biosphere3.uuid (line {line})" and caught.value.value == "not-a-uuid"


def test_a_wrong_type_in_a_scheme_file_names_field_and_line():
    path = ROOT / "methods" / "schemes" / "asi.yaml"
    text = path.read_text(encoding="utf-8").replace("threshold: 8,", 'threshold: "eight",', 1)
    line = text[:text.index('"eight"')].count("\n") + 1
    with pytest.raises(DataError) as caught:
        schemas.check_file("scheme", yaml.safe_load(text), "methods/schemes/asi.yaml", text)
    assert caught.value.file == "methods/schemes/asi.yaml"
    assert caught.value.where == f"rules[0].threshold (line {line})" and caught.value.value == "eight"
    assert "number" in caught.value.expected


def test_an_unknown_rule_field_in_a_scheme_file_is_refused():
    data = yaml.safe_load((ROOT / "methods" / "schemes" / "asi.yaml").read_text(encoding="utf-8"))
    data["rules"][1]["treshold"] = 11
    with pytest.raises(DataError) as caught:
        schemas.check_file("scheme", data, "methods/schemes/asi.yaml")
    assert caught.value.where == "rules[1].treshold" and caught.value.value == "treshold"


def test_the_declaration_model_refuses_what_the_reader_refuses():
    data = yaml.safe_load((ROOT / "examples" / "guangxi-smelter.yaml").read_text(encoding="utf-8"))
    schemas.check_declaration(data, "x.yaml", lambda p: ".".join(map(str, p)))
    for path, value in ((("electrolysis", "ac_kwh_per_t"), "13150"), (("electrolysis", "colour"), "blue"),
                        (("electrolysis", "cell_technology"), "PB"), (("product", "annual_output_t"), True)):
        broken = json.loads(json.dumps(data, default=str))
        broken[path[0]][path[1]] = value
        with pytest.raises(InputError) as caught:
            schemas.check_declaration(broken, "x.yaml", lambda p: "/".join(map(str, p)))
        assert caught.value.file == "x.yaml" and caught.value.where == "/".join(path), caught.value


def test_a_yaml_declaration_with_a_wrong_type_names_file_field_and_line(tmp_path):
    text = (ROOT / "examples" / "guangxi-smelter.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("ac_kwh_per_t: 13150", "ac_kwh_per_t: lots"), encoding="utf-8")
    line = text[:text.index("ac_kwh_per_t: 13150")].count("\n") + 1
    with pytest.raises(InputError) as caught:
        read_yaml(broken)
    assert caught.value.file == str(broken) and caught.value.where == f"electrolysis.ac_kwh_per_t (line {line})"


# --- the JSON Schema ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", schemas.KINDS)
def test_greenal_schema_prints_a_valid_draft_2020_12_schema(kind):
    from jsonschema import Draft202012Validator

    schema = _schema(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_declaration_schema_accepts_every_example_and_refuses_a_broken_one():
    from jsonschema import Draft202012Validator, FormatChecker

    validator = Draft202012Validator(_schema("declaration"), format_checker=FormatChecker())
    for path in EXAMPLES:
        data = _as_json(yaml.safe_load(path.read_text(encoding="utf-8")))
        errors = list(validator.iter_errors(data))
        assert not errors, (path.name, errors[:1])
    data = _as_json(yaml.safe_load(EXAMPLES[0].read_text(encoding="utf-8")))
    for section, key, value in (("product", "kind", "steel"), ("product", "annual_output_t", "many"),
                                ("declarant", "colour", "blue"), ("period", "start", "yesterday")):
        broken = json.loads(json.dumps(data))
        broken[section][key] = value
        assert list(validator.iter_errors(broken)), (section, key, value)
    del data["declarant"]
    assert list(validator.iter_errors(data))


def test_declaration_schema_is_generated_from_the_field_catalogue():
    from greenal.declaration.fields import SECTIONS

    schema = _schema("declaration")
    defs = schema["$defs"]
    electrolysis = defs[schema["properties"]["electrolysis"]["anyOf"][0]["$ref"].split("/")[-1]]["properties"]
    spec = SECTIONS["electrolysis"].field("ac_kwh_per_t")
    number = next(s for s in electrolysis["ac_kwh_per_t"]["anyOf"] if s.get("type") == "number")
    assert (number["minimum"], number["maximum"]) == spec.plausible
    flat = {f.key.partition(".")[0] for f in SECTIONS["electrolysis"].fields}
    # per-tonne amounts may be given as period totals with the period's output (questionnaire totals)
    assert "ac_mwh_total" in electrolysis and "output_t" in electrolysis
    assert set(electrolysis) == flat | {k for k in electrolysis if k.endswith("_total")} | {"output_t"}
    assert {"signoff", "evidence"} <= set(schema["properties"])


def test_inventory_and_scheme_schemas_accept_the_bundled_files():
    from jsonschema import Draft202012Validator

    inventory = Draft202012Validator(_schema("inventory"))
    for path in sorted((ROOT / "inventories").glob("*/*.yaml")):
        assert not list(inventory.iter_errors(_as_json(yaml.safe_load(path.read_text(encoding="utf-8"))))), path
    scheme = Draft202012Validator(_schema("scheme"))
    for path in SCHEMES:
        assert not list(scheme.iter_errors(_as_json(yaml.safe_load(path.read_text(encoding="utf-8"))))), path


def test_the_models_use_the_inventory_tags_and_units():
    from typing import get_args

    from greenal.inventory import CONFIDENCE, UNITS

    assert get_args(schemas.Confidence) == tuple(CONFIDENCE) and get_args(schemas.Unit) == UNITS
