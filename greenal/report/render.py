"""`greenal report`: every chosen format from one report object."""
from __future__ import annotations

import json
from pathlib import Path

from greenal.errors import InputError
from greenal.files import write_atomic
from greenal.report import data, html, pact, pdf, workbook
from greenal.standards.engine import assess

FORMATS = ("html", "pdf", "xlsx", "pact", "cbam")


def parse_formats(text: str) -> list[str]:
    chosen = [f.strip() for f in text.split(",") if f.strip()]
    for f in chosen:
        if f not in FORMATS:
            raise InputError("command line", "--format", f, f"a comma-separated list of {', '.join(FORMATS)}")
    return chosen


def write_reports(result, engine, formats: list[str], lang: str, out: Path, gwp: str = "ar6") -> list[Path]:
    """Files written: <stem>-report.html/.pdf, -certificate.html/.pdf, .xlsx, .pact.json, -cbam.xlsx."""
    report = data.build(result, assess(result, gwp=gwp), engine, gwp)
    stem = f"{Path(result.declaration.file).stem}-{lang}"
    out = Path(out)
    written = []
    pages = {kind: html.render(report, kind, lang) for kind in ("report", "certificate")} \
        if {"html", "pdf"} & set(formats) else {}
    if "html" in formats:
        for kind, page in pages.items():
            write_atomic(out / f"{stem}-{kind}.html", page)
            written.append(out / f"{stem}-{kind}.html")
    if "pdf" in formats:
        for kind, page in pages.items():
            written.append(pdf.html_to_pdf(page, out / f"{stem}-{kind}.pdf"))
    if "xlsx" in formats:
        written.append(workbook.results_workbook(report, out / f"{stem}.xlsx", lang))
    if "pact" in formats:
        path = out / f"{Path(result.declaration.file).stem}.pact.json"
        write_atomic(path, json.dumps(pact.product_footprint(report), indent=2, ensure_ascii=False))
        written.append(path)
    if "cbam" in formats:
        written.append(workbook.cbam_sheet(report, out / f"{Path(result.declaration.file).stem}-cbam.xlsx"))
    return written
