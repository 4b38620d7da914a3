"""greenal's Python API: what the command line does, with the same names.

The command line (greenal/cli.py), the benchmarks and the service call these functions; the
objects they return are listed in greenal/results.py."""
from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from greenal.errors import DataDirRepaired as DataDirRepaired  # re-exported: a repaired data dir's warning
from greenal.errors import InputError
from greenal.inventory import CONFIDENCE as CONFIDENCE  # re-exported: the data's confidence tags
from greenal.inventory import STAGES as STAGES  # re-exported: the stages in life-cycle order
from greenal.inventory import in_stage_order as in_stage_order  # re-exported
from greenal.inventory import Inventory, Process, Route, bundled_inventory
from greenal.lca.engine import Engine, Footprint
from greenal.paths import data_dir as resolve_data_dir
from greenal.results import BrightwayExport, OlcaExport

DEFAULT_GWP = "ar6"


@cache
def _engine(resolved_data_dir: Path) -> Engine:
    return Engine(bundled_inventory(), resolved_data_dir)


def engine(data_dir: str | os.PathLike | None = None) -> Engine:
    """The footprint engine on the bundled data; its Brightway project lives in `data_dir`."""
    return _engine(resolve_data_dir(data_dir))


def inventory() -> Inventory:
    """The bundled inventories, routes, sources and GWP methods."""
    return bundled_inventory()


def schemes() -> dict:
    """The bundled rule sets (methods/schemes), by code."""
    from greenal.standards.engine import schemes as all_schemes

    return all_schemes()


def translator(lang: str):
    """The message catalogue's words in `lang` ('zh' or 'en'): t(key), t.term(kind, word), t.text(phrase)."""
    from greenal.report.i18n import translator as catalogue

    return catalogue(lang)


def routes() -> dict[str, Route]:
    return bundled_inventory().routes


def processes() -> dict[str, Process]:
    return bundled_inventory().processes


def footprint(route: str = "cn-average", data_dir: str | os.PathLike | None = None) -> Footprint:
    """Cradle-to-gate inventory of one tonne of the route's product (read CO2e per GWP set from it)."""
    if route not in routes():
        raise InputError("route", "route code", route, f"one of {list(routes())}")
    return engine(data_dir).route_footprint(route)


def read_declaration(path: str | os.PathLike):
    """A declaration from YAML (.yaml/.yml) or the Excel questionnaire (.xlsx)."""
    from greenal.declaration.excel import read_workbook
    from greenal.declaration.yaml_io import read_yaml

    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "file", str(path), "an existing declaration file (.yaml or .xlsx)")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return read_yaml(path)
    if suffix == ".xlsx":
        return read_workbook(path)
    raise InputError(str(path), "file name", suffix or "(no extension)",
                     ".yaml, .yml or .xlsx (macro-enabled .xlsm and old .xls workbooks are refused)")


def declaration_footprint(path: str | os.PathLike, data_dir: str | os.PathLike | None = None):
    """Location- and market-based footprints of one tonne of a declaration's product.

    The declaration is read and checked before the Brightway project is built or opened, so a
    bad file fails at once and leaves nothing on disk."""
    from greenal.model.site import declaration_footprint as compute

    declaration = read_declaration(path)  # checked before the Brightway project is opened
    return compute(engine(data_dir), declaration)


def check_monte_carlo(iterations, seed=0) -> tuple[int, int]:
    """(iterations, seed) checked (1 to the stated cap; a whole number) before anything is computed."""
    from greenal.uncertainty import check_iterations, check_seed

    return check_iterations(iterations), check_seed(seed)


def monte_carlo(result, iterations: int, seed: int = 0, gwp: str = DEFAULT_GWP, schemes=None,
                data_dir: str | os.PathLike | None = None):
    """Monte Carlo of a declaration's result (issue 13): distributions, verdict probabilities,
    sensitivity and data quality; `iterations` and `seed` are checked first."""
    from greenal.uncertainty import check_iterations, check_seed, monte_carlo as run

    return run(engine(data_dir), result, check_iterations(iterations), check_seed(seed), gwp, schemes)


def assess(declaration, schemes: list[str] | tuple[str, ...] | None = None, gwp: str = DEFAULT_GWP,
           data_dir: str | os.PathLike | None = None) -> list:
    """Every rule of the bundled schemes (or of `schemes`) judged on a declaration (a file, or the
    result of declaration_footprint): Verdicts."""
    from greenal.standards.engine import assess as assess_plant

    return assess_plant(_result(declaration, data_dir), list(schemes) if schemes else None, gwp)


def _result(declaration, data_dir):
    """A declaration's result: computed from a file path, or as given."""
    return declaration_footprint(declaration, data_dir) if isinstance(declaration, (str, os.PathLike)) else declaration


def assess_fleet(path: str | os.PathLike, schemes: list[str] | tuple[str, ...] | None = None) -> list:
    """The fleet rules judged on a group of plants (fleet.yaml): Verdicts."""
    from greenal.standards.fleet import assess_fleet as run, read_fleet

    return run(read_fleet(Path(path)), list(schemes) if schemes else None)


def report(declaration, out: str | os.PathLike, formats=("html", "pdf", "xlsx", "pact", "cbam"),
           lang: str | Sequence[str] = "zh", gwp: str = DEFAULT_GWP, data_dir: str | os.PathLike | None = None,
           mc=None) -> list[Path]:
    """Write a declaration's (a file, or the result of declaration_footprint) report, certificate,
    workbook, PACT JSON and CBAM data into `out`; `lang`: 'zh', 'en' or both ('zh,en' or a
    sequence); `mc`: a MonteCarloResult to include. Returns the files written."""
    from greenal.report.render import write_reports

    chosen = report_formats(formats)
    langs = report_langs(lang)
    return write_reports(_result(declaration, data_dir), engine(data_dir), chosen, langs, Path(out), gwp, mc=mc)


def report_formats(formats) -> list[str]:
    """The report formats chosen ('html,pdf' or a sequence), checked."""
    from greenal.report.render import parse_formats

    return parse_formats(formats)


def report_langs(langs) -> list[str]:
    """The report languages chosen ('zh', 'en', 'zh,en' or a sequence), checked."""
    from greenal.report.render import parse_langs

    return parse_langs(langs)


def check_output_folder(out: str | os.PathLike) -> None:
    """A folder outputs can be written to (checked before any work; created only to write)."""
    from greenal.report.staging import writable_folder

    writable_folder(Path(out), create=False)


def route_document(fp: Footprint, gwp: str = DEFAULT_GWP) -> dict:
    """A route's footprint as the JSON document `greenal footprint --json` prints."""
    import json

    from greenal.report.summary import result_json

    return json.loads(result_json(fp, gwp))


def declaration_document(result, gwp: str = DEFAULT_GWP) -> dict:
    """A declaration's location- and market-based result as a JSON-ready document."""
    from greenal.report.summary import declaration_document as document

    return document(result, gwp)


def write_route_outputs(out: str | os.PathLike, results: dict[str, Footprint], gwp: str = DEFAULT_GWP) -> list[Path]:
    """<route>.json per route and summary.html into `out`."""
    from greenal.report.summary import write_outputs

    return write_outputs(Path(out), results, gwp)


def write_declaration_document(out: str | os.PathLike, result, document: dict) -> Path:
    """The declaration's document as <declarant>-<product>-<year>.json in `out` (written whole)."""
    import json

    from greenal.files import write_atomic
    from greenal.report.render import output_stem

    path = Path(out) / f"{output_stem(result.declaration)}.json"
    write_atomic(path, json.dumps(document, indent=2, ensure_ascii=False, default=str))
    return path


def template(output: str | os.PathLike, lang: str = "zh", as_yaml: bool = False,
             source: str | os.PathLike | None = None, force: bool = False) -> Path:
    """Write the declaration questionnaire (.xlsx), or its commented YAML form, to `output`,
    filled from the declaration `source` if given; an existing file only with `force`."""
    import yaml

    from greenal.declaration.excel import write_workbook
    from greenal.declaration.yaml_io import yaml_template
    from greenal.files import write_atomic

    output = Path(output)
    if (output.exists() or output.is_symlink()) and not force:
        raise InputError(str(output), "output file", str(output),
                         "a file that does not exist yet (or force to replace it)")
    if output.is_dir():
        raise InputError(str(output), "output file", str(output), "a file name (this is a folder)")
    if not as_yaml and output.suffix.lower() != ".xlsx":
        raise InputError(str(output), "output file", str(output), "a file name ending in .xlsx (or the YAML form)")
    declaration = read_declaration(source) if source else None
    if as_yaml:
        text = (yaml.safe_dump(declaration.to_mapping(), allow_unicode=True, sort_keys=False) if declaration
                else yaml_template(lang))
        write_atomic(output, text)
    else:
        write_workbook(output, lang, declaration)
    return output


def _systems(declaration: str | os.PathLike | None, data_dir: str | os.PathLike | None):
    """(name, foreground, location) of every route and of a declaration's two systems."""
    eng = engine(data_dir)
    systems = [(code, eng.route_foreground(route), eng.inventory.processes[route.product].location)
               for code, route in routes().items()]
    if declaration is not None:
        result = declaration_footprint(declaration, data_dir)
        location = result.declaration.country
        systems.append((result.location.name, result.location_foreground, location))
        systems.append((result.market.name, result.market_foreground, location))
    return eng, systems


def export_brightway(declaration: str | os.PathLike | None = None,
                     data_dir: str | os.PathLike | None = None) -> dict[str, tuple[str, str]]:
    """Every route, and a declaration's location- and market-based systems, as activities of the
    `greenal-foregrounds` database in greenal's Brightway project; returns name -> activity key."""
    from greenal.lca.export import to_brightway

    eng, systems = _systems(declaration, data_dir)
    return to_brightway(eng, {name: fg for name, fg, _ in systems}, resolve_data_dir(data_dir))


def export_olca(out: str | os.PathLike, declaration: str | os.PathLike | None = None,
                data_dir: str | os.PathLike | None = None) -> OlcaExport:
    """The bundled inventories, every route and a declaration's location- and market-based
    systems, with the GWP methods, as an openLCA 2 JSON-LD zip at `out` (written whole or not at all)."""
    from greenal.lca.olca import System, write_zip

    out = Path(out)
    if out.suffix.lower() != ".zip":
        raise InputError(str(out), "output file", str(out), "a file name ending in .zip")
    if out.is_dir():
        raise InputError(str(out), "output file", str(out), "a file name (this is a folder)")
    if not out.parent.is_dir():
        raise InputError(str(out), "output file", str(out), "a file in an existing folder")
    eng, systems = _systems(declaration, data_dir)
    chosen = [System(name, fg, location) for name, fg, location in systems]
    counts = write_zip(eng.inventory, chosen, out)
    return OlcaExport(out, tuple(s.name for s in chosen), counts)


def export(fmt: str, declaration: str | os.PathLike | None = None, out: str | os.PathLike | None = None,
           data_dir: str | os.PathLike | None = None) -> BrightwayExport | OlcaExport:
    """`greenal export`: 'brightway' (into greenal's Brightway project) or 'olca-jsonld' (a zip at `out`)."""
    if fmt == "brightway":
        from greenal.lca.export import FOREGROUND_DB

        return BrightwayExport(FOREGROUND_DB, export_brightway(declaration, data_dir))
    if fmt == "olca-jsonld":
        if out is None:
            raise InputError("export", "output file", None, "the .zip file to write")
        return export_olca(out, declaration, data_dir)
    raise InputError("export", "format", fmt, "brightway or olca-jsonld")


def schema(kind: str = "declaration") -> dict:
    """The JSON Schema (Draft 2020-12) of greenal's declaration, scheme or inventory files."""
    from greenal.schemas import json_schema

    return json_schema(kind)


def product_footprint(path: str | os.PathLike, data_dir: str | os.PathLike | None = None):
    """Location- and market-based footprints of one tonne of a product file's product (greenal.supply)."""
    from greenal.supply.products import product_footprint as compute, read_product

    return compute(engine(data_dir), read_product(Path(path)))


def shipments(path: str | os.PathLike, out: str | os.PathLike, product_files=(), gwp: str = DEFAULT_GWP,
              data_dir: str | os.PathLike | None = None, progress: bool = False):
    """Check every shipment row, book the claims, and write per-shipment footprints, PACT per product,
    the CBAM summary and the ledger into `out` (nothing is written if any row is refused)."""
    from greenal.supply.shipments import run_shipments, write_outputs

    run = run_shipments(engine(data_dir), path, product_files, gwp, progress)
    return run, write_outputs(run, out, gwp)
