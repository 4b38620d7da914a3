"""Command line: a thin click layer over greenal.api. Bad input exits 2 with one clear line."""
from __future__ import annotations

import contextlib
import json
import signal
import sys
import textwrap
import unicodedata
import warnings
from collections import Counter
from pathlib import Path

import click
from click.core import ParameterSource

from greenal import api
from greenal.api import CONFIDENCE, STAGES, DataDirRepaired, in_stage_order
from greenal.errors import GreenalError, InputError
from greenal.registry_cli import keys, registry, verify  # certifier desk (issue 9): loads the registry when run

GWP_CHOICES = ("sar", "ar4", "ar5", "ar6")


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(headers: list[str], rows: list[list], align: str = "", styles: dict | None = None) -> str:
    """A table as text; `align` gives 'l' or 'r' per column (default: first left, the rest right).
    On a terminal a rich table (box lines, colour by cell text via `styles`), else plain text."""
    align = align or "l" + "r" * (len(headers) - 1)
    cells = [[str(h) for h in headers]] + [[f"{c:,.3f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    if _rich():
        return _rich_table(cells, align, styles or {})
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]

    def pad(text, width, side):
        space = " " * (width - _width(text))
        return text + space if side == "l" else space + text

    lines = ["  ".join(pad(c, w, align[i]) for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def mc_options(command):
    """--mc N and --seed S (issue 13): Monte Carlo of a declaration; validated by greenal.uncertainty."""
    command = click.option("--seed", default="0", show_default=True, help="Seed of the Monte Carlo draws.")(command)
    return click.option("--mc", "mc", default=None, metavar="N",
                        help="Monte Carlo with N iterations (1 to 100,000): distributions, verdict probabilities, "
                             "sensitivity, data quality.")(command)


def _mc_args(mc, seed):
    """(iterations, seed) from --mc/--seed, checked before anything is computed; None without --mc."""
    if mc is None:
        return None
    return api.check_monte_carlo(mc, seed)


def _monte_carlo(ctx, result, args, gwp: str, schemes=None):
    """The Monte Carlo of a declaration's result, or None without --mc."""
    if args is None:
        return None
    return api.monte_carlo(result, args[0], args[1], gwp, schemes, ctx.obj["data_dir"])


def _render_mc(d: dict) -> str:
    """Monte Carlo block of the text output."""
    out = [f"Monte Carlo: {d['iterations']:,} iterations, seed {d['seed']} ({d['unit']}, {d['gwp'].upper()})"]
    rows = []
    for basis, entry in d["bases"].items():
        for name, s in [("total", entry["total"]), *entry["by_stage"].items()]:
            rows.append([f"{basis} {name}", s["mean"], s["sd"], s["p2_5"], s["p50"], s["p97_5"]])
    s = d["market_minus_location"]
    rows.append(["market - location", s["mean"], s["sd"], s["p2_5"], s["p50"], s["p97_5"]])
    out += [_table(["", "mean", "sd", "2.5 %", "50 %", "97.5 %"], rows), ""]
    sampled = [v for v in d["verdicts"] if v["sampled"]]
    if sampled:
        out += [_table(["rule", "verdict", "value mean", "threshold", "probability it holds"],
                       [[v["rule"], v["verdict"], v["mean"], v["threshold"],
                         f"{v['probability']:.1%}"] for v in sampled],
                       "llrrr"), ""]
    skipped = sorted({v["reason"] for v in d["verdicts"] if not v["sampled"]})
    out += [f"not sampled: {reason} "
            f"({', '.join(v['rule'] for v in d['verdicts'] if not v['sampled'] and v['reason'] == reason)})"
            for reason in skipped]
    out += ["", "sensitivity (market-based): squared Spearman rank correlation, share"]
    out += [_table(["input", "rho^2", "share"], [[x["description"], x["rho2"], f"{x['share']:.1%}"]
                                                 for x in d["sensitivity"]["market"]], "lrr")]
    q = d["data_quality"]["product"]
    if q:
        out += ["", "data quality (1 best .. 5 worst, CO2e-weighted): " +
                ", ".join(f"{k} {v:.2f}" for k, v in q.items())]
    out += [f"method: {n}" for n in d["notes"]]
    return "\n".join(out)


def _rich() -> bool:
    """Rich tables and colour only when stdout is a terminal; piped output stays plain text."""
    return sys.stdout.isatty()


def _rich_table(cells: list[list[str]], align: str, styles: dict) -> str:
    import io
    import shutil

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(header_style="bold")
    for header, side in zip(cells[0], align, strict=True):
        table.add_column(header, justify="right" if side == "r" else "left", overflow="fold")
    for row in cells[1:]:
        table.add_row(*[_styled(escape(c), c, styles) for c in row])
    buffer = io.StringIO()
    Console(file=buffer, force_terminal=True, color_system="standard",
            width=shutil.get_terminal_size().columns).print(table)
    return buffer.getvalue().rstrip("\n")


def _styled(markup: str, text: str, styles: dict) -> str:
    style = next((v for k, v in styles.items() if text.startswith(k)), "")
    return f"[{style}]{markup}[/]" if style else markup


@contextlib.contextmanager
def _progress(message: str):
    """A spinner on stderr while something slow runs (the first Brightway build, report rendering);
    only when stderr is a terminal, so piped and captured output stay clean."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield


@click.group()
@click.option("--data-dir", type=click.Path(file_okay=False), envvar="GREENAL_DATA_DIR",
              help="Where greenal keeps its Brightway project (default: per-user data dir; env GREENAL_DATA_DIR).")
@click.version_option(package_name="greenal")
@click.pass_context
def main(ctx: click.Context, data_dir: str | None) -> None:
    """greenal: carbon footprint of aluminium, from bauxite to ingot."""
    ctx.obj = {"data_dir": data_dir}


@main.command()
@click.argument("declaration", required=False, type=click.Path(dir_okay=False))
@click.option("--route", default="cn-average", show_default=True,
              help="A bundled route (see `greenal routes`), or 'all'.")
@click.option("--gwp", type=click.Choice(GWP_CHOICES), default=api.DEFAULT_GWP, show_default=True,
              help="IPCC GWP100 set.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--out", type=click.Path(file_okay=False), help="Also write <route>.json and summary.html here "
              "(for a declaration: <declarant>-<product>-<year>.json).")
@mc_options
@click.pass_context
def footprint(ctx: click.Context, declaration: str | None, route: str, gwp: str, as_json: bool,
              out: str | None, mc: str | None, seed: str) -> None:
    """Cradle-to-gate footprint of one tonne: of a DECLARATION (.yaml or .xlsx), location- and
    market-based, or of a bundled route."""
    if declaration and ctx.get_parameter_source("route") is not ParameterSource.DEFAULT:
        raise InputError("command line", "--route", route, "either a declaration file or --route, not both")
    if out:
        api.check_output_folder(out)  # before any work; created only to write
    mc_args = _mc_args(mc, seed)
    if mc is not None and not declaration:
        raise InputError("command line", "--mc", mc, "a DECLARATION file (Monte Carlo runs on a declaration)")
    if declaration:
        with _progress("greenal: computing (the first run builds the Brightway project)…"):
            result = api.declaration_footprint(declaration, ctx.obj["data_dir"])
        document = api.declaration_document(result, gwp)
        mc_result = _monte_carlo(ctx, result, mc_args, gwp)
        if mc_result:
            document["monte_carlo"] = mc_result.to_dict()
        click.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str) if as_json
                   else _render_declaration(document)
                   + ("\n" + _render_mc(document["monte_carlo"]) if mc_result else ""),
                   color=_rich() or None)
        if out:
            path = api.write_declaration_document(out, result, document)
            click.echo(f"wrote {path}", err=as_json)
        return
    codes = list(api.routes()) if route == "all" else [route]
    with _progress("greenal: computing (the first run builds the Brightway project)…"):
        results = {code: api.footprint(code, ctx.obj["data_dir"]) for code in codes}
    if as_json:
        documents = [api.route_document(fp, gwp) for fp in results.values()]
        click.echo(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2, ensure_ascii=False))
    else:
        for code, fp in results.items():
            click.echo(_render(code, fp, gwp), color=_rich() or None)
    if out:
        for path in api.write_route_outputs(out, results, gwp):
            click.echo(f"wrote {path}", err=as_json)


def _render(code: str, fp, gwp: str) -> str:
    d = fp.to_dict(gwp)
    stages = [[s, v] for s, v in in_stage_order(d["by_stage_t_co2e"]).items()]
    gases = [[g, v] for g, v in sorted(d["by_gas_t_co2e"].items())]
    return "\n".join([
        f"{code}: {d['product']}",
        f"  {d['total_t_co2e']:.3f} t CO2e per {d['declared_unit']} (cradle to gate, {d['gwp_name']})",
        "", _table(["stage", "t CO2e"], stages), "", _table(["gas", "t CO2e"], gases),
        f"fossil {d['by_origin_t_co2e']['fossil']:.3f} · biogenic {d['by_origin_t_co2e']['biogenic']:.3f} t CO2e", ""])


def _render_declaration(d: dict) -> str:
    loc, mkt = d["location_based"], d["market_based"]
    out = [f"{d['declarant']} — {d['product']} ({d['declared_unit']}, {loc['gwp_name']})",
           f"  location-based {loc['total_t_co2e']:.3f} · market-based {mkt['total_t_co2e']:.3f} t CO2e per t "
           f"(life-cycle electricity factors, GB/T 24067-2024)", ""]
    for title, key in (("stage", "by_stage_t_co2e"), ("scope", "by_scope_t_co2e"), ("source", "by_source_t_co2e"),
                       ("gas", "by_gas_t_co2e")):
        names = list(dict.fromkeys([*loc[key], *mkt[key]]))
        names = in_stage_order(names) if key == "by_stage_t_co2e" else names
        rows = [[n, loc[key].get(n, 0.0), mkt[key].get(n, 0.0)] for n in names]
        out += [_table([title, "location t CO2e", "market t CO2e"], rows), ""]
    e = d["electricity"]
    supplies = ("none declared: conservative default" if e["default_supply"] else
                f"{e['consumption_mwh']:,.0f} MWh, certificates {e['certified_mwh']:,.0f} MWh")
    scope2 = ("not available (no supplies declared)" if e["default_supply"] else
              f"location {e['scope2_official_t_per_t']['location']:.5f} · market "
              f"{e['scope2_official_t_per_t']['market']:.5f} t CO2/t")
    out += [f"site electricity {e['site_kwh_per_t']:,.0f} kWh/t; supplies {supplies}",
            f"scope 2 with official combustion-only factors (CO2 only): {scope2}",
            f"primary (site) data share: location {loc['primary_data_share']:.1%} · "
            f"market {mkt['primary_data_share']:.1%}",
            ""]
    if e["residual_basis"]:
        out += [f"market-based residual basis: {e['residual_basis']}"]
    out += ["", _table(["supply", "MWh", "certified MWh", "life-cycle loc kg/kWh", "life-cycle mkt kg/kWh",
                        "scope 2 mkt kg/kWh"],
                       [[s["id"] + (" (supplier-specific)" if s["supplier_specific"] else ""), s["mwh"],
                         s["certified_mwh"], s["life_cycle_location_kg_per_kwh"], s["life_cycle_market_kg_per_kwh"],
                         s["scope2_market_kg_per_kwh"]] for s in e["supply_factors"]]), "",
            f"recycled-content rule: {d['recycled_content_rule']}", ""]
    out += [line for n in d["notes"] for line in textwrap.wrap(f"note: {n}", width=100, subsequent_indent="      ")]
    return "\n".join(out)


@main.command()
@click.argument("output", type=click.Path(dir_okay=False))
@click.option("--lang", type=click.Choice(("zh", "en")), default="zh", show_default=True,
              help="Language first in headers.")
@click.option("--yaml", "as_yaml", is_flag=True,
              help="Write the commented YAML form instead of the Excel questionnaire.")
@click.option("--from", "source", type=click.Path(dir_okay=False, exists=True),
              help="Fill it with this declaration (.yaml or .xlsx).")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
def template(output: str, lang: str, as_yaml: bool, source: str | None, force: bool) -> None:
    """Write a declaration questionnaire (.xlsx) or its YAML form to OUTPUT (an existing file
    only with --force)."""
    if (Path(output).exists() or Path(output).is_symlink()) and not force:
        raise InputError("command line", "OUTPUT", output, "a file that does not exist yet (or --force to replace it)")
    if not as_yaml and not Path(output).is_dir() and not output.lower().endswith(".xlsx"):
        raise InputError("command line", "OUTPUT", output, "a file name ending in .xlsx (or use --yaml)")
    api.template(output, lang, as_yaml, source, force)
    click.echo(f"wrote {output}")


def _number(value, unit: str = "", signed: bool = False) -> str:
    if value is None:
        return "–"
    if unit == "yes/no":
        return "yes" if value >= 1 else "no"
    sign = "+" if signed and value > 0 else ""
    digits = 0 if abs(value) >= 100 else 3 if abs(value) >= 1 else 4
    return f"{sign}{value:,.{digits}f}"


@main.command()
@click.argument("declaration", required=False, type=click.Path(dir_okay=False))
@click.option("--fleet", "fleet_file", type=click.Path(dir_okay=False), help="Assess a group of plants (fleet.yaml).")
@click.option("--scheme", "scheme_codes", multiple=True, help="Only these schemes (see `greenal schemes`); repeatable.")
@click.option("--gwp", type=click.Choice(GWP_CHOICES), default=api.DEFAULT_GWP, show_default=True)
@click.option("--lang", type=click.Choice(("zh", "en")), default="en", show_default=True,
              help="Language of rule titles.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
@mc_options
@click.pass_context
def assess(ctx: click.Context, declaration: str | None, fleet_file: str | None, scheme_codes: tuple, gwp: str,
           lang: str, as_json: bool, mc: str | None, seed: str) -> None:
    """Check a DECLARATION (or --fleet) against every rule of the bundled schemes."""
    if bool(declaration) == bool(fleet_file):
        raise InputError("command line", "DECLARATION / --fleet", declaration or fleet_file,
                         "either a declaration file or --fleet FILE")
    mc_args = _mc_args(mc, seed)
    if fleet_file and mc is not None:
        raise InputError("command line", "--mc", mc,
                         "a DECLARATION file (Monte Carlo runs on a declaration, not --fleet)")
    mc_result = None
    if fleet_file:
        verdicts = api.assess_fleet(fleet_file, scheme_codes)
    else:
        assert declaration  # one of the two, checked above
        with _progress("greenal: computing (the first run builds the Brightway project)…"):
            result = api.declaration_footprint(declaration, ctx.obj["data_dir"])
        verdicts = api.assess(result, scheme_codes, gwp)
        mc_result = _monte_carlo(ctx, result, mc_args, gwp, list(scheme_codes) or None)
    if as_json:
        rows = [v.to_dict() for v in verdicts]
        if mc_result:
            probabilities = {v["rule"]: v for v in mc_result.to_dict()["verdicts"]}
            rows = [{**row, "monte_carlo": probabilities.get(row["rule"])} for row in rows]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    headers, table_rows, notes = _verdict_table([v.to_dict() for v in verdicts], lang)
    click.echo(_table(headers, table_rows, "llrrrll",
                      styles={_VERDICT_WORD(lang, "pass"): "green", _VERDICT_WORD(lang, "fail"): "bold red"}),
               color=_rich() or None)  # click keeps the colour codes only when told the output is a terminal
    click.echo(notes)
    if mc_result:
        click.echo("\n" + _render_mc(mc_result.to_dict()))


def _VERDICT_WORD(lang: str, verdict: str) -> str:
    return api.translator(lang)("verdict_" + verdict)


def _verdict_table(verdicts: list[dict], lang: str) -> tuple[list[str], list[list], str]:
    """Headers and rows of the verdict table (full titles) and each rule's clause, source and note,
    wrapped to 100 columns; words from the message catalogue in `lang` (rule ids, units and
    citations as written)."""
    t = api.translator(lang)
    rows = []
    for d in verdicts:
        verdict = t("verdict_" + d["verdict"]) + (f" ({t.term('grade', d['grade'])})" if d["grade"] else "")
        value = "–" if d["value"] is None else (t("yes") if d["value"] >= 1 else t("no")) if d["unit"] == "yes/no" \
            else f"{_number(d['value'], d['unit'])} {t.term('unit', d['unit'])}"
        rows.append([d["rule"], d["title_zh" if lang == "zh" else "title_en"], value, t.text(d["threshold"]),
                     _number(d["margin"], signed=True) if d["unit"] != "yes/no" else "–", verdict,
                     t.term("certainty", d["certainty"])])
    headers = [t("rule"), t("title"), t("value"), t("threshold"), t("margin"), t("verdict"), t("certainty")]
    lines = [""]
    for d in verdicts:
        note = d.get(f"note_{lang}") or (t.text(d["note"]) if d["note"] else "")
        note = f" [{note}]" if note else ""
        lines += textwrap.wrap(f"{d['rule']}: {d['clause']} — {d['source']}{note}", width=100,
                               subsequent_indent="    ", break_long_words=False) or [""]
    return headers, rows, "\n".join(lines)


@main.command()
@click.argument("declaration", type=click.Path(dir_okay=False))
@click.option("--format", "formats", default="html,pdf,xlsx,pact,cbam", show_default=True,
              help="Comma-separated: html, pdf, xlsx, pact, cbam.")
@click.option("--lang", default="zh", show_default=True,
              help="zh, en, or both (zh,en): one run writes every language's documents.")
@click.option("--gwp", type=click.Choice(GWP_CHOICES), default=api.DEFAULT_GWP, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default="out", show_default=True)
@mc_options
@click.pass_context
def report(ctx: click.Context, declaration: str, formats: str, lang: str, gwp: str, out: str, mc: str | None,
           seed: str) -> None:
    """Write the footprint report, the certificate, the Excel workbook, PACT JSON and CBAM data."""
    chosen = api.report_formats(formats)
    langs = api.report_langs(lang)
    mc_args = _mc_args(mc, seed)
    with _progress("greenal: computing (the first run builds the Brightway project)…"):
        result = api.declaration_footprint(declaration, ctx.obj["data_dir"])
    mc_result = _monte_carlo(ctx, result, mc_args, gwp)
    with _progress(f"greenal: rendering {', '.join(chosen)}…"):
        written = api.report(result, out, chosen, langs, gwp, ctx.obj["data_dir"], mc=mc_result)
    for path in written:
        click.echo(f"wrote {path}")


@main.command()
def schemes() -> None:
    """List every scheme and rule with its source document and effective date."""
    for scheme in api.schemes().values():
        click.echo(f"{scheme.code}: {scheme.name['en']} / {scheme.name['zh']}")
        click.echo(f"  {scheme.document}; effective {scheme.effective}")
        for r in scheme.rules:
            level = " [fleet]" if r.level == "fleet" else ""
            click.echo(f"  {r.id}{level}: {r.title['en']} — {r.test} {r.threshold_text()} {r.unit} "
                       f"({r.clause}; threshold {r.certainty})")
        click.echo("")


@main.command()
@click.argument("declaration", required=False, type=click.Path(dir_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(("brightway", "olca-jsonld")), default="brightway",
              show_default=True,
              help="brightway: the routes (and DECLARATION) as activities in greenal's Brightway project; "
                   "olca-jsonld: the inventories, routes (and DECLARATION) and GWP methods as an openLCA 2 zip.")
@click.option("--out", type=click.Path(dir_okay=False), help="The .zip file to write (olca-jsonld).")
@click.pass_context
def export(ctx: click.Context, declaration: str | None, fmt: str, out: str | None) -> None:
    """Export the routes, and a declaration's product systems, to an LCA tool's format."""
    if fmt == "brightway" and out:
        raise InputError("command line", "--out", out,
                         "no --out with --format brightway (it writes into greenal's project)")
    if fmt == "olca-jsonld" and not out:
        raise InputError("command line", "--out", None, "the .zip file to write (--out FILE.zip)")
    result = api.export(fmt, declaration, out, ctx.obj["data_dir"])
    if isinstance(result, api.OlcaExport):
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(result.entities.items()))
        click.echo(f"wrote {result.path} (openLCA JSON-LD: {counts})")
        for name in result.systems:
            click.echo(f"  product system: {name}")
        return
    click.echo(f"Brightway database {result.database!r} in greenal's project "
               f"(data dir {ctx.obj['data_dir'] or 'default'}):")
    for name, (_, code) in result.activities.items():
        click.echo(f"  {name}: ({result.database!r}, {code!r})")


@main.command()
@click.option("--kind", type=click.Choice(("declaration", "scheme", "inventory")), default="declaration",
              show_default=True, help="Which file format.")
def schema(kind: str) -> None:
    """Print the JSON Schema (Draft 2020-12) of a declaration, a scheme file or an inventory file."""
    click.echo(json.dumps(api.schema(kind), indent=2, ensure_ascii=False))


@main.command()
def routes() -> None:
    """List the bundled production routes."""
    processes = api.processes()
    for code, r in api.routes().items():
        click.echo(f"{code}: {r.name}\n  product: {r.product} ({processes[r.product].name})\n  {r.description}")
        if r.sources:
            click.echo(f"  sources: {', '.join(r.sources)} (inventories/sources.yaml)")
        for s in r.substitutions:
            scope = f" in {', '.join(s.within)}" if s.within else ""
            click.echo(f"  uses {s.with_} instead of {s.replace}{scope}")
        click.echo("")


@main.command()
@click.option("--stage", type=click.Choice(STAGES + ("background",)), help="Only this stage.")
@click.option("--confidence", type=click.Choice(tuple(CONFIDENCE)), help="Only exchanges with this confidence.")
@click.option("--sources", "show_sources", is_flag=True, help="Print every exchange with its full citation.")
def inventories(stage: str | None, confidence: str | None, show_sources: bool) -> None:
    """List the bundled process inventories with their sources and confidence."""
    inventory = api.inventory()
    for p in inventory.processes.values():
        if stage and (p.stage or "background") != stage:
            continue
        exchanges = [e for e in p.exchanges if confidence in (None, e.confidence)]
        if confidence and not exchanges:
            continue
        tags = Counter(e.confidence for e in exchanges)
        click.echo(f"{p.code} [{p.stage or 'background'}, {p.location}, per {p.unit}] {p.name}")
        click.echo(f"  {p.file}; sources: {', '.join(sorted({e.source.ref for e in exchanges})) or '-'}; "
                   f"confidence: {', '.join(f'{k} {v}' for k, v in sorted(tags.items())) or '-'}")
        if show_sources or confidence:
            for e in exchanges:
                click.echo(f"    {e.target}: {e.amount:g} {e.unit} [{e.confidence}] {e.source.cite(inventory.sources)}")


def _show_note(message, category, filename, lineno, file=None, line=None) -> None:
    """greenal's own warnings (e.g. a repaired data directory) as one 'note:' line on stderr."""
    if issubclass(category, DataDirRepaired):
        click.echo(f"note: {message}", err=True)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


_python_showwarning = warnings.showwarning


def _exit_on_signal(number, frame) -> None:
    raise SystemExit(128 + number)


for _command in (registry, keys, verify):
    main.add_command(_command)
from greenal.service.cli import serve  # noqa: E402  (web service and PACT API, issue 14)
main.add_command(serve)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--product", "product_files", multiple=True, type=click.Path(dir_okay=False),
              help="A product file (repeatable); shipments name its product.id, or a product file path.")
@click.option("--gwp", type=click.Choice(GWP_CHOICES), default=api.DEFAULT_GWP, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Directory for the outputs.")
@click.pass_context
def shipments(ctx: click.Context, file: str, product_files: tuple, gwp: str, out: str) -> None:
    """Per-shipment footprints, PACT per product, CBAM summary and the claims ledger from a
    shipments file (csv or xlsx; parquet with pyarrow). A bad row or an overdrawn claim: exit 2, nothing written."""
    run, written = api.shipments(file, out, product_files, gwp, ctx.obj["data_dir"], progress=sys.stderr.isatty())
    click.echo(f"{len(run.rows)} shipments, {len(run.products)} products")
    for path in written:
        click.echo(f"wrote {path}")


def run() -> None:
    """Entry point: a GreenalError becomes one line on stderr and its exit status (2 for bad input,
    3 for a missing tool), never a traceback."""
    warnings.showwarning = _show_note
    for name in ("SIGTERM", "SIGHUP"):  # so `finally` blocks remove temp folders and stop Chromium
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _exit_on_signal)
    try:
        main.main(standalone_mode=False)
    except GreenalError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_status)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `greenal`: the help text
            exc.show()
        else:  # one line, like every other bad input
            click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    run()
