"""The typed objects greenal's API returns, in one place.

Declared here: the export summaries (new with the exports). Re-exported, lazily (importing this
module imports neither Brightway nor the report stack): the result classes that live next to
the code computing them.

    Footprint          greenal.lca.engine       a route's or system's inventory; CO2e per GWP set
    Foreground         greenal.lca.engine       the foreground processes a footprint was computed on
    Declaration        greenal.declaration.model  a producer's declaration as read
    DeclarationResult  greenal.model.site       location- and market-based footprints of a declaration
    Verdict            greenal.standards.engine one rule's verdict
    MonteCarloResult   greenal.uncertainty.montecarlo  uncertainty of a declaration's results
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

_LAZY = {
    "Footprint": "greenal.lca.engine",
    "Foreground": "greenal.lca.engine",
    "Declaration": "greenal.declaration.model",
    "DeclarationResult": "greenal.model.site",
    "Verdict": "greenal.standards.engine",
    "MonteCarloResult": "greenal.uncertainty.montecarlo",
}


@dataclass(frozen=True)
class BrightwayExport:
    """What `greenal export --format brightway` wrote: the database and each system's product activity."""
    database: str
    activities: dict[str, tuple[str, str]]  # system name -> (database, code)


@dataclass(frozen=True)
class OlcaExport:
    """What `greenal export --format olca-jsonld` wrote."""
    path: Path
    systems: tuple[str, ...]  # product systems (routes, declared systems) in the zip
    entities: dict[str, int] = field(default_factory=dict)  # openLCA type -> count


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'greenal.results' has no attribute {name!r}")


__all__ = ["BrightwayExport", "OlcaExport", *_LAZY]
