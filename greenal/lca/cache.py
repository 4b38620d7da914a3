"""Warm starts: the background results the Brightway core computed, kept in the data directory.

Keyed by the bundled data's content hash: a run whose data are unchanged reads the unit
inventories (Lambda) and the background supply matrix from one .npz file and never imports
Brightway. A missing, stale, truncated or garbled file is ignored and rewritten after the
Brightway core has computed the results again.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from greenal.inventory import Inventory


@dataclass(frozen=True)
class BackgroundResults:
    codes: tuple[str, ...]  # background products, the order of both arrays
    unit_inventories: np.ndarray  # (products x flows) cumulative kg per unit of each product
    supply_matrix: np.ndarray  # (products x products) supply of each product per unit demand of another


def path(data_dir: Path, inventory: Inventory) -> Path:
    return data_dir / f"greenal-background-{inventory.content_hash[:16]}.npz"


def load(data_dir: Path, inventory: Inventory) -> BackgroundResults | None:
    """The cached results if they belong to these data, else None (never raises on a bad file)."""
    file = path(data_dir, inventory)
    try:
        with np.load(file, allow_pickle=False) as data:
            if str(data["content_hash"]) != inventory.content_hash:
                return None
            codes = tuple(str(c) for c in data["codes"])
            lam, supply = np.array(data["unit_inventories"]), np.array(data["supply_matrix"])
    except Exception:  # absent, truncated, a directory, garbage: recompute
        return None
    n = len(codes)
    if (codes != tuple(inventory.background) or lam.shape != (n, len(inventory.flows)) or supply.shape != (n, n)
            or not (np.isfinite(lam).all() and np.isfinite(supply).all())):
        return None
    return BackgroundResults(codes, lam, supply)


def save(data_dir: Path, inventory: Inventory, results: BackgroundResults) -> None:
    """Write atomically (temp file, then rename), so a reader never sees half a file."""
    file = path(data_dir, inventory)
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".greenal-background-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, content_hash=np.array(inventory.content_hash), codes=np.array(results.codes),
                     unit_inventories=results.unit_inventories, supply_matrix=results.supply_matrix)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for stale in file.parent.glob("greenal-background-*.npz"):  # results of older data
        if stale != file:
            stale.unlink(missing_ok=True)
