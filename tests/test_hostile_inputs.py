"""Hostile and careless input files (issue 11): each ends in one line naming the file and the
field (or sheet and cell), exit status 2, no traceback, nothing written; bombs are run in a
subprocess under a memory limit and a timeout."""
import copy
import datetime as dt
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml

from greenal import cli
from greenal.declaration.excel import _sheet_names
from greenal.declaration.yaml_io import MAX_BYTES, read_yaml
from greenal.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SMELTER_YAML = ROOT / "examples" / "guangxi-smelter.yaml"
SMELTER_XLSX = ROOT / "examples" / "guangxi-smelter.xlsx"
ALUMINA_YAML = ROOT / "examples" / "guangxi-alumina-refinery.yaml"
MEMORY_LIMIT = 768 * 2**20  # bytes of address space for a bomb run (greenal needs ~300 MB)
TIMEOUT_S = 60  # a hang ends the test; the time the run takes is not asserted


def smelter() -> dict:
    return yaml.safe_load(SMELTER_YAML.read_text(encoding="utf-8"))


def write(tmp_path, data, name="plant.yaml") -> Path:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def refused(path) -> str:
    """The one-line message of the InputError the declaration is refused with."""
    from greenal.api import read_declaration

    with pytest.raises(InputError) as caught:
        read_declaration(path)
    message = str(caught.value)
    lines = message.splitlines()  # one line, or one line per problem (issue 12: all at once)
    assert message.startswith(str(path)) and (len(lines) == 1 or all(x.startswith("  ") for x in lines[1:])), message
    return message


@pytest.fixture
def greenal(capsys, monkeypatch, tmp_path):
    """The real entry point (greenal.cli.run) in-process: (exit status, stdout, stderr)."""
    def run(*args):
        monkeypatch.setattr(sys, "argv", ["greenal", "--data-dir", str(tmp_path / "data"), *args])
        try:
            cli.run()
            code = 0
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err
    return run


def limited_cli(*args, cwd) -> subprocess.CompletedProcess:
    """greenal in a subprocess with at most MEMORY_LIMIT of address space and TIMEOUT_S seconds."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "greenal.cli", "--data-dir", str(cwd / "data"), *args],
                          capture_output=True, text=True, timeout=TIMEOUT_S, preexec_fn=limit, cwd=cwd, env=env)


def assert_one_line_exit_2(result, *words):
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr[-2000:]
    for word in words:
        assert word in result.stderr, (word, result.stderr)


# --- files that are not UTF-8 text -------------------------------------------------------------

@pytest.mark.parametrize("content, words", [
    ("name: 广西示例铝业\n".encode("gbk"), ["line 1", "UTF-8"]),
    ("schema_version: 1\n".encode("utf-16"), ["UTF-16"]),
    (bytes(range(256)) * 4, ["UTF-8"]),
    (b"schema_version: 1\n\x00\x01\x02", ["line 2", "NUL"]),
    (SMELTER_XLSX.read_bytes(), ["zip archive", ".xlsx"]),
], ids=["gbk", "utf-16", "binary", "nul", "workbook-renamed"])
def test_non_utf8_files_are_refused_in_one_line(greenal, tmp_path, content, words):
    path = write(tmp_path, content)
    for word in words:
        assert word in refused(path)
    code, out, err = greenal("footprint", str(path))
    assert code == 2 and err.count("\n") == 1 and str(path) in err and "Traceback" not in err
    assert not (tmp_path / "data").exists()  # refused before the Brightway project is opened


def test_bad_declaration_fails_before_the_data_dir_is_made(tmp_path):
    """Issue 15: read and check first; a bad file leaves nothing on disk (real process, exit 2)."""
    path = write(tmp_path, {"schema_version": 1, "declarant": {"name": "x"}})
    for command in (["footprint", str(path), "--out", str(tmp_path / "out")], ["assess", str(path)],
                    ["report", str(path), "--out", str(tmp_path / "out")]):
        result = subprocess.run([sys.executable, "-m", "greenal.cli", "--data-dir", str(tmp_path / "data"), *command],
                                capture_output=True, text=True, timeout=120)
        # issue 12: every missing field in one run, one per line after the first
        assert result.returncode == 2 and "Traceback" not in result.stderr
        lines = result.stderr.splitlines()
        assert lines[0] == f"error: {path}: 6 problems, one per line:", result.stderr
        assert [line.split(":")[0].split(" (")[0].strip() for line in lines[1:]] == [
            "declarant.uscc", "declarant.province", "period.start", "period.end", "product.kind",
            "product.annual_output_t"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plant.yaml"]


# --- YAML structure: anchors, aliases, nesting, size -------------------------------------------

ALIAS_BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    + ["declarant: {name: *a9}"]) + "\n"


def test_alias_bomb_refused_under_a_memory_limit(tmp_path):
    """A few hundred bytes naming 10^10 strings: refused at the first anchor, not expanded."""
    assert len(ALIAS_BOMB) < 1000
    path = write(tmp_path, ALIAS_BOMB)
    result = limited_cli("assess", str(path), cwd=tmp_path)
    assert_one_line_exit_2(result, str(path), "line 1", "&a0", "anchors")


@pytest.mark.parametrize("text, words", [
    ("declarant: &d {name: *d}\n", ["line 1", "&d"]),
    ("declarant: &d [*d]\n", ["line 1", "&d"]),
    ("declarant: {name: x}\nperiod: *undefined\n", ["line 2"]),
    ("a: " + "[" * 1000 + "]" * 1000 + "\n", ["line 1", "nesting"]),
    ("a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 1000)) + " " * 1000 + "v\n", ["nesting"]),
    ("---\nschema_version: 1\n---\nschema_version: 1\n", ["line 3", "one YAML document"]),
    ("declarant: !!python/object:os.system {}\n", ["line 1", "tags"]),
    ("declarant: {? [a, b] : c}\n", ["line 1", "plain key"]),
    ("declarant: {<<: {name: x}}\n", ["line 1", "merge keys"]),
    ('"sec\\ntion\\u2028": 1\n', ["sec\\ntion\\u2028 (line 1)"]),
], ids=["self-map", "self-list", "undefined-alias", "deep-flow", "deep-block", "two-documents", "tag", "complex-key",
        "merge-key", "newline-in-key"])
def test_yaml_structures_refused_with_their_line(tmp_path, text, words):
    message = refused(write(tmp_path, text))
    for word in words:
        assert word in message


def test_deep_nesting_in_a_subprocess_ends_in_one_line(tmp_path):
    path = write(tmp_path, "a: " + "[" * 200_000 + "]" * 200_000 + "\n")
    assert_one_line_exit_2(limited_cli("footprint", str(path), cwd=tmp_path), "line 1", "nesting")


def test_large_yaml_with_many_keys_ends_in_one_line(tmp_path):
    # a few MB: refused by size before parsing
    big = write(tmp_path, "".join(f"k{i}: {i}\n" for i in range(400_000)), "big.yaml")
    assert big.stat().st_size > MAX_BYTES
    assert_one_line_exit_2(limited_cli("footprint", str(big), cwd=tmp_path), "big.yaml", "bytes")
    # under the size limit but with more values than a declaration has: stopped at the limit
    under = write(tmp_path, "schema_version: 1\n" + "".join(f"k{i}: {i}\n" for i in range(70_000)), "under.yaml")
    assert under.stat().st_size < MAX_BYTES
    assert_one_line_exit_2(limited_cli("footprint", str(under), cwd=tmp_path), "under.yaml", "more than 100,000 values")
    # 40,000 keys: parsed once (C loader), then the first unknown key is named
    keys = write(tmp_path, "schema_version: 1\n" + "".join(f"k{i}: {i}\n" for i in range(40_000)), "keys.yaml")
    assert_one_line_exit_2(limited_cli("footprint", str(keys), cwd=tmp_path), "keys.yaml", "k0 (line 2)")


# --- values: numbers, text, dates --------------------------------------------------------------

@pytest.mark.parametrize("section, key, raw, words", [
    ("product", "annual_output_t", "1" + "0" * 400, ["product.annual_output_t (line", "digits", "finite"]),
    ("product", "annual_output_t", "1.0e+400", ["annual_output_t", "inf", "finite"]),
    ("product", "annual_output_t", ".nan", ["annual_output_t", "nan", "finite"]),
    ("product", "smelter_start_year", ".nan", ["smelter_start_year", "finite"]),
    ("product", "smelter_start_year", "-.inf", ["smelter_start_year", "finite"]),
    ("period", "vintage_tolerance_months", ".inf", ["vintage_tolerance_months", "finite"]),
    ("declarant", "name", "12345", ["declarant.name (line", "text", "not int"]),
    ("declarant", "name", "[a, b]", ["declarant.name", "not a list"]),
    ("declarant", "name", "2024-01-01", ["declarant.name", "not date"]),
    ("declarant", "name", "yes", ["declarant.name", "not bool"]),
    ("declarant", "name", "'   '", ["declarant.name", "a value for name"]),
    ("declarant", "province", "''", ["declarant.province", "a value for province"]),
    ("declarant", "name", "'  =HYPERLINK(\"x\")'", ["declarant.name", "formulas"]),
    ("declarant", "name", '"A\\x07B"', ["declarant.name", "control"]),
    ("declarant", "name", "'" + "x" * 300 + "'", ["declarant.name", "at most 200 characters"]),
    ("declarant", "site", "'" + "x" * 3000 + "'", ["3000 characters"]),
    ("period", "start", "20240101", ["period.start", "YYYY-MM-DD"]),
    ("period", "start", "2024-02-30", ["line", "2024-02-30"]),
    ("declarant", "coastal", "1", ["declarant.coastal", "yes or no"]),
], ids=lambda v: str(v)[:24])
def test_bad_values_are_refused_naming_the_field(tmp_path, section, key, raw, words):
    data = smelter()
    data[section][key] = "@@@"
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).replace("'@@@'", raw)
    message = refused(write(tmp_path, text))
    for word in words:
        assert word in message, message


def test_lone_surrogates_are_refused_in_yaml_and_in_every_text_field(tmp_path):
    message = refused(write(tmp_path, SMELTER_YAML.read_text(encoding="utf-8").replace(
        "name: 广西示例铝业有限公司 (Guangxi Example Aluminium Co.)", 'name: "x\\ud800"')))
    assert "line 5" in message
    from greenal.declaration.fields import SECTIONS
    from greenal.declaration.model import parse

    for section_name, section in SECTIONS.items():
        for f in section.fields:
            if f.kind != "text":
                continue
            data = copy.deepcopy(smelter())
            if section.table:
                rows = data["electricity"][section_name]
                rows[0][f.key] = "GEC\udc80"
            else:
                data.setdefault(section_name, {})[f.key] = "x\udc80"
            if section_name in ("refining", "recycling", "casting"):
                continue  # no text fields there today; kept general for new ones
            with pytest.raises(InputError) as caught:
                parse(data, "t.yaml", lambda p: ".".join(map(str, p)))
            assert f.key in str(caught.value) and "surrogate" in str(caught.value), (section_name, f.key)


def test_serial_with_thousands_of_digits_is_refused(tmp_path):
    data = smelter()
    data["electricity"]["certificates"][0]["serial_from"] = "GEC" + "9" * 1500
    message = refused(write(tmp_path, data))
    assert "electricity.certificates.0.serial_from" in message and "at most 200 characters" in message


def test_duplicate_keys_are_refused_naming_both_lines(tmp_path):
    text = SMELTER_YAML.read_text(encoding="utf-8").replace("  ac_kwh_per_t: 13150\n",
                                                            "  ac_kwh_per_t: 13150\n  ac_kwh_per_t: 12900\n")
    lines = text.splitlines()
    first = lines.index("  ac_kwh_per_t: 13150") + 1
    message = refused(write(tmp_path, text))
    assert f"electrolysis.ac_kwh_per_t (lines {first} and {first + 1})" in message
    flow = refused(write(tmp_path, "declarant: {name: a, name: b}\n"))
    assert "declarant.name (lines 1 and 1)" in flow


def test_reporting_period_is_at_most_one_year(tmp_path):
    """GB/T 44905-2024 (standards.md §4.2): data collection covers one calendar year."""
    for start, end, ok in ((dt.date(2024, 1, 1), dt.date(2024, 12, 31), True),
                           (dt.date(2024, 7, 1), dt.date(2025, 6, 30), True),
                           (dt.date(2024, 1, 1), dt.date(2025, 1, 1), False),
                           (dt.date(2024, 2, 29), dt.date(2025, 2, 28), True),
                           (dt.date(2024, 2, 29), dt.date(2025, 3, 1), False),
                           (dt.date(2023, 1, 1), dt.date(2024, 12, 31), False)):
        data = smelter()
        data["period"] = {"start": start, "end": end}
        path = write(tmp_path, data)
        if ok:
            read_yaml(path)
        else:
            message = refused(path)
            assert "period.end" in message and "at most one year" in message and "GB/T 44905-2024" in message


def test_stage_the_product_does_not_use_is_refused(greenal, tmp_path):
    """An alumina declaration with potline data: refused naming the stage (assess divided by zero)."""
    data = yaml.safe_load(ALUMINA_YAML.read_text(encoding="utf-8"))
    data["electrolysis"] = {"ac_kwh_per_t": 13_000}
    path = write(tmp_path, data)
    code, _, err = greenal("assess", str(path))
    assert code == 2 and err.count("\n") == 1
    assert "electrolysis (line" in err and "alumina declaration uses: ['refining']" in err
    smelter_with_refinery = smelter()
    smelter_with_refinery["refining"] = {"bauxite_t_per_t": 2.5}  # alumina_from is a bundled process
    assert "refining (line" in refused(write(tmp_path, smelter_with_refinery))


# --- workbooks -----------------------------------------------------------------------------------

def rezip(tmp_path, name, changes: dict) -> Path:
    """The example questionnaire with some zip parts replaced (bytes) or changed (function)."""
    path = tmp_path / name
    with zipfile.ZipFile(SMELTER_XLSX) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            change = changes.pop(item.filename, None)
            data = change(data) if callable(change) else change if change is not None else data
            with dst.open(item.filename, "w") as out:
                out.write(data)
        for part, data in changes.items():
            with dst.open(part, "w", force_zip64=True) as out:
                chunks = data if not isinstance(data, bytes) else [data]
                for chunk in chunks:
                    out.write(chunk)
    return path


def sheet_part(sheet: str) -> str:
    with zipfile.ZipFile(SMELTER_XLSX) as z:
        return next(part for part, name in _sheet_names(z).items() if name == sheet)


def huge_shared_string(megabytes: int):
    yield (b'<?xml version="1.0" encoding="UTF-8"?><sst '
           b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>')
    block = b"a" * 2**20
    for _ in range(megabytes):
        yield block
    yield b"</t></si></sst>"


def test_small_workbook_with_a_400_mb_shared_string_refused_under_limits(tmp_path):
    path = rezip(tmp_path, "bomb.xlsx", {"xl/sharedStrings.xml": huge_shared_string(400)})
    assert path.stat().st_size < 2_000_000
    result = limited_cli("assess", str(path), cwd=tmp_path)
    assert_one_line_exit_2(result, "bomb.xlsx", "xl/sharedStrings.xml", "uncompressed")


def test_cell_at_xfd1048576_is_refused_naming_the_cell(tmp_path):
    part = sheet_part("supplies")
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    path = rezip(tmp_path, "far.xlsx", {part: lambda xml: xml.replace(b"</sheetData>", far)})
    result = limited_cli("footprint", str(path), cwd=tmp_path)
    assert_one_line_exit_2(result, "far.xlsx", "sheet 'supplies' cell XFD1048576")


def test_hundreds_of_thousands_of_rows_are_refused_naming_the_sheet(tmp_path):
    part = sheet_part("certificates")
    rows = b"".join(b"<row/>" for _ in range(300_000)) + b"</sheetData>"
    path = rezip(tmp_path, "rows.xlsx", {part: lambda xml: xml.replace(b"</sheetData>", rows)})
    result = limited_cli("footprint", str(path), cwd=tmp_path)
    assert_one_line_exit_2(result, "rows.xlsx", "sheet 'certificates'", "300,")


def edited_workbook(tmp_path, sheet, coordinate, value, name="edited.xlsx") -> Path:
    book = openpyxl.load_workbook(SMELTER_XLSX)
    book[sheet][coordinate] = value
    path = tmp_path / name
    book.save(path)
    return path


def cell_of(sheet: str, key: str) -> str:
    book = openpyxl.load_workbook(SMELTER_XLSX)
    row = next(r for r in range(1, 60) if book[sheet].cell(r, 1).value == key)
    return f"D{row}"


@pytest.mark.parametrize("sheet, key, value, words", [
    ("declarant", "name", 12345, ["text", "not int"]),
    ("declarant", "name", True, ["text", "not bool"]),
    ("declarant", "name", dt.datetime(2024, 1, 1), ["text", "not date"]),
    ("declarant", "province", "   ", ["a value for province"]),
    ("declarant", "name", "  =SUM(A1:A2)", ["formulas"]),
    ("product", "annual_output_t", "400000", ["a number"]),
], ids=lambda v: str(v)[:16])
def test_workbook_cells_take_their_kind_naming_sheet_and_cell(tmp_path, sheet, key, value, words):
    cell = cell_of(sheet, key)
    message = refused(edited_workbook(tmp_path, sheet, cell, value))
    assert f"sheet '{sheet}' cell {cell}" in message
    for word in words:
        assert word in message, message


def test_array_formula_is_refused_naming_the_cell(tmp_path):
    from openpyxl.worksheet.formula import ArrayFormula

    cell = cell_of("declarant", "name")
    message = refused(edited_workbook(tmp_path, "declarant", cell, ArrayFormula(cell, "=A1:A2")))
    assert f"sheet 'declarant' cell {cell}" in message and "array formulas" in message


def test_workbook_values_outside_the_field_cells_are_refused(tmp_path):
    message = refused(edited_workbook(tmp_path, "supplies", "L3", 500))
    assert "sheet 'supplies' cell L3" in message
    book = openpyxl.load_workbook(SMELTER_XLSX)
    sheet = book["electrolysis"]
    row = next(r for r in range(1, 60) if sheet.cell(r, 1).value == "ac_kwh_per_t")
    sheet.cell(40, 1, "ac_kwh_per_t")
    sheet.cell(40, 4, 12_000)
    book.save(tmp_path / "twice.xlsx")
    message = refused(tmp_path / "twice.xlsx")
    assert "sheet 'electrolysis' cell A40" in message and f"A{row}" in message


# --- fleet files ---------------------------------------------------------------------------------

@pytest.mark.parametrize("declaration, words", [
    ("binary.yaml", ["binary.yaml", "UTF-8"]),
    ("folder", ["folder", "an existing declaration file"]),
    ("dangling.yaml", ["dangling.yaml", "an existing declaration file"]),
    (12, ["plants[0].declaration (line", "a declaration file name"]),
    (["a.yaml"], ["plants[0].declaration", "a declaration file name"]),
], ids=["binary", "directory", "dangling-link", "number", "list"])
def test_fleet_pointing_at_unreadable_declarations(greenal, tmp_path, declaration, words):
    (tmp_path / "binary.yaml").write_bytes(bytes(range(256)))
    (tmp_path / "folder").mkdir()
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    fleet = write(tmp_path, {"name": "g", "region": "guangxi",
                             "plants": [{"name": "p", "capacity_t": 1000, "declaration": declaration}]}, "fleet.yaml")
    code, _, err = greenal("assess", "--fleet", str(fleet))
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err


def test_fleet_file_itself_is_read_like_a_declaration(greenal, tmp_path):
    fleet = write(tmp_path, "name: g\nplants:\n  - {name: p, capacity_t: 1000, liquid_ac_kwh_per_t: 13000,"
                            " liquid_ac_kwh_per_t: 12000}\n", "fleet.yaml")
    code, _, err = greenal("assess", "--fleet", str(fleet))
    assert code == 2 and "(lines 3 and 3)" in err
    gbk = write(tmp_path, "name: 广西\n".encode("gbk"), "gbk-fleet.yaml")
    code, _, err = greenal("assess", "--fleet", str(gbk))
    assert code == 2 and "gbk-fleet.yaml: line 1" in err
