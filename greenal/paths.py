"""Where greenal finds its bundled data and where it keeps its Brightway project."""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR_ENV = "GREENAL_DATA_DIR"


def bundled(name: str) -> Path:
    """A bundled data folder (inventories, methods, templates).

    In a wheel the folders are installed inside the package (setup.cfg maps them there);
    in a checkout they sit beside the package at the repository root.
    """
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"greenal data folder {name!r} not found beside or inside {PACKAGE_DIR}")


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """Per-user data directory for the Brightway project: --data-dir, then GREENAL_DATA_DIR,
    then the platform's user data dir (e.g. ~/.local/share/greenal)."""
    chosen = override or os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir("greenal", appauthor=False)
    path = Path(chosen).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from greenal.errors import InputError

        raise InputError(str(path), "data directory (--data-dir or GREENAL_DATA_DIR)", str(chosen),
                         f"a folder greenal can create and write to ({exc.strerror})") from None
    return path
