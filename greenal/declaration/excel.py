"""The Excel questionnaire: written from the field catalogue, read back into the same mapping
as the YAML form, so both give the same Declaration.

Sheets: 'instructions' (who fills what, units, where each number is kept), one record sheet per
section (declarant ... recycling, signoff), two table sheets (supplies, certificates) and a hidden
'lists' sheet holding the drop-down lists' readable labels (templates/questionnaire.yaml).
Record sheets: one row per field; column A the field key, then label, unit and the value (per
tonne on a stage sheet). Stage sheets add the period-total column and its unit, the evidence
reference, the data-quality flag and the five optional pedigree scores, with a '*' row for the
whole stage and an 'output_t' row (the stage's output in the period, which totals are divided
by). Table sheets: row 1 the field keys, row 2 headers, one entry per row from row 3. Every bad
cell is reported in one run. Formulas are never evaluated; macro-enabled and oversized
workbooks are refused.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
from pathlib import Path

from greenal.declaration import labels
from greenal.declaration.fields import (PEDIGREE_INDICATORS, QUALITY_FLAGS, SCHEMA_VERSION, SECTIONS, SIGNOFF,
                                        STAGE_SECTIONS, Field, stage_output_field, total_field)
from greenal.declaration.model import Declaration, flatten, nest, parse
from greenal.declaration.problems import Problems
from greenal.errors import InputError
from greenal.files import atomic_target, read_input_bytes

MAX_BYTES = 5_000_000
TABLE_ROWS = 200
FIRST_TABLE_ROW = 3
STAGE_ROW = "*"  # column A of a stage sheet's whole-stage row (its data quality and evidence)
LISTS = "lists"
INSTRUCTIONS = "instructions"
STAGE_COLUMNS = ("key", "label", "unit", "value", "total", "total_unit", "evidence", "quality",
                 *PEDIGREE_INDICATORS, "notes")
RECORD_COLUMNS = ("key", "label", "unit", "value", "evidence", "notes")
SIGNOFF_COLUMNS = ("key", "label", "unit", "value", "notes")
INPUT_COLUMNS = ("value", "total", "evidence", "quality", *PEDIGREE_INDICATORS)
QUALITY_FIELD = Field("quality", "数据质量", "data quality", kind="choice", choices=QUALITY_FLAGS, codes="quality",
                      note="measured, calculated, default value or estimate (methods/uncertainty/pedigree.yaml)")
SCORE_FIELDS = {i: Field(i, i, i, kind="int", plausible=(1, 5), note=f"pedigree score {i}: 1 (best) to 5 (worst)")
                for i in PEDIGREE_INDICATORS}
TOTAL_FIELD = Field("total", "报告期合计", "period total", plausible=(0, 1e12),
                    note="the total of the period instead of the per-tonne value; divided by the output in the period")
WIDTHS = {"key": 30, "label": 46, "unit": 14, "value": 18, "total": 16, "total_unit": 10, "evidence": 30,
          "quality": 14, "notes": 60, **{i: 9 for i in PEDIGREE_INDICATORS}}


def columns(section: str) -> dict[str, int]:
    """Column number of each column of a record sheet."""
    names = STAGE_COLUMNS if section in STAGE_SECTIONS else SIGNOFF_COLUMNS if section == SIGNOFF else RECORD_COLUMNS
    return {name: i for i, name in enumerate(names, start=1)}


def _heading(name: str, lang: str) -> str:
    words = labels.catalogue()["columns"][name]
    other = "en" if lang == "zh" else "zh"
    return f"{words[lang]} / {words[other]}"


def _validation(f: Field, lists: dict[str, str]):
    """The cell's data validation: a drop-down of readable labels for a coded field, else a range."""
    from openpyxl.worksheet.datavalidation import DataValidation

    message = f.note or f.header("en")
    name = labels.list_name(f)
    if name:
        dv = DataValidation(type="list", formula1=lists[name], allow_blank=True)
        dv.error = f"{f.en}: choose from the list"
        if name in labels.OPEN_LISTS:
            dv.errorStyle = "warning"  # sites and certificates outside China name their own region
    elif f.kind in ("number", "int") and f.plausible:
        kind = "whole" if f.kind == "int" else "decimal"
        dv = DataValidation(type=kind, operator="between", formula1=str(f.plausible[0]), formula2=str(f.plausible[1]))
        dv.error = f"{f.en}: between {f.plausible[0]:g} and {f.plausible[1]:g} {f.unit}"
    elif f.kind == "date":
        dv = DataValidation(type="date", operator="between", formula1="36526", formula2="73051")  # 2000..2099
        dv.error = f"{f.en}: a date"
    else:
        return None
    dv.showErrorMessage = True
    dv.errorTitle = "greenal"
    dv.prompt = message[:250]
    dv.showInputMessage = True
    return dv


def _cell_value(f: Field, value, lang: str):
    """A declared value as the questionnaire shows it: a coded value by its label."""
    if value is None:
        return None
    if f.kind == "bool":
        value = "yes" if value else "no"
    name = labels.list_name(f)
    if name and isinstance(value, str) and value in labels.codes(name):
        return labels.label(name, value, lang)
    return value


def _write_lists(book, lang: str) -> dict[str, str]:
    """The hidden sheet of drop-down labels; each list's range reference by list name."""
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(LISTS)
    names = sorted({labels.list_name(f) for s in SECTIONS.values() for f in s.fields} - {""}) + ["quality"]
    refs = {}
    for col, name in enumerate(names, start=1):
        sheet.cell(1, col, name)
        options = labels.options(name, lang)
        for row, (_, text) in enumerate(options, start=2):
            sheet.cell(row, col, text)
        letter = get_column_letter(col)
        refs[name] = f"{LISTS}!${letter}$2:${letter}${len(options) + 1}"
    sheet.sheet_state = "hidden"
    return refs


def _write_instructions(book, lang: str) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = book.active
    sheet.title = INSTRUCTIONS
    for row, (heading, text) in enumerate(labels.catalogue()["instructions"][lang], start=1):
        sheet.cell(row, 1, heading.format(version=SCHEMA_VERSION)).font = Font(bold=True, size=13 if row == 1 else 11)
        sheet.cell(row, 2, text).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 110


def _record_rows(name: str) -> list[tuple[str, Field | None]]:
    """(column-A key, field) of each row of a record sheet from row 2 (the '*' row has no field)."""
    rows: list[tuple[str, Field | None]] = []
    if name in STAGE_SECTIONS:
        rows += [(STAGE_ROW, None), ("output_t", stage_output_field(name))]
    return rows + [(f.key, f) for f in SECTIONS[name].fields]


def write_workbook(path: Path, lang: str = "en", declaration: Declaration | None = None) -> Path:
    """Write the questionnaire (filled with `declaration` when given); atomic."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from greenal.report.cells import text_stays_text

    data = declaration.to_mapping() if declaration else {}
    quality = data.get("data_quality") or {}
    evidence = data.get("evidence") or {}
    header_fill = PatternFill("solid", fgColor="DDEBE0")
    input_fill = PatternFill("solid", fgColor="FFF8DC")
    key_font = Font(color="808080", size=9)
    book = Workbook()
    _write_instructions(book, lang)
    sheets = {name: book.create_sheet(name) for name in SECTIONS}
    lists = _write_lists(book, lang)
    for name, section in SECTIONS.items():
        sheet = sheets[name]
        sheet.page_setup.orientation = "landscape"  # printed for signature: one page wide
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        if section.table:
            rows = (data.get("electricity") or {}).get(name, [])
            for col, f in enumerate(section.fields, start=1):
                sheet.cell(1, col, f.key).font = key_font
                header = sheet.cell(2, col, f.header(lang))
                header.font, header.fill = Font(bold=True), header_fill
                header.alignment = Alignment(wrap_text=True, vertical="top")
                letter = header.column_letter
                sheet.column_dimensions[letter].width = 24
                dv = _validation(f, lists)
                if dv:
                    sheet.add_data_validation(dv)
                    dv.add(f"{letter}{FIRST_TABLE_ROW}:{letter}{FIRST_TABLE_ROW + TABLE_ROWS - 1}")
                for r, entry in enumerate(rows, start=FIRST_TABLE_ROW):
                    sheet.cell(r, col, _cell_value(f, entry.get(f.key), lang))
                for r in range(FIRST_TABLE_ROW, FIRST_TABLE_ROW + TABLE_ROWS):
                    sheet.cell(r, col).fill = input_fill
            sheet.freeze_panes = "A3"
            continue
        cols = columns(name)
        title = f"{section.zh} / {section.en}" if lang == "zh" else f"{section.en} / {section.zh}"
        for key, col in cols.items():
            text = title + (f" — per {section.per}" if section.per else "") if key == "label" else _heading(key, lang)
            cell = sheet.cell(1, col, text)
            cell.font, cell.fill = Font(bold=True), header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            sheet.column_dimensions[cell.column_letter].width = WIDTHS[key]
        sheet.cell(1, cols["key"]).font = key_font
        values = flatten(data.get(name) or {})
        flag_validation = _validation(QUALITY_FIELD, lists)
        score_validations = {i: _validation(SCORE_FIELDS[i], lists) for i in PEDIGREE_INDICATORS}
        total_validation = _validation(TOTAL_FIELD, lists)
        if "quality" in cols:
            for dv in (flag_validation, *score_validations.values(), total_validation):
                sheet.add_data_validation(dv)
        for row, (key, spec) in enumerate(_record_rows(name), start=2):
            sheet.cell(row, cols["key"], key).font = key_font
            line = name if spec is None else f"{name}.{key}"
            if spec is None:
                sheet.cell(row, cols["label"], _heading("stage_row", lang)).font = Font(italic=True)
            else:
                sheet.cell(row, cols["label"], spec.header(lang))
                sheet.cell(row, cols["unit"], spec.unit)
                value = sheet.cell(row, cols["value"], _cell_value(spec, values.get(key), lang))
                value.fill = input_fill
                if spec.kind == "date":
                    value.number_format = "yyyy-mm-dd"
                elif spec.kind == "number":
                    value.number_format = "#,##0.######"
                dv = _validation(spec, lists)
                if dv:
                    sheet.add_data_validation(dv)
                    dv.add(value.coordinate)
                sheet.cell(row, cols["notes"], " · ".join(x for x in (spec.note, "/".join(spec.choices)) if x))
            total = total_field(spec) if spec is not None else None
            if total is not None and "total" in cols:
                cell = sheet.cell(row, cols["total"], values.get(total.key))
                cell.fill, cell.number_format = input_fill, "#,##0.######"
                total_validation.add(cell.coordinate)
                sheet.cell(row, cols["total_unit"], total.unit)
            if "evidence" in cols:
                sheet.cell(row, cols["evidence"], evidence.get(line)).fill = input_fill
            if "quality" in cols and key != "output_t":
                given = quality.get(line)
                flag = sheet.cell(row, cols["quality"], labels.label("quality", given, lang)
                                  if isinstance(given, str) and given in QUALITY_FLAGS else given
                                  if isinstance(given, str) else None)
                flag.fill = input_fill
                flag_validation.add(flag.coordinate)
                for i in PEDIGREE_INDICATORS:
                    score = sheet.cell(row, cols[i], given.get(i) if isinstance(given, dict) else None)
                    score.fill = input_fill
                    score_validations[i].add(score.coordinate)
        sheet.freeze_panes = "B2"
    text_stays_text(book)  # greenal.report.cells: no formulas or error values from text
    with atomic_target(Path(path)) as tmp:
        book.save(tmp)
    return Path(path)


PLAIN_TYPES = (str, int, float, bool, dt.datetime, dt.date)  # what a typed cell holds
MAX_UNCOMPRESSED = 10_000_000  # bytes inside the zip; the questionnaire written by greenal is ~200 kB
MAX_MEMBERS = 500
MAX_ROWS, MAX_COLUMNS = 1_000, 30  # used range of any sheet (table sheets: 2 header rows + 200 entries)
CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>?")
CELL_REF = re.compile(rb"\br=\"([A-Z]+)([0-9]+)\"")
ROW = re.compile(rb"<(?:\w+:)?row\b")


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Zip member of each worksheet -> its sheet name (from xl/workbook.xml and its relations)."""
    import xml.etree.ElementTree as ET

    try:
        book = ET.fromstring(archive.read("xl/workbook.xml"))
        rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # missing or damaged parts: openpyxl refuses the file later; names are a courtesy
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    names = {}
    for sheet in book.iter():
        if sheet.tag.endswith("}sheet"):
            rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
            target = targets.get(rid, "").lstrip("/")
            names[target if target.startswith("xl/") else f"xl/{target}"] = sheet.get("name", "?")
    return names


def _check_archive(data: bytes, file: str) -> None:
    """Before openpyxl reads anything: no macros, a bounded uncompressed size (zip bombs), and every
    sheet's used range within MAX_ROWS x MAX_COLUMNS (a cell at XFD1048576, 300,000 rows)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except Exception:  # BadZipFile, and struct or value errors from a damaged central directory
        raise InputError(file, "file", "not an .xlsx workbook",
                         "the questionnaire written by `greenal template`") from None
    with archive:
        if len(members) > MAX_MEMBERS:
            raise InputError(file, "file", f"{len(members)} parts in the workbook", f"at most {MAX_MEMBERS}")
        if any(m.filename.lower().endswith("vbaproject.bin") for m in members):
            raise InputError(file, "file", "a macro-enabled workbook", "a workbook without macros (save as .xlsx)")
        total = 0
        for m in sorted(members, key=lambda x: -x.file_size):
            total += m.file_size
            if total > MAX_UNCOMPRESSED:
                raise InputError(file, f"part {m.filename}", f"{m.file_size:,} bytes uncompressed",
                                 f"a questionnaire of at most {MAX_UNCOMPRESSED:,} bytes uncompressed in all")
        names = _sheet_names(archive)
        for m in members:
            if not (m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml")):
                continue
            try:
                xml = archive.read(m)
            except Exception as exc:  # bad CRC, unsupported compression, truncated data
                raise InputError(file, f"part {m.filename}", type(exc).__name__, "a readable .xlsx workbook") from None
            sheet = f"sheet '{names.get(m.filename, m.filename)}'"
            rows = len(ROW.findall(xml))
            cells = 0
            for match in CELL.finditer(xml):
                cells += 1
                ref = CELL_REF.search(match.group(1))
                if ref and (len(ref.group(1)) > 3 or len(ref.group(2)) > 7 or int(ref.group(2)) > MAX_ROWS
                            or _column_number(ref.group(1).decode()) > MAX_COLUMNS):
                    coordinate = (ref.group(1) + ref.group(2)).decode()[:20]
                    raise InputError(file, f"{sheet} cell {coordinate}", "a cell outside the questionnaire",
                                     f"data within A1:{_letters(MAX_COLUMNS)}{MAX_ROWS}")
            if rows > MAX_ROWS or cells > MAX_ROWS * MAX_COLUMNS:
                raise InputError(file, sheet, f"{rows:,} rows, {cells:,} cells",
                                 f"at most {MAX_ROWS:,} rows of {MAX_COLUMNS} columns")


def _letters(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)


def _plain(value, file: str, where: str):
    """Cell values as the YAML reader would see them; array formulas, times and other cell
    objects are refused."""
    if value is not None and not isinstance(value, PLAIN_TYPES):
        raise InputError(file, where, type(value).__name__,
                         "a typed value; formulas (including array formulas) are not evaluated")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _score(raw, at: str, file: str):
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if type(raw) is not int or not 1 <= raw <= 5:
        raise InputError(file, at, raw, "a pedigree score from 1 (best) to 5 (worst)")
    return raw


def _line_quality(cells: dict, at, file: str) -> object:
    """A line's data quality from its flag cell and five score cells: the five scores when given
    (all five), else the flag's code; None when all are blank."""
    scores = {i: cells[i] for i in PEDIGREE_INDICATORS if cells[i] is not None}
    if scores:
        missing = [i for i in PEDIGREE_INDICATORS if i not in scores]
        if missing:
            raise InputError(file, at(missing[0]), None, f"all five pedigree scores once one is given "
                             f"(missing: {', '.join(missing)}); or only the data-quality flag")
        problems = Problems(file)
        out = {}
        for i in PEDIGREE_INDICATORS:
            with problems.check():
                out[i] = _score(scores[i], at(i), file)
        problems.raise_any()
        return out
    flag = cells["quality"]
    if flag is None:
        return None
    code = labels.to_code("quality", flag)
    if code not in QUALITY_FLAGS:
        raise InputError(file, at("quality"), flag, "one of " + ", ".join(
            f"{labels.label('quality', c, 'en')} ({labels.label('quality', c, 'zh')})" for c in QUALITY_FLAGS))
    return code


def read_workbook(path: Path) -> Declaration:
    from openpyxl import load_workbook

    path = Path(path)
    file = str(path)
    raw = read_input_bytes(path, MAX_BYTES, "questionnaire (.xlsx)")
    _check_archive(raw, file)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops; nothing for the user
            book = load_workbook(io.BytesIO(raw), data_only=False, read_only=False)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise InputError(file, "file", type(exc).__name__, "a readable .xlsx workbook") from None
    problems = Problems(file)
    cells: dict[tuple, str] = {}
    data: dict = {"schema_version": SCHEMA_VERSION}
    quality: dict = {}
    evidence: dict = {}
    for name, section in SECTIONS.items():
        if name not in book.sheetnames:
            if name == SIGNOFF:  # optional, and absent from questionnaires of earlier versions
                continue
            problems.add(InputError(file, f"sheet '{name}'", "missing", "every sheet of the questionnaire"))
            continue
        sheet = book[name]
        if sheet.max_row > MAX_ROWS or sheet.max_column > MAX_COLUMNS:
            problems.add(InputError(file, f"sheet '{name}'", f"{sheet.max_row} rows x {sheet.max_column} columns",
                                    f"at most {MAX_ROWS:,} rows of {MAX_COLUMNS} columns"))
            continue

        def at(row: int, col: int, name=name, sheet=sheet) -> str:
            return f"sheet '{name}' cell {sheet.cell(row, col).coordinate}"

        def value(row: int, col: int, at=at, sheet=sheet):
            with problems.check():
                return _plain(sheet.cell(row, col).value, file, at(row, col))
            return None

        if section.table:
            _read_table(name, section.fields, sheet, at, value, problems, cells, data, file)
            continue
        cols = columns(name)
        layout_ok = True
        for key in ("value", "total", "evidence", "quality"):  # a questionnaire of another layout is refused
            if key in cols:
                heading = value(1, cols[key])
                words = labels.catalogue()["columns"][key]
                if not isinstance(heading, str) or not any(words[lang] in heading for lang in ("zh", "en")):
                    layout_ok = False
                    problems.add(InputError(file, at(1, cols[key]), heading,
                                            f"the column heading '{_heading(key, 'en')}' of this greenal version's "
                                            "questionnaire; copy the values into a new `greenal template`"))
        if not layout_ok:
            continue
        fields = {key: f for key, f in _record_rows(name)}
        flat: dict = {}
        seen: dict = {}
        for row in range(2, sheet.max_row + 1):
            key = value(row, cols["key"])
            entries = {c: value(row, col) for c, col in cols.items() if c in INPUT_COLUMNS}
            if key is None:
                for c, v in entries.items():
                    if v is not None:
                        problems.add(InputError(file, at(row, cols[c]), v, "values only in rows with a field key "
                                                "in column A"))
                continue
            if key not in fields:
                problems.add(InputError(file, at(row, cols["key"]), key, "a field key written by `greenal template`"))
                continue
            if key in seen:
                problems.add(InputError(file, at(row, cols["key"]), key,
                                        f"each field once (also in {at(seen[key], cols['key'])})"))
                continue
            seen[key] = row
            f = fields[key]
            line = name if f is None else f"{name}.{key}"
            if f is not None:
                path_ = (name, *key.split("."))
                cells[path_] = at(row, cols["value"])
                given = entries["value"]
                name_ = labels.list_name(f)
                if given is not None:
                    flat[key] = labels.to_code(name_, given) if name_ else given
            total = total_field(f) if f is not None else None
            if "total" in cols:
                if total is not None:
                    cells[(name, *total.key.split("."))] = at(row, cols["total"])
                    if entries["total"] is not None:
                        flat[total.key] = entries["total"]
                elif entries["total"] is not None:
                    problems.add(InputError(file, at(row, cols["total"]), entries["total"],
                                            "a period total only on a line with a total unit (amounts per tonne)"))
            declared = f is None or key in flat or (total is not None and total.key in flat)
            if "evidence" in cols and entries["evidence"] is not None:
                cells[("evidence", line)] = at(row, cols["evidence"])
                if declared:
                    evidence[line] = entries["evidence"]
                else:
                    problems.add(InputError(file, at(row, cols["evidence"]), entries["evidence"],
                                            "evidence only on a line with a value or period total"))
            if "quality" in cols:
                cells[("data_quality", line)] = at(row, cols["quality"])
                line_cells = {c: entries[c] for c in ("quality", *PEDIGREE_INDICATORS)}
                if all(v is None for v in line_cells.values()):
                    continue
                if key == "output_t" or not declared:
                    problems.add(InputError(file, at(row, cols["quality"]), entries["quality"],
                                            "data quality only on a line with a value or period total"))
                    continue
                with problems.check():
                    quality[line] = _line_quality(line_cells, lambda c, row=row, cols=cols: at(row, cols[c]), file)
        if flat or name not in STAGE_SECTIONS:
            data[name] = nest(flat)
        elif name in quality:
            problems.add(InputError(file, cells[("data_quality", name)], quality.pop(name),
                                    "data quality of a stage only on a stage sheet with values"))
        cells[(name,)] = f"sheet '{name}'"
    cells[("electricity",)] = "sheets 'supplies' and 'certificates'"
    for name in ("supplies", "certificates"):
        cells[("electricity", name)] = f"sheet '{name}'"
    if quality:
        data["data_quality"] = quality
    if evidence:
        data["evidence"] = evidence

    def where(field_path: tuple) -> str:
        for n in range(len(field_path), 0, -1):
            if field_path[:n] in cells:
                return cells[field_path[:n]]
        return ".".join(map(str, field_path))

    if not any(name in book.sheetnames for name in SECTIONS):  # not a questionnaire at all: say only that
        problems.raise_any()
    return parse(data, file, where, problems)


def _read_table(name: str, fields: tuple[Field, ...], sheet, at, value, problems: Problems, cells: dict,
                data: dict, file: str) -> None:
    """A table sheet (supplies, certificates): field keys in row 1, one entry per row from row 3."""
    known = {f.key for f in fields}
    keys: dict = {}
    last_row, last_col = sheet.max_row, sheet.max_column  # openpyxl computes them over every cell, each time
    for col in range(1, last_col + 1):
        key = value(1, col)
        if key is None:
            continue
        if key not in known:
            problems.add(InputError(file, at(1, col), key, f"one of the field keys {sorted(known)}"))
        elif key in keys:
            problems.add(InputError(file, at(1, col), key, f"each field once (also in {at(1, keys[key])})"))
        else:
            keys[key] = col
    rows: list[dict] = []
    for r in range(FIRST_TABLE_ROW, last_row + 1):
        for col in range(1, last_col + 1):
            if col not in keys.values() and value(r, col) is not None:
                problems.add(InputError(file, at(r, col), sheet.cell(r, col).value,
                                        "values only in the columns with a field key in row 1"))
        entry = {}
        for f in fields:
            if f.key in keys:
                given = value(r, keys[f.key])
                name_ = labels.list_name(f)
                entry[f.key] = labels.to_code(name_, given) if name_ else given
        if all(v is None for v in entry.values()):
            continue
        i = len(rows)
        for f in fields:
            if f.key in keys:
                cells[("electricity", name, i, f.key)] = at(r, keys[f.key])
        rows.append({k: v for k, v in entry.items() if v is not None})
    data.setdefault("electricity", {})[name] = rows
