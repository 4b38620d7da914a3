"""`greenal report`: every chosen format from one report object, written as a whole set or not
at all: rendered into a temp folder inside --out (same file system), then moved into place."""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from greenal.errors import parse_choices
from greenal.report import data, html, pact, pdf, workbook
from greenal.report.i18n import LANGS
from greenal.report.staging import move_into_place, temp_dir, writable_folder
from greenal.standards.engine import assess
from greenal.uncertainty import data_quality_of

FORMATS = ("html", "pdf", "xlsx", "pact", "cbam")
SLUG_CHARS = 48  # a CJK character is 3 bytes in UTF-8: names stay far below the 255-byte limit


def parse_formats(formats) -> list[str]:
    """The report formats chosen ('html,pdf' or a sequence), checked."""
    return parse_choices(formats, FORMATS, "report", "formats")


def parse_langs(langs) -> list[str]:
    """The report languages chosen ('zh', 'en', 'zh,en' or a sequence), checked, in the order given."""
    return parse_choices(langs, LANGS, "report", "lang")


def slug(text: str) -> str:
    """File-system-safe words of `text`: letters and digits of any script (NFKC), lower case,
    everything else one '-'; no leading dot, no path separators, no control characters."""
    words = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFKC", str(text)).lower(), flags=re.UNICODE)
    return words.strip("-")[:SLUG_CHARS].strip("-")


def output_stem(declaration) -> str:
    """Outputs are named after the declarant, the product and the period's year (so two plants'
    `plant.yaml` never share names): e.g. 'guangxi-example-aluminium-co-primary-ingot-2024'."""
    parts = [slug(declaration.declarant.get("name", "")) or "declarant", slug(declaration.product.get("kind", "")),
             str(declaration.period["end"].year)]
    return "-".join(p for p in parts if p)


def _render(result, engine, formats: list[str], langs: list[str], stage: Path, gwp: str, mc=None) -> list[str]:
    """Write every chosen file in every language into `stage`; return their names. One report
    object feeds every file; the PDFs of all languages are printed by one Chromium. `mc`: a
    greenal.uncertainty MonteCarloResult, shown in every format when given."""
    report = data.build(result, assess(result, gwp=gwp), engine, gwp)
    if mc is not None:
        report["monte_carlo"] = {**mc.to_dict(), "histograms": mc.histograms()}
    report["data_quality"] = mc.data_quality if mc is not None else data_quality_of(engine, result, gwp)
    stem = output_stem(result.declaration)
    names = []
    pages = {f"{stem}-{lang}-{kind}": html.render(report, kind, lang)
             for lang in langs for kind in ("report", "certificate")} if {"html", "pdf"} & set(formats) else {}
    if "html" in formats:
        for name, page in pages.items():
            (stage / f"{name}.html").write_text(page, encoding="utf-8")
            names.append(f"{name}.html")
    if "pdf" in formats:  # every document of the run printed by one Chromium
        printed = pdf.print_all([(page, stage / f"{name}.pdf") for name, page in pages.items()], work_dir=stage)
        names += [p.name for p in printed]
    if "xlsx" in formats:
        for lang in langs:
            workbook.results_workbook(report, stage / f"{stem}-{lang}.xlsx", lang)
            names.append(f"{stem}-{lang}.xlsx")
    if "pact" in formats:
        (stage / f"{stem}.pact.json").write_text(json.dumps(pact.product_footprint(report), indent=2,
                                                            ensure_ascii=False), encoding="utf-8")
        names.append(f"{stem}.pact.json")
    if "cbam" in formats:
        workbook.cbam_sheet(report, stage / f"{stem}-cbam.xlsx")
        names.append(f"{stem}-cbam.xlsx")
    return names


def write_reports(result, engine, formats: list[str], lang, out: Path, gwp: str = "ar6", mc=None) -> list[Path]:
    """Files written, for each language of `lang` ('zh', 'en', 'zh,en' or a sequence):
    <stem>-<lang>-report.html/.pdf, -certificate.html/.pdf, <stem>-<lang>.xlsx; and once
    <stem>.pact.json, <stem>-cbam.xlsx (stem: see `output_stem`). If any step fails, nothing in
    `out` changes; the temp folder is removed whatever happens."""
    langs = parse_langs(lang)
    out = writable_folder(Path(out))
    with temp_dir(out, "report") as stage:
        names = _render(result, engine, formats, langs, stage, gwp, mc)
        move_into_place(stage, names, out)  # every file is whole before the first one moves
    return [out / name for name in names]
