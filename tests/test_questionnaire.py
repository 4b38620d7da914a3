"""YAML and the Excel questionnaire give the same declaration; bad input names its place."""
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml

from greenal import api
from greenal.declaration.excel import read_workbook, write_workbook
from greenal.declaration.fields import SECTIONS
from greenal.declaration.yaml_io import read_yaml, yaml_template
from greenal.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_yaml_and_questionnaire_round_trip(example, tmp_path):
    declaration = read_yaml(example)
    for lang in ("zh", "en"):
        workbook = write_workbook(tmp_path / f"{lang}.xlsx", lang, declaration)
        assert read_workbook(workbook) == declaration
    again = tmp_path / "again.yaml"
    again.write_text(yaml.safe_dump(declaration.to_mapping(), allow_unicode=True), encoding="utf-8")
    assert read_yaml(again) == declaration


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_bundled_questionnaires_match_their_yaml(example, engine):
    workbook = example.with_suffix(".xlsx")
    assert read_workbook(workbook) == read_yaml(example)


def test_templates_are_complete_and_read_back_empty(tmp_path):
    text = yaml_template("zh")
    for section in SECTIONS.values():
        for field in section.fields:
            assert field.key.split(".")[-1] in text, field.key
    book = openpyxl.load_workbook(write_workbook(tmp_path / "t.xlsx", "en"))
    assert set(SECTIONS) <= set(book.sheetnames)
    sheet = book["electrolysis"]
    headers = [sheet.cell(r, 2).value for r in range(2, sheet.max_row + 1)]
    assert any("铝液交流电耗" in h for h in headers)  # bilingual
    assert any(sheet.cell(r, 3).value == "kWh/t Al" for r in range(2, sheet.max_row + 1))
    assert sheet.data_validations.dataValidation  # input cells are validated
    with pytest.raises(InputError) as caught:  # an empty questionnaire names its first missing field
        read_workbook(tmp_path / "t.xlsx")
    assert "sheet 'declarant' cell D2" in str(caught.value)


def set_cell(workbook: Path, sheet: str, key: str, value) -> str:
    book = openpyxl.load_workbook(workbook)
    ws = book[sheet]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == key)
    ws.cell(row, 4).value = value
    book.save(workbook)
    return f"D{row}"


@pytest.fixture
def workbook(tmp_path):
    path = tmp_path / "plant.xlsx"
    shutil.copy(ROOT / "examples" / "guangxi-smelter.xlsx", path)
    return path


@pytest.mark.parametrize("sheet, key, value, hint", [
    ("electrolysis", "ac_kwh_per_t", 13.2, "13.2 x 1000 = 13200 would fit: given in MWh instead of kWh"),
    ("electrolysis", "alumina_t_per_t", 19.2, "19.2 x 0.1 = 1.92 would fit: a misplaced decimal point"),
    ("electrolysis", "anode_effect_min_per_cell_day", 50, "between 0 and 5 min/cell-day"),
    ("electrolysis", "ac_kwh_per_t", "=13000+200", "formulas in the questionnaire are not evaluated"),
    ("electrolysis", "ac_kwh_per_t", "thirteen thousand", "a number in kWh/t Al"),
    ("product", "kind", "primary-billet", "one of ['primary-liquid'"),
])
def test_questionnaire_errors_name_sheet_and_cell(workbook, sheet, key, value, hint):
    cell = set_cell(workbook, sheet, key, value)
    with pytest.raises(InputError) as caught:
        read_workbook(workbook)
    assert caught.value.where == f"sheet '{sheet}' cell {cell}"
    assert hint in str(caught.value)


def test_yaml_errors_name_field_and_line(tmp_path):
    text = (ROOT / "examples" / "guangxi-smelter.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("ac_kwh_per_t: 13150", "ac_kwh_per_t: 13.15"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_yaml(bad)
    line = next(i for i, text_line in enumerate(text.splitlines(), 1) if "ac_kwh_per_t" in text_line)
    assert caught.value.where == f"electrolysis.ac_kwh_per_t (line {line})"
    assert "13.15 x 1000 = 13150 would fit" in str(caught.value)
    bad.write_text(text.replace("ac_kwh_per_t:", "ac_kwh:"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_yaml(bad)
    assert "electrolysis.ac_kwh" in caught.value.where and "ac_kwh_per_t" in str(caught.value)


def test_unknown_grid_lists_what_exists(tmp_path, engine):
    text = (ROOT / "examples" / "guangxi-smelter.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("grid: south, factor_year: 2022", "grid: south, factor_year: 2021"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        from greenal.model.site import declaration_footprint
        declaration_footprint(engine, read_yaml(bad))
    assert "'south-2021'" in str(caught.value) and "south-2022" in str(caught.value)
    assert "supplies.0 (line" in caught.value.where



def test_macro_enabled_and_oversized_files_are_refused(workbook, tmp_path):
    macro = tmp_path / "plant.xlsm"
    shutil.copy(workbook, macro)
    with pytest.raises(InputError) as caught:
        api.read_declaration(macro)
    assert "macro-enabled" in str(caught.value)
    hidden = tmp_path / "hidden.xlsx"
    shutil.copy(workbook, hidden)
    with zipfile.ZipFile(hidden, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\0" * 16)
    with pytest.raises(InputError) as caught:
        read_workbook(hidden)
    assert "macro-enabled workbook" in str(caught.value)
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"\0" * 5_000_001)
    with pytest.raises(InputError) as caught:
        read_workbook(big)
    assert "5000001 bytes" in str(caught.value)


def yaml_case(tmp_path, old, new):
    text = (ROOT / "examples" / "guangxi-smelter.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "plant.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path, None


def xlsx_case(tmp_path, sheet, key, value):
    path = tmp_path / "plant.xlsx"
    shutil.copy(ROOT / "examples" / "guangxi-smelter.xlsx", path)
    return path, f"sheet '{sheet}' cell {set_cell(path, sheet, key, value)}"


def macro_case(tmp_path):
    path = tmp_path / "plant.xlsm"
    shutil.copy(ROOT / "examples" / "guangxi-smelter.xlsx", path)
    return path, "file name"


def oversized_case(tmp_path):
    path = tmp_path / "plant.xlsx"
    path.write_bytes(b"\0" * 5_000_001)
    return path, "file"


CLI_CASES = {
    "ac-in-mwh": (lambda t: xlsx_case(t, "electrolysis", "ac_kwh_per_t", 13.2), "given in MWh instead of kWh"),
    "alumina-decimal": (lambda t: xlsx_case(t, "electrolysis", "alumina_t_per_t", 19.2), "misplaced decimal point"),
    "aem-50": (lambda t: yaml_case(t, "anode_effect_min_per_cell_day: 0.05", "anode_effect_min_per_cell_day: 50"),
               "between 0 and 5 min/cell-day"),
    "formula": (lambda t: xlsx_case(t, "electrolysis", "ac_kwh_per_t", "=B2*1000"), "formulas in the questionnaire"),
    "macro": (macro_case, "macro-enabled"),
    "oversized": (oversized_case, "5000001 bytes"),
    "supplies-below-use": (lambda t: yaml_case(t, "mwh: 5399000", "mwh: 1399000"), "EAC-8"),
    "duplicate-serial": (lambda t: yaml_case(t, "GEC2024GX005000001", "GEC2024GX001000001"), "EAC-2"),
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_exits_2_without_traceback(tmp_path, case, data_dir, engine, run_cli):
    """As a user runs it (the console script's entry point, in-process); the session's data dir is warm."""
    make, expected = CLI_CASES[case]
    path, where = make(tmp_path)
    result = run_cli("--data-dir", data_dir, "footprint", path, "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.startswith(f"error: {path}: ") and expected in result.stderr
    if where:
        assert where in result.stderr
    assert not (tmp_path / "out").exists()  # nothing half-written
