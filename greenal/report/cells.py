"""Cell values for every workbook greenal writes (results, CBAM sheet, questionnaire): text stays
text. openpyxl stores a string that starts with '=' as a formula and one like '#N/A' as an error
value; spreadsheet programs also evaluate '+', '-' and '@' when such a cell is edited (the
OWASP 'CSV/formula injection' class). So text is written as a string cell with Excel's
quote prefix, and characters XML cannot carry are replaced."""
from __future__ import annotations

import re

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

SURROGATES = re.compile("[\ud800-\udfff]")

TRIGGERS = ("=", "+", "-", "@")


def cell_text(value):
    """`value` ready for a cell: text without the control characters XML 1.0 forbids (and without
    lone surrogates), each replaced by U+FFFD; anything else unchanged."""
    if not isinstance(value, str):
        return value
    return SURROGATES.sub("\ufffd", ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))


def text_stays_text(book) -> None:
    """Every string cell of `book` a plain string: never a formula or an error value; text that
    starts (after white space) with = + - @ also gets the quote prefix, so editing it in Excel
    or LibreOffice does not turn it into a formula."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                    if cell.value.lstrip().startswith(TRIGGERS):
                        cell.quotePrefix = True
