"""Excel outputs: the results workbook and the CBAM data sheet (openpyxl). Real numbers with
number formats, units in the headers, frozen header rows."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from greenal.declaration.fields import SECTIONS
from greenal.declaration.model import flatten
from greenal.files import atomic_target
from greenal.report.i18n import translator
from greenal.report.pact import CN_CODES

HEADER_FILL = PatternFill("solid", fgColor="DDEBE0")
NUMBER = "#,##0.000###"


def _table(sheet, headers: list[str], rows: list[list], widths: list[int] | None = None) -> None:
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(row)
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, float):
                cell.number_format = NUMBER
    for i, width in enumerate(widths or [18] * len(headers), start=1):
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = width
    sheet.freeze_panes = "A2"


def _save(book: Workbook, path: Path) -> Path:
    with atomic_target(Path(path)) as tmp:
        book.save(tmp)
    return Path(path)


def results_workbook(report: dict, path: Path, lang: str = "en") -> Path:
    """Summary, results (long table), verdicts, provenance and inputs; labels from the message
    catalogue in `lang`, codes (rule ids, flows, process codes) as written."""
    t = translator(lang)
    book = Workbook()
    summary = book.active
    summary.title = t("wb.sheet_summary")
    loc, mkt = report["location_based"], report["market_based"]
    e = report["electricity"]
    rows = [
        ("declarant", report["declarant"], ""), ("uscc", report["uscc"], ""),
        ("product", t.term("product", report["product"]), ""), ("declared_unit", "1", "t"),
        ("period_start", report["period"]["start"], ""), ("period_end", report["period"]["end"], ""),
        ("gwp_set", report["gwp_name"], ""),
        ("footprint_location", loc["total_t_co2e"], "t CO2e/t"), ("footprint_market", mkt["total_t_co2e"], "t CO2e/t"),
        ("primary_share_market", mkt["primary_data_share"], t("wb.fraction")),
        ("scope2_official_location", e["scope2_official_t_per_t"]["location"], "t CO2/t"),
        ("scope2_official_market", e["scope2_official_t_per_t"]["market"], "t CO2/t"),
        ("site_electricity", e["site_kwh_per_t"], "kWh/t"),
        ("certificate_number", report["certificate_number"], ""), ("input_hash", report["input_hash"], ""),
        ("data_version", report["data_version"], ""), ("toolkit_version", report["toolkit_version"], ""),
        ("generated", report["created"], "UTC")]
    _table(summary, [t("wb.item"), t("value"), t("wb.unit")], [[t(f"wb.{k}"), v, u] for k, v, u in rows], [44, 70, 12])
    _table(book.create_sheet(t("wb.sheet_results")),
           [t("wb.basis"), t("stage"), t("scope"), t("source"), t("wb.site_data"), t("wb.flow"), t("gas"),
            f"{t('wb.mass')} [kg/t]", f"CO2e [t CO2e/t]"],
           [[t.term("basis", c["basis"]), t.term("stage", c["stage"]), t.term("scope", f"scope {c['scope']}"),
             t.term("source", c["source"]), t("yes") if c["site_data"] else t("no"), c["flow"], c["gas"],
             c["kg_per_t"], c["t_co2e_per_t"]] for c in report["contributions"]], [16, 14, 8, 14, 10, 16, 16, 16, 18])
    _table(book.create_sheet(t("wb.sheet_verdicts")),
           [t("rule"), t("wb.scheme"), t("wb.title_zh"), t("wb.title_en"), t("value"), t("wb.unit"), t("threshold"),
            t("margin"), t("verdict"), t("wb.grade"), t("clause"), t("references"), t("certainty"), t("wb.note")],
           [[v["rule"], v["scheme"], v["title_zh"], v["title_en"], v["value"], t.term("unit", v["unit"]),
             t.text(v["threshold"]), v["margin"], t("verdict_" + v["verdict"]), t.term("grade", v["grade"]), v["clause"],
             v["source"], t.term("certainty", v["certainty"]), t.text(v["note"])] for v in report["verdicts"]],
           [10, 14, 30, 36, 14, 14, 18, 12, 16, 12, 40, 50, 14, 40])
    _table(book.create_sheet(t("wb.sheet_provenance")),
           [t("process"), t("wb.code"), t("stage"), t("amount"), t("wb.unit"), t("confidence"), t("references"), t("wb.file")],
           [[p["name"], p["code"], t.term("stage", p["stage"]), p["amount"], p["unit"],
             ", ".join(t.term("confidence", c) for c in p["confidence"]), "; ".join(p["sources"]), p["file"]]
            for p in report["provenance"]], [50, 34, 12, 14, 8, 22, 90, 36])
    units = {(name, f.key): f.unit for name, section in SECTIONS.items() for f in section.fields}
    inputs = []
    for section, record in report["inputs"].items():
        if section == "electricity":
            for table, rows in record.items():
                for i, row in enumerate(rows):
                    inputs += [[f"{table}[{i}]", key, value, units.get((table, key), "")] for key, value in row.items()]
        elif isinstance(record, dict):
            inputs += [[section, key, value if isinstance(value, (int, float, str)) else str(value),
                        units.get((section, key), "")] for key, value in flatten(record).items()]
    _table(book.create_sheet(t("wb.sheet_inputs")), [t("wb.section"), t("wb.field"), t("wb.value_as_read"), t("wb.unit")],
           inputs, [18, 34, 40, 16])
    return _save(book, path)


def pfc_method(inputs: dict) -> str:
    electrolysis = inputs.get("electrolysis", {})
    if "cf4_kg_per_t" in electrolysis:
        return "measured"
    if "anode_effect_min_per_cell_day" in electrolysis:
        return "slope method (IPCC 2006 Vol.3 Table 4.16 / CBAM Annex III B.7)"
    return "default emission factors (2013 Chinese guideline), no site PFC data"


def cbam_sheet(report: dict, path: Path) -> Path:
    """Structured like the summary of the EU communication template (not the official file)."""
    verdicts = {v["rule"]: v for v in report["verdicts"]}
    inputs = report["inputs"]
    electrolysis = inputs.get("electrolysis", {})
    primary = report["product"] != "recycled-ingot"
    kwh = report["electricity"]["site_kwh_per_t"]
    indirect = verdicts["CBAM-4"]["value"]
    pfc_rows = [c for c in report["contributions"] if c["basis"] == "location-based" and c["source"] == "PFC"
                and c["scope"] == 1]
    book = Workbook()
    sheet = book.active
    sheet.title = "CBAM summary"
    _table(sheet, ["section", "item", "value", "unit"], [
        ["note", "not the official template", "greenal cannot ship the EU communication template; this sheet follows "
         "the structure of its summary. Values per Implementing Regulation (EU) 2023/1773.", ""],
        ["installation", "operator", report["declarant"], ""],
        ["installation", "unified social credit code", report["uscc"], ""],
        ["installation", "site", f"{report['declarant_record'].get('site', '')}, {report['declarant_record'].get('province', '')}", ""],
        ["installation", "country", "CN", ""],
        ["reporting period", "start", report["period"]["start"], ""],
        ["reporting period", "end", report["period"]["end"], ""],
        ["goods", "CN code", CN_CODES[report["product"]], ""],
        ["goods", "aggregated goods category", "aluminium (unwrought)" if report["product"] != "alumina"
         else "not a CBAM good (aluminium oxide)", ""],
        ["goods", "production route", "primary (electrolytic) smelting" if primary else "secondary melting (recycling)", ""],
        ["goods", "production in period", report["annual_output_t"], "t"],
        ["embedded emissions", "specific direct embedded emissions", verdicts["CBAM-1" if primary else "CBAM-2"]["value"], "t CO2e/t"],
        ["embedded emissions", "specific indirect embedded emissions", indirect, "t CO2/t"],
        ["embedded emissions", "benchmark (definitive period, comparison)", verdicts["CBAM-1" if primary else "CBAM-2"]["limit"], "t CO2e/t"],
        ["electricity", "electricity consumed", kwh / 1000, "MWh/t"],
        ["electricity", "emission factor of electricity", indirect / (kwh / 1000) if kwh else None, "t CO2/MWh"],
        ["electricity", "source of emission factor", "captive plant's own CO2 and MEE/NBS grid average factors: "
         + ", ".join(f for f in report["electricity"]["official_factors"] if "residual" not in f), ""],
        ["PFC", "method", pfc_method(inputs) if primary else "not applicable", ""],
        ["PFC", "cell technology", electrolysis.get("cell_technology", ""), ""],
        ["PFC", "anode-effect minutes", electrolysis.get("anode_effect_min_per_cell_day"), "min/cell-day"],
        ["PFC", "CF4", sum(c["kg_per_t"] for c in pfc_rows if c["flow"] == "cf4"), "kg/t"],
        ["PFC", "C2F6", sum(c["kg_per_t"] for c in pfc_rows if c["flow"] == "c2f6"), "kg/t"],
        ["PFC", "PFC emissions (AR5)", verdicts.get("CETS-3", {}).get("value"), "t CO2e/t liquid Al"],
        ["traceability", "certificate number", report["certificate_number"], ""],
        ["traceability", "input SHA-256", report["input_hash"], ""],
    ], [20, 44, 70, 18])
    return _save(book, path)
