"""Excel outputs: the results workbook and the CBAM data sheet (openpyxl). Real numbers with
number formats, units in the headers, frozen header rows."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from greenal.declaration.fields import SECTIONS
from greenal.declaration.model import flatten
from greenal.files import atomic_target
from greenal.report.cells import cell_text, text_stays_text
from greenal.report.i18n import translator
from greenal.report.pact import CN_CODES
from greenal.standards.cbam import DEFAULT_CELL, default_with_markup
from greenal.standards.engine import data_value, scheme_data

HEADER_FILL = PatternFill("solid", fgColor="DDEBE0")
NUMBER = "#,##0.000###"


def _table(sheet, headers: list[str], rows: list[list], widths: list[int] | None = None) -> None:
    sheet.append([cell_text(h) for h in headers])
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([cell_text(value) for value in row])
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, float):
                cell.number_format = NUMBER
    for i, width in enumerate(widths or [18] * len(headers), start=1):
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = width
    sheet.freeze_panes = "A2"


def _save(book: Workbook, path: Path) -> Path:
    text_stays_text(book)
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
        ("unsplit_share_market", report["unsplit_share_pct"]["market"], "%"),
        ("certificate_number", report["certificate_number"], ""), ("input_hash", report["input_hash"], ""),
        ("data_version", report["data_version"], ""), ("toolkit_version", report["toolkit_version"], ""),
        ("generated", report["created"], "UTC")]
    _table(summary, [t("wb.item"), t("value"), t("wb.unit")], [[t(f"wb.{k}"), v, u] for k, v, u in rows], [44, 70, 12])
    _table(book.create_sheet(t("wb.sheet_results")),
           [t("wb.basis"), t("stage"), t("scope"), t("source"), t("wb.site_data"), t("wb.flow"), t("gas"),
            f"{t('wb.mass')} [kg/t]", "CO2e [t CO2e/t]"],
           [[t.term("basis", c["basis"]), t.term("stage", c["stage"]), t.term("scope", f"scope {c['scope']}"),
             t.term("source", c["source"]), t("yes") if c["site_data"] else t("no"), c["flow"], c["gas"],
             c["kg_per_t"], c["t_co2e_per_t"]] for c in report["contributions"]], [16, 14, 8, 14, 10, 16, 16, 16, 18])
    _table(book.create_sheet(t("wb.sheet_verdicts")),
           [t("rule"), t("wb.scheme"), t("wb.title_zh"), t("wb.title_en"), t("value"), t("wb.unit"), t("threshold"),
            t("margin"), t("verdict"), t("wb.grade"), t("clause"), t("references"), t("certainty"), t("wb.note")],
           [[v["rule"], v["scheme"], v["title_zh"], v["title_en"], v["value"], t.term("unit", v["unit"]),
             t.text(v["threshold"]), v["margin"], t("verdict_" + v["verdict"]), t.term("grade", v["grade"]),
             v["clause"],
             v["source"], t.term("certainty", v["certainty"]), t.text(v["note"])] for v in report["verdicts"]],
           [10, 14, 30, 36, 14, 14, 18, 12, 16, 12, 40, 50, 14, 40])
    _table(book.create_sheet(t("wb.sheet_provenance")),
           [t("process"), t("wb.code"), t("stage"), t("amount"), t("wb.unit"), t("confidence"), t("references"),
            t("wb.file")],
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
    _table(book.create_sheet(t("wb.sheet_inputs")), [t("wb.section"), t("wb.field"), t("wb.value_as_read"),
                                                     t("wb.unit")],
           inputs, [18, 34, 40, 16])
    uncertainty_sheets(book, report, t)
    return _save(book, path)


def uncertainty_sheets(book: Workbook, report: dict, t) -> None:
    """Monte Carlo (when run), sensitivity and data quality sheets (issue 13)."""
    mc = report.get("monte_carlo")
    if mc:
        head = ["basis", "stage", "mean [t CO2e/t]", "sd", "2.5 %", "50 %", "97.5 %"]
        rows = [[basis, name, s["mean"], s["sd"], s["p2_5"], s["p50"], s["p97_5"]]
                for basis, entry in mc["bases"].items()
                for name, s in [("total", entry["total"]), *entry["by_stage"].items()]]
        d = mc["market_minus_location"]
        rows.append(["market - location", "total", d["mean"], d["sd"], d["p2_5"], d["p50"], d["p97_5"]])
        rows += [[], [f"{mc['iterations']} iterations, seed {mc['seed']}, {mc['gwp'].upper()}"]]
        rows += [[n] for n in mc["notes"]]
        _table(book.create_sheet("monte carlo"), head, rows, [22, 14, 16, 12, 12, 12, 12])
        _table(book.create_sheet("verdict probabilities"),
               ["rule", "verdict", "sampled", "mean", "sd", "threshold", "probability the verdict holds", "P(pass)",
                "why not sampled"],
               [[v["rule"], v["verdict"], "yes" if v["sampled"] else "no", v.get("mean"), v.get("sd"),
                 v.get("threshold"),
                 v.get("probability"), v.get("p_pass"), v.get("reason", "")] for v in mc["verdicts"]],
               [10, 18, 8, 12, 12, 12, 16, 10, 50])
        _table(book.create_sheet("sensitivity"), ["basis", "input", "description", "rho", "rho^2", "share"],
               [[basis, x["input"], x["description"], x["rho"], x["rho2"], x["share"]]
                for basis, rows_ in mc["sensitivity"].items() for x in rows_], [10, 40, 60, 10, 10, 10])
    quality = report.get("data_quality")
    if quality:
        keys = ["reliability", "completeness", "temporal", "geographical", "technological"]
        rows = [[t("wb.product_weighted"), "", *[quality["product"].get(k) for k in keys],
                 quality["product"].get("dqr"), ""]]
        rows += [[x["description"], t.term("origin", x["origin"]), *[x[k] for k in keys], x["dqr"], x["t_co2e_per_t"]]
                 for x in quality["lines"]]
        _table(book.create_sheet(t("wb.sheet_data_quality")),
               [t("wb.line"), t("dqr_origin"), *[t(f"dqi_{k}") for k in keys], "DQR", t("wb.t_co2e_market")], rows,
               [60, 16, 12, 12, 12, 12, 12, 8, 16])


def pfc_method(inputs: dict) -> str:
    """How the CBAM direct figure's PFC was computed (IR 2025/2547 Annex II B.7 coefficients)."""
    electrolysis = inputs.get("electrolysis", {})
    technology = electrolysis.get("cell_technology", DEFAULT_CELL)
    row = scheme_data("cbam")["pfc_slope"][technology]
    sef, f = data_value(row["sef"]), data_value(row["f"])
    if "cf4_kg_per_t" in electrolysis:
        return "measured CF4 and C2F6" if "c2f6_kg_per_t" in electrolysis else \
            f"measured CF4; C2F6 = F x CF4, F {f:g} ({technology}, IR 2025/2547 Annex II B.7)"
    if "anode_effect_min_per_cell_day" in electrolysis:
        return f"slope method, IR 2025/2547 Annex II B.7, {technology}: SEF {sef:g}, F {f:g}"
    return ("no site PFC data: default emission factors (2013 Chinese guideline); "
            "CBAM asks for slope or overvoltage data")


def cbam_sheet(report: dict, path: Path) -> Path:
    """Structured like the summary of the EU communication template (not the official file).
    Definitive period: aluminium goods carry direct emissions only; indirect emissions are shown
    as transitional-period information. Every figure per t of the good. Alumina (CN 2818) is not
    a CBAM good and not a precursor: no route, no benchmark, no PFC."""
    verdicts = {v["rule"]: v for v in report["verdicts"]}
    inputs = report["inputs"]
    electrolysis = inputs.get("electrolysis", {})
    product = report["product"]
    rows = [
        ["note", "not the official template", "greenal cannot ship the EU communication template; this sheet follows "
         "the structure of its summary. Definitive period (Regulation (EU) 2023/956 Annex II; IR 2025/2547, "
         "2025/2620, 2025/2621 as replaced by 2026/1740, read in secondary copies); "
         "every figure per t of the good.", ""],
        ["installation", "operator", report["declarant"], ""],
        ["installation", "unified social credit code", report["uscc"], ""],
        ["installation", "site",
         f"{report['declarant_record'].get('site', '')}, {report['declarant_record'].get('province', '')}", ""],
        ["installation", "country", report["declarant_record"].get("country", "CN"), ""],
        ["reporting period", "start", report["period"]["start"], ""],
        ["reporting period", "end", report["period"]["end"], ""],
        ["goods", "CN code", CN_CODES[product], ""],
    ]
    if product == "alumina":
        rows += [["goods", "aggregated goods category", "not a CBAM good: aluminium oxide (CN 2818) is not in Annex I "
                  "of Regulation (EU) 2023/956 and not a precursor of aluminium goods (IR 2025/2547)", ""],
                 ["goods", "production in period", report["annual_output_t"], "t"]]
        rows += _traceability(report)
        book = Workbook()
        book.active.title = "CBAM summary"
        _table(book.active, ["section", "item", "value", "unit"], rows, [20, 44, 70, 18])
        return _save(book, path)
    primary = product != "recycled-ingot"
    direct = verdicts["CBAM-1" if primary else "CBAM-2"]
    default = verdicts["CBAM-3"]
    year = int(str(report["period"]["end"])[:4])
    markup = default_with_markup(CN_CODES[product], year)
    kwh = (verdicts["CBAM-5"]["value"] or 0.0) * 1000  # the smelter's use (an own refinery's is not CBAM's)
    indirect = verdicts["CBAM-4"]["value"]
    rows += [
        ["goods", "aggregated goods category", "aluminium (unwrought)", ""],
        ["goods", "production route",
         "primary (electrolytic) smelting" if primary else "secondary melting (recycling)", ""],
        ["goods", "production in period", report["annual_output_t"], "t"],
        ["embedded emissions", "specific direct embedded emissions (definitive period: direct only)", direct["value"],
         "t CO2e/t"],
        ["comparison", f"China default value of the good, {markup['year']}, incl. +{markup['markup_pct']:g} % mark-up",
         default["limit"], "t CO2e/t"],
        ["comparison", "China default value before mark-up", markup["base_t_per_t"], "t CO2e/t"],
        ["comparison", "direct emissions minus the default incl. mark-up",
         None if direct["value"] is None or default["limit"] is None else direct["value"] - default["limit"],
         "t CO2e/t"],
        ["comparison", f"benchmark, {'primary' if primary else 'secondary'} (IR 2025/2620 Annex §5.3, provisional)",
         direct["limit"], "t CO2e/t"],
        ["electricity", "status", "transitional-period reporting (information): not part of the definitive-period "
         "figure for aluminium", ""],
        ["electricity", "specific indirect embedded emissions", indirect, "t CO2/t"],
        ["electricity", "electricity consumed", kwh / 1000, "MWh/t"],
        ["electricity", "emission factor of electricity",
         indirect / (kwh / 1000) if kwh and indirect is not None else "not available: no supplies declared",
         "t CO2/MWh"],
    ]
    for supply in report["electricity"]["supply_factors"]:  # each supply: its factor, which basis, the grid's own
        rows += [["electricity", f"supply {supply['id']} ({supply['kind']}, {supply['mwh']:,.0f} MWh): factor",
                  supply["cbam_kg_per_kwh"], "t CO2/MWh"],
                 ["electricity", f"supply {supply['id']}: basis", supply["basis_notes"].get("cbam", ""), ""]]
    if primary:
        rows += [
            ["PFC", "method", pfc_method(inputs), ""],
            ["PFC", "cell technology", electrolysis.get("cell_technology", ""), ""],
            ["PFC", "anode-effect minutes", electrolysis.get("anode_effect_min_per_cell_day"), "min/cell-day"],
            ["PFC", "CF4", verdicts["CBAM-7"]["value"], "kg/t"],
            ["PFC", "C2F6", verdicts["CBAM-8"]["value"], "kg/t"],
            ["PFC", "PFC emissions (AR5), in the direct figure", verdicts["CBAM-6"]["value"], "t CO2e/t"],
        ]
    rows += _traceability(report)
    book = Workbook()
    book.active.title = "CBAM summary"
    _table(book.active, ["section", "item", "value", "unit"], rows, [20, 44, 70, 18])
    return _save(book, path)


def _traceability(report: dict) -> list[list]:
    return [["traceability", "certificate number", report["certificate_number"], ""],
            ["traceability", "input SHA-256", report["input_hash"], ""]]
