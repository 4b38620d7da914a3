"""A product file as an Excel form: the same mapping as the YAML, one sheet per part, so either
form reads into the same ProductSpec. Errors name the sheet and cell."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from greenal.errors import InputError

RECORDS = ("producer", "period", "product")  # sheet "product": section | field | value
TABLES = {"charge": ("material", "share", "supplier"),
          "alloying": ("element", "kg_per_t"),
          "suppliers": ("id", "input", "name", "pact", "greenal", "kg_co2e_per_t", "kg_co2e_per_kwh", "evidence")}
HELP = {"charge": "mass shares of the metal bought for the casthouse (casting: own), adding up to 1",
        "alloying": "alloying elements added, kg per t of cast metal (si, mg, cu, mn, zn, fe, ti)",
        "suppliers": "supplier footprints: a PACT or greenal file (relative to this workbook) or a declared "
                     "number with its evidence"}


def write_form(data: dict, path: str | Path) -> Path:
    """A product mapping (as read from YAML) written as the Excel form."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "product"
    sheet.append(["section", "field", "value"])
    for section in RECORDS:
        for key, value in (data.get(section) or {}).items():
            sheet.append([section, key, value])
    rows = {"charge": data.get("charge") or [], "suppliers": data.get("suppliers") or [],
            "alloying": [{"element": k, "kg_per_t": v} for k, v in (data.get("alloying_kg_per_t") or {}).items()]}
    for name, columns in TABLES.items():
        table = book.create_sheet(name)
        table.append(list(columns))
        for row in rows[name]:
            table.append([row.get(c) for c in columns])
        table.cell(row=1, column=len(columns) + 2, value=HELP[name])
    path = Path(path)
    book.save(path)
    return path


def read_form(path: Path):
    """(mapping, where) from the Excel form; `where(*field_path)` names the sheet and cell."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    file = str(path)
    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
        raise InputError(file, "file", type(exc).__name__, "a readable .xlsx product form") from None
    cells: dict[tuple, str] = {}
    data: dict = {"schema_version": 1}
    if "product" not in book.sheetnames:
        raise InputError(file, "sheets", book.sheetnames, "a sheet 'product' (section | field | value)")
    for n, row in enumerate(book["product"].iter_rows(min_row=2, values_only=True), start=2):
        section, key, value = (list(row) + [None] * 3)[:3]
        if section is None and key is None:
            continue
        if section not in RECORDS:
            raise InputError(file, f"sheet 'product' cell A{n}", section, f"one of {list(RECORDS)}")
        if isinstance(value, str) and value.startswith("="):
            raise InputError(file, f"sheet 'product' cell C{n}", value, "a typed value; formulas are not evaluated")
        if isinstance(value, dt.datetime):
            value = value.date()
        data.setdefault(section, {})[str(key)] = value
        cells[(section, str(key))] = f"sheet 'product' cell C{n}"
    for name, columns in TABLES.items():
        if name not in book.sheetnames:
            continue
        items: list[dict] = []
        for n, row in enumerate(book[name].iter_rows(min_row=2, max_col=len(columns), values_only=True), start=2):
            if not any(v not in (None, "") for v in row):
                continue
            item = {c: v for c, v in zip(columns, row, strict=False) if v not in (None, "")}
            for i, c in enumerate(columns):
                cells[(name if name != "alloying" else "alloying_kg_per_t", len(items), c)] = \
                    f"sheet '{name}' cell {get_column_letter(i + 1)}{n}"
            items.append(item)
        if name == "alloying":
            data["alloying_kg_per_t"] = {str(i["element"]): i.get("kg_per_t") for i in items}
            for k, item in enumerate(items):
                cells[("alloying_kg_per_t", str(item["element"]))] = cells[("alloying_kg_per_t", k, "kg_per_t")]
        elif items:
            data[name] = items

    def where(*field_path) -> str:
        name = ".".join(map(str, field_path))
        for n in range(len(field_path), 0, -1):
            if field_path[:n] in cells:
                return f"{name} ({cells[field_path[:n]]})"
        return name
    return data, where
