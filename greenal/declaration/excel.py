"""The Excel questionnaire: written from the field catalogue, read back into the same mapping
as the YAML form, so both give the same Declaration.

Record sheets (declarant ... recycling): one row per field; column A the field key, B the
label, C the unit, D the value (validated input cell), E notes. Table sheets (supplies,
certificates): row 1 the field keys, row 2 bilingual headers with units, one entry per row from
row 3. Formulas are never evaluated; macro-enabled and oversized workbooks are refused.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
from pathlib import Path

from greenal.declaration.fields import SCHEMA_VERSION, SECTIONS, STAGE_SECTIONS, Field
from greenal.declaration.model import Declaration, flatten, nest, parse
from greenal.errors import InputError
from greenal.files import atomic_target, read_input_bytes

MAX_BYTES = 5_000_000
TABLE_ROWS = 200
FIRST_TABLE_ROW = 3
KEY, LABEL, UNIT, VALUE, NOTES = 1, 2, 3, 4, 5  # record-sheet columns
INTRO = {
    "en": ["greenal declaration questionnaire (schema {v})",
           "Fill the value column (D) of each sheet; leave a field empty to use the sourced default.",
           "Delete nothing; leave a stage sheet empty if that stage is not operated on site.",
           "Amounts are per tonne of the stage's product (see each sheet's title). Electricity supplies "
           "and certificates are for the whole reporting period, in MWh.",
           "Type numbers, not formulas: greenal does not evaluate formulas."],
    "zh": ["greenal 申报问卷（版本 {v}）",
           "请在各工作表的数值列（D列）填写；留空的字段使用有来源的默认值。",
           "请勿删除工作表；本厂不运行的工序，其工作表留空即可。",
           "数量均按该工序每吨产品计（见各表标题）；电力来源与绿证按整个报告期计，单位 MWh。",
           "请直接填写数值，不要使用公式：greenal 不计算公式。"],
}


def _validation(f: Field):
    from openpyxl.worksheet.datavalidation import DataValidation

    message = f.note or f.header("en")
    if f.kind in ("number", "int") and f.plausible:
        kind = "whole" if f.kind == "int" else "decimal"
        dv = DataValidation(type=kind, operator="between", formula1=str(f.plausible[0]), formula2=str(f.plausible[1]))
        dv.error = f"{f.en}: between {f.plausible[0]:g} and {f.plausible[1]:g} {f.unit}"
    elif f.kind == "choice":
        dv = DataValidation(type="list", formula1='"' + ",".join(f.choices) + '"')
        dv.error = f"{f.en}: one of {', '.join(f.choices)}"
    elif f.kind == "bool":
        dv = DataValidation(type="list", formula1='"yes,no"')
        dv.error = f"{f.en}: yes or no"
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


def _cell_value(f: Field, value):
    if value is None:
        return None
    if f.kind == "bool":
        return "yes" if value else "no"
    return value


def write_workbook(path: Path, lang: str = "en", declaration: Declaration | None = None) -> Path:
    """Write the questionnaire (filled with `declaration` when given); atomic."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from greenal.report.cells import text_stays_text

    data = declaration.to_mapping() if declaration else {}
    header_fill = PatternFill("solid", fgColor="DDEBE0")
    input_fill = PatternFill("solid", fgColor="FFF8DC")
    key_font = Font(color="808080", size=9)
    book = Workbook()
    intro = book.active
    intro.title = "README"
    for i, line in enumerate(INTRO[lang], start=1):
        intro.cell(i, 1, line.format(v=SCHEMA_VERSION))
    intro.cell(1, 1).font = Font(bold=True, size=13)
    intro.column_dimensions["A"].width = 110
    for name, section in SECTIONS.items():
        sheet = book.create_sheet(name)
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
                dv = _validation(f)
                if dv:
                    sheet.add_data_validation(dv)
                    dv.add(f"{letter}{FIRST_TABLE_ROW}:{letter}{FIRST_TABLE_ROW + TABLE_ROWS - 1}")
                for r, entry in enumerate(rows, start=FIRST_TABLE_ROW):
                    sheet.cell(r, col, _cell_value(f, entry.get(f.key)))
                for r in range(FIRST_TABLE_ROW, FIRST_TABLE_ROW + TABLE_ROWS):
                    sheet.cell(r, col).fill = input_fill
            sheet.freeze_panes = "A3"
            continue
        title = f"{section.zh} / {section.en}" if lang == "zh" else f"{section.en} / {section.zh}"
        sheet.cell(1, KEY, "field").font = key_font
        for col, text in ((LABEL, title + (f" — per {section.per}" if section.per else "")),
                          (UNIT, "unit / 单位"), (VALUE, "value / 数值"), (NOTES, "notes / 备注")):
            cell = sheet.cell(1, col, text)
            cell.font, cell.fill = Font(bold=True), header_fill
        values = flatten(data.get(name) or {})
        for row, f in enumerate(section.fields, start=2):
            sheet.cell(row, KEY, f.key).font = key_font
            sheet.cell(row, LABEL, f.header(lang))
            sheet.cell(row, UNIT, f.unit)
            value = sheet.cell(row, VALUE, _cell_value(f, values.get(f.key)))
            value.fill = input_fill
            if f.kind == "date":
                value.number_format = "yyyy-mm-dd"
            elif f.kind == "number":
                value.number_format = "#,##0.######"
            sheet.cell(row, NOTES, " · ".join(x for x in (f.note, "/".join(f.choices)) if x))
            dv = _validation(f)
            if dv:
                sheet.add_data_validation(dv)
                dv.add(value.coordinate)
        for col, width in ((KEY, 30), (LABEL, 46), (UNIT, 16), (VALUE, 22), (NOTES, 60)):
            sheet.column_dimensions[sheet.cell(1, col).column_letter].width = width
        sheet.freeze_panes = "A2"
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
    cells: dict[tuple, str] = {}
    data: dict = {"schema_version": SCHEMA_VERSION}
    for name, section in SECTIONS.items():
        if name not in book.sheetnames:
            raise InputError(file, f"sheet '{name}'", "missing", "every sheet of the questionnaire")
        sheet = book[name]
        if sheet.max_row > MAX_ROWS or sheet.max_column > MAX_COLUMNS:
            raise InputError(file, f"sheet '{name}'", f"{sheet.max_row} rows x {sheet.max_column} columns",
                             f"at most {MAX_ROWS:,} rows of {MAX_COLUMNS} columns")

        def at(row: int, col: int, name=name, sheet=sheet) -> str:
            return f"sheet '{name}' cell {sheet.cell(row, col).coordinate}"

        if section.table:
            known = {f.key for f in section.fields}
            keys: dict = {}
            for col in range(1, sheet.max_column + 1):
                key = _plain(sheet.cell(1, col).value, file, at(1, col))
                if key is None:
                    continue
                if key not in known:
                    raise InputError(file, at(1, col), key, f"one of the field keys {sorted(known)}")
                if key in keys:
                    raise InputError(file, at(1, col), key, f"each field once (also in {at(1, keys[key])})")
                keys[key] = col
            rows: list[dict] = []
            for r in range(FIRST_TABLE_ROW, sheet.max_row + 1):
                for col in range(1, sheet.max_column + 1):
                    if col not in keys.values() and _plain(sheet.cell(r, col).value, file, at(r, col)) is not None:
                        raise InputError(file, at(r, col), sheet.cell(r, col).value,
                                         "values only in the columns with a field key in row 1")
                entry = {f.key: _plain(sheet.cell(r, keys[f.key]).value, file, at(r, keys[f.key]))
                         for f in section.fields if f.key in keys}
                if all(v is None for v in entry.values()):
                    continue
                i = len(rows)
                for f in section.fields:
                    if f.key in keys:
                        cells[("electricity", name, i, f.key)] = at(r, keys[f.key])
                rows.append({k: v for k, v in entry.items() if v is not None})
            data.setdefault("electricity", {})[name] = rows
            continue
        flat: dict = {}
        seen: dict[str, int] = {}
        known = {f.key for f in section.fields}
        for row in range(2, sheet.max_row + 1):
            key = _plain(sheet.cell(row, KEY).value, file, at(row, KEY))
            value = _plain(sheet.cell(row, VALUE).value, file, at(row, VALUE))
            if key is None:
                if value is not None:
                    raise InputError(file, at(row, VALUE), value, "values only in rows with a field key in column A")
                continue
            if key not in known:
                raise InputError(file, at(row, KEY), key, "a field key written by `greenal template`")
            if key in seen:
                raise InputError(file, at(row, KEY), key, f"each field once (also in {at(seen[key], KEY)})")
            seen[key] = row
            cells[(name, *key.split("."))] = at(row, VALUE)
            if value is not None:
                flat[key] = value
        if flat or name not in STAGE_SECTIONS:
            data[name] = nest(flat)
        cells[(name,)] = f"sheet '{name}'"
    cells[("electricity",)] = "sheets 'supplies' and 'certificates'"
    for name in ("supplies", "certificates"):
        cells[("electricity", name)] = f"sheet '{name}'"

    def where(field_path: tuple) -> str:
        for n in range(len(field_path), 0, -1):
            if field_path[:n] in cells:
                return cells[field_path[:n]]
        return ".".join(map(str, field_path))

    return parse(data, file, where)
