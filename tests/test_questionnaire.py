"""YAML and the Excel questionnaire give the same declaration; bad input names its place."""
import datetime as dt
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml

from greenal import api
from greenal.declaration import labels
from greenal.declaration.excel import read_workbook, write_workbook
from greenal.declaration.fields import PEDIGREE_INDICATORS, SECTIONS, STAGE_SECTIONS
from greenal.declaration.model import parse
from greenal.declaration.problems import InputErrors
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
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "ac_kwh_per_t" in row)
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


# --- The questionnaire's audit trail (issues 12 and 13) -------------------------------------------


SCORES = {"reliability": 2, "completeness": 1, "temporal": 1, "geographical": 3, "technological": 2}
EVIDENCE = {"electrolysis.ac_kwh_per_t": "DCS 槽控系统 2024 年报表", "electrolysis": "能源统计报表 2024",
            "product.annual_output_t": "生产月报 2024-01..12", "casting.fuels.natural_gas_nm3_per_t": "燃气发票 GX-88"}


def guangxi_mapping() -> dict:
    return yaml.safe_load((ROOT / "examples" / "guangxi-smelter.yaml").read_text(encoding="utf-8"))


def with_audit_trail(data: dict) -> dict:
    """The Guangxi example with evidence, data-quality flags and scores, period totals and a sign-off."""
    data["electrolysis"].pop("ac_kwh_per_t")
    data["electrolysis"]["ac_mwh_total"] = 5_262_000  # 5,262,000 MWh / 400,000 t = 13,155 kWh/t
    data["electrolysis"]["output_t"] = 400_000
    data["casting"]["fuels"] = {"natural_gas_nm3_total": 8_820_000}  # / 400,000 t ingot (the product) = 22.05
    data["evidence"] = dict(EVIDENCE)
    data["data_quality"] = {"electrolysis.ac_kwh_per_t": "measured", "electrolysis": dict(SCORES),
                            "casting.fuels.natural_gas_nm3_per_t": "calculated", "anode.pitch_t_per_t": "estimate"}
    data["signoff"] = {"filled_by": "张三 能源主管", "checked_by": "李四 总工程师", "date": dt.date(2025, 2, 10)}
    return data


def audit_declaration():
    return parse(with_audit_trail(guangxi_mapping()), "plant.yaml", lambda p: ".".join(map(str, p)))



@pytest.mark.parametrize("lang", ["zh", "en"])
def test_round_trip_with_evidence_quality_totals_and_signoff(tmp_path, lang):
    declaration = audit_declaration()
    path = write_workbook(tmp_path / "q.xlsx", lang, declaration)
    back = read_workbook(path)
    assert back == declaration
    assert back.evidence == EVIDENCE
    assert back.data_quality == {"electrolysis.ac_kwh_per_t": "measured", "electrolysis": SCORES,
                                 "casting.fuels.natural_gas_nm3_per_t": "calculated", "anode.pitch_t_per_t": "estimate"}
    assert back.signoff == {"filled_by": "张三 能源主管", "checked_by": "李四 总工程师", "date": dt.date(2025, 2, 10)}
    assert back.totals == {"electrolysis": {"ac_mwh_total": 5_262_000, "output_t": 400_000},
                           "casting": {"fuels.natural_gas_nm3_total": 8_820_000}}
    # the cells hold what was written: the total in the total column, the flag by its label
    sheet = openpyxl.load_workbook(path)["electrolysis"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "ac_kwh_per_t")
    col = {name: i for i, name in enumerate(("key", "label", "unit", "value", "total", "total_unit", "evidence",
                                             "quality", *PEDIGREE_INDICATORS, "notes"))}
    assert row[col["value"]].value is None and row[col["total"]].value == 5_262_000
    assert row[col["total_unit"]].value == "MWh"
    assert row[col["evidence"]].value == "DCS 槽控系统 2024 年报表"
    assert row[col["quality"]].value == ("实测" if lang == "zh" else "measured")
    assert ("证" in header[col["evidence"]]) and ("quality" in header[col["quality"]])
    stage = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "*")
    assert [stage[col[i]].value for i in PEDIGREE_INDICATORS] == [SCORES[i] for i in PEDIGREE_INDICATORS]
    # and the YAML form round-trips the same declaration
    again = tmp_path / "again.yaml"
    again.write_text(yaml.safe_dump(back.to_mapping(), allow_unicode=True), encoding="utf-8")
    assert read_yaml(again) == declaration


def test_period_totals_are_divided_by_the_output_by_hand():
    declaration = audit_declaration()
    assert declaration.stages["electrolysis"]["ac_kwh_per_t"] == pytest.approx(5_262_000 * 1000 / 400_000)  # 13155
    # casting makes the declared product (primary ingot): its totals divide by the annual output
    assert declaration.stages["casting"]["fuels.natural_gas_nm3_per_t"] == pytest.approx(8_820_000 / 400_000)
    notes = declaration.notes
    assert len(notes) == 2  # one per converted line
    assert notes == ("electrolysis: ac_kwh_per_t = 5,262,000 MWh / 400,000 t in the period (electrolysis.output_t) = "
                     "13,155 kWh/t Al (given as the period total ac_mwh_total)",
                     "casting: fuels.natural_gas_nm3_per_t = 8,820,000 Nm3 / 400,000 t in the period "
                     "(product.annual_output_t) = 22.05 Nm3/t ingot (given as the period total "
                     "fuels.natural_gas_nm3_total)")


def test_period_totals_give_the_per_tonne_footprint(tmp_path, engine):
    """A workbook with period totals gives the footprint of the per-tonne declaration whose values
    are computed here by hand (total / output), and its notes say so, one per converted line."""
    from greenal.model.site import declaration_footprint

    totals = audit_declaration()
    workbook = read_workbook(write_workbook(tmp_path / "totals.xlsx", "zh", totals))
    per_tonne = guangxi_mapping()
    per_tonne["electrolysis"]["ac_kwh_per_t"] = 5_262_000 * 1000 / 400_000
    per_tonne["casting"]["fuels"] = {"natural_gas_nm3_per_t": 8_820_000 / 400_000}
    by_hand = parse(per_tonne, "plant.yaml", lambda p: ".".join(map(str, p)))
    a, b = declaration_footprint(engine, workbook), declaration_footprint(engine, by_hand)
    for basis in ("location", "market"):
        expected = getattr(b, basis).total_co2e_kg("ar6")
        assert getattr(a, basis).total_co2e_kg("ar6") == pytest.approx(expected, rel=1e-12)
    converted = [n for n in a.notes if "given as the period total" in n]
    assert len(converted) == 2 and not [n for n in b.notes if "given as the period total" in n]


def test_questionnaire_quality_feeds_the_monte_carlo_as_yaml_does(tmp_path, engine):
    from greenal.model.site import declaration_footprint
    from greenal.uncertainty import quality
    from greenal.uncertainty.montecarlo import monte_carlo

    declaration = audit_declaration()
    workbook = read_workbook(write_workbook(tmp_path / "q.xlsx", "en", declaration))
    assert quality.declared_quality(workbook) == quality.declared_quality(declaration)
    assert quality.declared_quality(workbook)["electrolysis.ac_kwh_per_t"] == quality.source_scores("measured")
    mc = monte_carlo(engine, declaration_footprint(engine, workbook), 10, seed=0, schemes=["cfp"])
    lines = {line["input"]: line for line in mc.data_quality["lines"]}
    assert lines["site:electrolysis.ac_kwh_per_t"]["dqr"] == 1.0  # measured: all five scores 1


def list_validations(sheet) -> list[tuple[str, str]]:
    """(cell ranges, formula) of each list validation of a sheet."""
    return [(str(dv.sqref), dv.formula1) for dv in sheet.data_validations.dataValidation if dv.type == "list"]


def covered(sheet, coordinate: str) -> str | None:
    """The list formula whose ranges cover a cell."""
    from openpyxl.worksheet.cell_range import CellRange

    for dv in sheet.data_validations.dataValidation:
        if dv.type == "list" and any(coordinate in CellRange(r.coord) for r in dv.sqref.ranges):
            return dv.formula1
    return None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_coded_field_has_a_drop_down_of_readable_labels(tmp_path, lang):
    book = openpyxl.load_workbook(write_workbook(tmp_path / "t.xlsx", lang))
    lists = book["lists"]
    assert lists.sheet_state == "hidden"
    coded = 0
    for name, section in SECTIONS.items():
        sheet = book[name]
        for f in section.fields:
            list_name = labels.list_name(f)
            if not list_name:
                continue
            if section.table:
                col = next(c for c in range(1, sheet.max_column + 1) if sheet.cell(1, c).value == f.key)
                cells = [sheet.cell(3, col).coordinate, sheet.cell(202, col).coordinate]
            else:
                row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == f.key)
                cells = [f"D{row}"]
            for coordinate in cells:
                formula = covered(sheet, coordinate)
                assert formula and formula.startswith("lists!"), (name, f.key, coordinate)
                shown = [c.value for row in lists[formula.removeprefix("lists!").replace("$", "")] for c in row]
                expected = [text for _, text in labels.options(list_name, lang)]
                assert shown == expected, (name, f.key)
                if lang == "zh":  # readable labels, never the internal codes
                    assert not set(shown) & set(labels.codes(list_name)), (name, f.key)
            coded += 1
        if name in STAGE_SECTIONS:  # the data-quality flag of every line, and the whole stage's
            flags = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value not in (None, "output_t")]
            for r in flags:
                assert covered(sheet, f"H{r}") == covered(book["electrolysis"], "H2")
    assert coded == 18  # 10 choice fields, province, grid, region, 2 supplier fields, 3 yes/no fields
    quality_range = covered(book["electrolysis"], "H2").removeprefix("lists!").replace("$", "")
    assert [c.value for row in lists[quality_range] for c in row] == (
        ["实测", "计算", "默认值", "估算"] if lang == "zh" else ["measured", "calculated", "default value", "estimate"])


def test_zh_labels_map_to_codes_and_codes_still_work(tmp_path):
    declaration = read_yaml(ROOT / "examples" / "yunnan-hydro-smelter.yaml")
    path = write_workbook(tmp_path / "zh.xlsx", "zh", declaration)
    book = openpyxl.load_workbook(path)
    product = book["product"]
    kind_row = next(r for r in range(2, product.max_row + 1) if product.cell(r, 1).value == "kind")
    assert product.cell(kind_row, 4).value == "重熔用铝锭"
    declarant = book["declarant"]
    province_row = next(r for r in range(2, declarant.max_row + 1) if declarant.cell(r, 1).value == "province")
    assert declarant.cell(province_row, 4).value == "云南"
    supplies = book["supplies"]
    kinds = {supplies.cell(r, 2).value for r in range(3, 3 + len(declaration.supplies))}
    assert kinds <= {"电网购电", "自有水电", "购电协议（PPA）", "直供电（专线）", "自有风电", "自有光伏"} and kinds
    assert read_workbook(path) == declaration
    # typed by hand: a code, an English label, a half-width variant of a zh label
    product.cell(kind_row, 4).value = "primary-ingot"
    declarant.cell(province_row, 4).value = "Yunnan"
    book.save(path)
    assert read_workbook(path) == declaration
    assert labels.to_code("supply_kind", "购电协议(PPA)") == "ppa"
    assert labels.to_code("technology", "陆上风电") == "wind-onshore"
    assert labels.to_code("scheme", "绿证（GEC）") == "GEC"
    assert labels.to_code("grid", "南方电网") == "south"
    assert labels.to_code("region", "广西 (CN-GX)") == "CN-GX"
    assert labels.to_code("quality", "实测") == "measured"
    assert labels.to_code("supplier-refining", "本厂自产（填写该工序表）") == "own"


def test_three_bad_cells_are_reported_in_one_error(workbook, tmp_path, data_dir, run_cli):
    places = [f"sheet 'electrolysis' cell {set_cell(workbook, 'electrolysis', 'ac_kwh_per_t', 13.2)}",
              f"sheet 'casting' cell {set_cell(workbook, 'casting', 'electricity_kwh_per_t', 'sixty')}"]
    book = openpyxl.load_workbook(workbook)
    book["supplies"]["C3"].value = -5  # mwh of the first supply
    book.save(workbook)
    places.append("sheet 'supplies' cell C3")
    with pytest.raises(InputErrors) as caught:
        read_workbook(workbook)
    assert [e.where for e in caught.value.errors] == places
    assert isinstance(caught.value, InputError)
    message = str(caught.value)
    assert message.splitlines()[0] == f"{workbook}: 3 problems, one per line:"
    assert "13.2 x 1000 = 13200 would fit" in message and "a number in kWh/t ingot" in message
    assert "between 0 and 1e+09 MWh" in message
    result = run_cli("--data-dir", data_dir, "footprint", workbook)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 4 and all(place in line for place, line in zip(places, lines[1:], strict=True))


def test_bad_quality_evidence_and_totals_cells_named(tmp_path):
    path = write_workbook(tmp_path / "q.xlsx", "en", audit_declaration())
    book = openpyxl.load_workbook(path)
    sheet = book["electrolysis"]
    rows = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    sheet.cell(rows["alumina_t_per_t"], 8).value = "guessed"  # not a flag
    sheet.cell(rows["net_anode_t_per_t"], 9).value = 2  # one score of five
    sheet.cell(rows["cf4_kg_per_t"], 7).value = "lab report 12"  # evidence on an empty line
    sheet.cell(rows["alf3_kg_per_t"], 5).value = 7_200  # a total beside its per-tonne value
    sheet.cell(rows["anode_ash_pct"], 5).value = 3  # no total for a percentage
    book.save(path)
    with pytest.raises(InputErrors) as caught:
        read_workbook(path)
    found = {e.where: e for e in caught.value.errors}
    assert set(found) == {f"sheet 'electrolysis' cell {c}" for c in (
        f"H{rows['alumina_t_per_t']}", f"J{rows['net_anode_t_per_t']}", f"G{rows['cf4_kg_per_t']}",
        f"E{rows['alf3_kg_per_t']}", f"E{rows['anode_ash_pct']}")}
    assert "one of measured (实测)" in found[f"sheet 'electrolysis' cell H{rows['alumina_t_per_t']}"].expected
    assert "all five pedigree scores" in found[f"sheet 'electrolysis' cell J{rows['net_anode_t_per_t']}"].expected
    assert "either alf3_kg_per_t" in found[f"sheet 'electrolysis' cell E{rows['alf3_kg_per_t']}"].expected


def test_yaml_reports_every_bad_field_together(tmp_path):
    text = (ROOT / "examples" / "guangxi-smelter.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("ac_kwh_per_t: 13150", "ac_kwh_per_t: 13.15")
                   .replace("alf3_kg_per_t: 18", "alf3_kg_per_t: lots")
                   .replace("uscc: 91451000MA5K8XXX1A", "uscc: 123"), encoding="utf-8")
    with pytest.raises(InputErrors) as caught:
        read_yaml(bad)
    lines = text.splitlines()
    line = {key: next(i for i, text in enumerate(lines, 1) if key in text) for key in ("ac_kwh_per_t", "alf3", "uscc")}
    assert [e.where for e in caught.value.errors] == [  # in the order of the file's sections and fields
        f"declarant.uscc (line {line['uscc']})", f"electrolysis.alf3_kg_per_t (line {line['alf3']})",
        f"electrolysis.ac_kwh_per_t (line {line['ac_kwh_per_t']})"]
    assert "a number in kg/t Al" in str(caught.value) and "13.15 x 1000 = 13150 would fit" in str(caught.value)


def test_instructions_sheet_says_who_fills_what_and_where_numbers_are(tmp_path):
    for lang, words in (("zh", ["谁来填写", "能源统计报表", "绿证", "发改能源〔2023〕1044号", "GB/T 44905-2024",
                                "DCS"]),
                        ("en", ["Who fills what", "energy statistics reports", "1,000 kWh", "发改能源〔2023〕1044号",
                                "GB/T 44905-2024", "invoice"])):
        book = openpyxl.load_workbook(write_workbook(tmp_path / f"{lang}.xlsx", lang))
        assert book.sheetnames[0] == "instructions"
        text = " ".join(str(c.value) for row in book["instructions"].iter_rows() for c in row if c.value)
        for word in words:
            assert word in text, (lang, word)
        assert "signoff" in book.sheetnames


def test_signoff_and_period_total_notes_reach_the_report(tmp_path, engine):
    from greenal.model.site import declaration_footprint
    from greenal.report import data, html
    from greenal.standards.engine import assess
    from greenal.uncertainty import data_quality_of

    declaration = read_workbook(write_workbook(tmp_path / "q.xlsx", "zh", audit_declaration()))
    result = declaration_footprint(engine, declaration)
    report = data.build(result, assess(result, gwp="ar6"), engine, "ar6")
    report["data_quality"] = data_quality_of(engine, result, "ar6")
    page = html.render(report, "report", "zh")
    signoff = page[page.index('id="signoff"'):page.index("</p>", page.index('id="signoff"'))]
    assert "填表人" in signoff and "张三 能源主管" in signoff and "李四 总工程师" in signoff and "2025-02-10" in signoff
    assert "报告期产量 400,000 t（electrolysis.output_t）= 13,155 kWh/t Al" in page  # the note, in Chinese
