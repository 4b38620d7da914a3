"""greenal: carbon footprint of aluminium, from bauxite to ingot, under the standards that apply.

The operations are those of greenal.api, importable from here (`greenal.footprint("cn-average")`),
and the objects they return those of greenal.results. Both are loaded on first use: `import
greenal` reads neither the data nor Brightway.
"""
from __future__ import annotations

import importlib

from greenal.errors import DataError, GreenalError, InputError, MissingTool, RegistryError, StandardsError

_API = ("DEFAULT_GWP", "assess", "assess_fleet", "declaration_footprint", "engine", "export", "export_brightway",
        "export_olca", "footprint", "monte_carlo", "processes", "product_footprint", "read_declaration",
        "routes", "schema", "shipments", "template")  # not `report`: greenal.report is the renderers' package;
# write reports with greenal.api.report
_RESULTS = ("BrightwayExport", "Declaration", "DeclarationResult", "Footprint", "Foreground", "MonteCarloResult",
            "OlcaExport", "Verdict")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # reads the metadata: only when asked

    try:
        return version("greenal")
    except PackageNotFoundError:  # a checkout that was never installed
        return "0+checkout"


def __getattr__(name: str):
    if name == "__version__":
        return _version()
    if name in _API:
        return getattr(importlib.import_module("greenal.api"), name)
    if name in _RESULTS:
        return getattr(importlib.import_module("greenal.results"), name)
    raise AttributeError(f"module 'greenal' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "__version__", *_API, *_RESULTS})


__all__ = ["DataError", "GreenalError", "InputError", "MissingTool", "RegistryError", "StandardsError", "__version__",
           *_API, *_RESULTS]
