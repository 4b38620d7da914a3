"""greenal's Python API: what the command line does, with the same names."""
from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from greenal.errors import InputError
from greenal.inventory import Process, Route, bundled_inventory
from greenal.lca.engine import Engine, Footprint
from greenal.paths import data_dir as resolve_data_dir

DEFAULT_GWP = "ar6"


@cache
def _engine(resolved_data_dir: Path) -> Engine:
    return Engine(bundled_inventory(), resolved_data_dir)


def engine(data_dir: str | os.PathLike | None = None) -> Engine:
    """The footprint engine on the bundled data; its Brightway project lives in `data_dir`."""
    return _engine(resolve_data_dir(data_dir))


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


def export_brightway(declaration: str | os.PathLike | None = None,
                     data_dir: str | os.PathLike | None = None) -> dict[str, tuple[str, str]]:
    """Every route, and a declaration's location- and market-based systems, as activities of the
    `greenal-foregrounds` database in greenal's Brightway project; returns name -> activity key."""
    from greenal.lca.export import to_brightway

    eng = engine(data_dir)
    foregrounds = {code: eng.route_foreground(route) for code, route in routes().items()}
    if declaration is not None:
        result = declaration_footprint(declaration, data_dir)
        foregrounds[result.location.name] = result.location_foreground
        foregrounds[result.market.name] = result.market_foreground
    return to_brightway(eng, foregrounds, resolve_data_dir(data_dir))


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
