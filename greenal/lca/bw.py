"""The Brightway adapter: the only module that imports bw2data, bw2calc and bw_processing.

- The bundled inventory is written once into a Brightway project named after its content
  hash (nodes, exchanges, GWP methods), so users can browse it with Brightway tools; the
  project is rebuilt only when the bundled data change. Nothing is downloaded (no bw2setup).
- One process at a time builds or checks the project: an exclusive lock (flock) on
  <data dir>/greenal.lock, taken before bw2data is even imported (its import writes
  projects.db). A build goes into a temporary project, gets its marker, and is then renamed
  to the content-hash name, so the real name only ever holds a whole project.
- A damaged data directory (marker or databases truncated, empty, garbage or replaced by a
  directory) is detected, removed and rebuilt; each repair is reported as a
  `DataDirRepaired` warning (the CLI shows it as a note; this module never prints).
- bw2data stores amounts as float32. The calculation therefore never reads bw2data's
  processed arrays: it feeds bw2calc float64 datapackages built from the same inventory,
  indexed by the project's node ids.
- The background (processes without a stage) is factorised once; `Background.unit_inventories`
  then solves one demand per background product against that single factorisation.
"""
from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import shutil
import sqlite3
import warnings
import zipfile
from pathlib import Path

import numpy as np

from greenal.errors import DataDirRepaired, InputError
from greenal.inventory import Inventory

try:
    import fcntl
except ImportError:  # not POSIX: no advisory locks; concurrent first runs are then unprotected
    fcntl = None  # type: ignore[assignment]  # the name stays bound; callers test it for None

PROJECT_PREFIX = "greenal-"
BUILD_PREFIX = "greenal-build-"
BIOSPHERE_DB = "greenal-biosphere"
TECHNOSPHERE_DB = "greenal-inventories"
MARKER = "greenal-build.json"
LOCK = "greenal.lock"


@contextlib.contextmanager
def _quiet():
    """Brightway prints progress bars, log lines and a pypardiso hint; greenal's output stays clean."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def _older_objects_frozen():
    """bw2data runs a full gc.collect() on every switch of SQLite file (bw2data.sqlite
    SubstitutableDatabase.change_path), nine times a build; freezing the objects that were alive
    before lets each collection walk only the build's own (in a big process, such as a test
    worker or the web service, this was most of a build's time). bw2data collects to free SQLite
    handles Windows would not let it delete or rename; there, one full collection first frees
    those that were garbage already."""
    if gc.get_freeze_count():  # somebody else froze: leave their choice alone
        yield
        return
    if os.name == "nt":
        gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _remove(path: Path) -> None:
    """Remove a file, a link or a directory tree, whichever `path` is."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextlib.contextmanager
def data_dir_lock(data_dir: Path):
    """Exclusive lock on <data_dir>/greenal.lock for the duration of the block (released by the
    kernel if the process dies, so a killed build never blocks the next run)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise InputError(str(data_dir), "data directory", str(data_dir),
                         f"a folder greenal can write to ({exc.strerror}); choose one with --data-dir") from None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _sqlite_problem(path: Path, table: str) -> str | None:
    """Why the SQLite file at `path` cannot be used (None if it opens, passes quick_check and has `table`)."""
    if not path.is_file():
        return f"{path} is not a file"
    if path.stat().st_size == 0:
        return f"{path} is empty"
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                return f"{path} fails SQLite's integrity check"
            if not db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone():
                return f"{path} has no table {table}"
    except sqlite3.Error as exc:
        return f"{path} is not a readable SQLite database ({exc})"
    return None


def _json_file(path: Path):
    """The JSON in `path`, or None if it is missing, not a file, empty, truncated or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _project_problem(project_dir: Path, inventory: Inventory) -> tuple[str | None, dict[str, int] | None]:
    """(what is wrong with the built project, None) or (None, its node ids by code)."""
    marker_path = project_dir / MARKER
    if not marker_path.exists() and not marker_path.is_symlink():
        return "an interrupted build (no completion marker)", None
    marker = _json_file(marker_path)
    codes = set(inventory.processes) | set(inventory.flows)
    if not isinstance(marker, dict) or not isinstance(marker.get("ids"), dict):
        return f"the completion marker {marker_path} is damaged (not the JSON greenal wrote)", None
    if marker.get("content_hash") != inventory.content_hash:
        return f"the completion marker {marker_path} names other data", None
    ids = marker["ids"]
    if set(ids) != codes or not all(isinstance(v, int) and not isinstance(v, bool) for v in ids.values()):
        return f"the completion marker {marker_path} lists other nodes than the bundled inventory", None
    database = project_dir / "lci" / "databases.db"
    problem = _sqlite_problem(database, "activitydataset")
    if problem:
        return problem, None
    try:
        with contextlib.closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as db:
            stored = {code: node for node, code in db.execute(
                "SELECT id, code FROM activitydataset WHERE database IN (?, ?)", (BIOSPHERE_DB, TECHNOSPHERE_DB))}
    except sqlite3.Error as exc:
        return f"{database} cannot be read ({exc})", None
    if stored != ids:
        return f"{database} does not hold the nodes the marker lists", None
    for name, expected in (("databases.json", {BIOSPHERE_DB, TECHNOSPHERE_DB}), ("methods.json", None)):
        content = _json_file(project_dir / name)
        if content is None or (expected and not (isinstance(content, dict) and expected <= set(content))):
            return f"{project_dir / name} is damaged", None
    processed = project_dir / "processed"
    packages = [p for p in processed.iterdir()] if processed.is_dir() else []
    if not packages or not all(p.is_file() and zipfile.is_zipfile(p) for p in packages):
        return f"the processed datapackages in {processed} are missing or damaged", None
    return None, ids


def _brightway(brightway_dir: Path):
    """Import bw2data pointing at `brightway_dir` (bw2data reads its base dir on first import).
    Call under `data_dir_lock`: the import itself writes projects.db."""
    brightway_dir.mkdir(parents=True, exist_ok=True)
    os.environ["BRIGHTWAY2_DIR"] = str(brightway_dir)
    os.environ.setdefault("TQDM_DISABLE", "1")
    with _quiet():
        import bw2data

        if Path(bw2data.projects._base_data_dir) != brightway_dir:
            bw2data.projects.change_base_directories(brightway_dir, project_name=None, update=False)
    return bw2data


def _open_brightway(brightway_dir: Path, notes: list[str]):
    """bw2data on `brightway_dir`; a projects.db that is not a usable database (or a folder that is
    not a folder) is removed first, with a note, so Brightway starts afresh."""
    projects_db = brightway_dir / "projects.db"
    problem = None
    if brightway_dir.exists() and not brightway_dir.is_dir():
        problem = f"{brightway_dir} is not a directory"
    elif projects_db.exists() or projects_db.is_symlink():
        problem = _sqlite_problem(projects_db, "projectdataset")
    if problem:
        notes.append(problem)
        _remove(brightway_dir)
    try:
        return _brightway(brightway_dir)
    except Exception as exc:  # noqa: BLE001 - whatever Brightway trips on, the remedy is a fresh folder
        notes.append(f"Brightway could not open {brightway_dir} ({type(exc).__name__})")
        _remove(brightway_dir)
        return _brightway(brightway_dir)


def _project_dir(bd, name: str) -> Path:
    from bw2data.project import ProjectDataset

    return bd.projects._project_dir(ProjectDataset.get(ProjectDataset.name == name))


def _forget(bd, name: str) -> None:
    """Drop a project (its row, folder and log folder) even if its files are damaged."""
    from bw2data.project import ProjectDataset

    directory = _project_dir(bd, name)
    logs = Path(bd.projects._base_logs_dir) / directory.name
    if bd.projects.current == name:
        bd.projects.set_current("default", update=False)
    ProjectDataset.delete().where(ProjectDataset.name == name).execute()
    _remove(directory)
    _remove(logs)


def _rename(bd, old: str, new: str) -> None:
    """Rename a closed project: its row and folders (bw2data's own rename copies the whole project)."""
    from bw2data.project import ProjectDataset

    old_dir = _project_dir(bd, old)
    if bd.projects.current == old:
        bd.projects.set_current("default", update=False)  # closes the project's SQLite files
    ProjectDataset.update(name=new).where(ProjectDataset.name == old).execute()
    new_dir = _project_dir(bd, new)
    _remove(new_dir)  # a leftover folder of an unregistered project of that name
    os.replace(old_dir, new_dir)
    logs = Path(bd.projects._base_logs_dir)
    if (logs / old_dir.name).is_dir():
        _remove(logs / new_dir.name)
        os.replace(logs / old_dir.name, logs / new_dir.name)


def ensure_project(inventory: Inventory, data_dir: Path) -> dict[str, int]:
    """Open (building it if the bundled data changed or the project is damaged) the project;
    return node ids by code. Safe with several processes starting at once on one data dir."""
    data_dir = Path(data_dir)
    notes: list[str] = []
    name = PROJECT_PREFIX + inventory.content_hash[:16]
    with data_dir_lock(data_dir), _older_objects_frozen():
        bd = _open_brightway(data_dir / "brightway", notes)
        with _quiet():
            ids = None
            if name in bd.projects:
                problem, ids = _project_problem(_project_dir(bd, name), inventory)
                if problem:
                    notes.append(f"project {name}: {problem}")
                    _forget(bd, name)
            if ids is None:
                ids = _build(bd, inventory, name)
            # under the lock no other greenal process is writing: older data versions and
            # leftovers of killed builds can go
            for other in [p.name for p in bd.projects if p.name.startswith(PROJECT_PREFIX) and p.name != name]:
                _forget(bd, other)
            registered = {_project_dir(bd, p.name).name for p in bd.projects}
            base = Path(bd.projects._base_data_dir)
            for stray in base.glob(PROJECT_PREFIX + "*"):  # folders of projects no longer registered
                if stray.name not in registered:
                    _remove(stray)
            bd.projects.set_current(name, update=False)
    for note in notes:
        warnings.warn(f"data directory {data_dir}: {note}; rebuilt it", DataDirRepaired, stacklevel=2)
    return ids


def _build(bd, inventory: Inventory, name: str) -> dict[str, int]:
    """Write the project under a temporary name, mark it complete, then rename it to `name`."""
    temporary = f"{BUILD_PREFIX}{inventory.content_hash[:16]}-{os.getpid()}"
    if temporary in bd.projects:
        _forget(bd, temporary)
    bd.projects.set_current(temporary)
    ids = _write_project(bd, inventory)
    marker = Path(bd.projects.dir) / MARKER
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(json.dumps({"content_hash": inventory.content_hash, "ids": ids}))
    tmp.replace(marker)  # the marker appears only once the whole project is written
    _rename(bd, temporary, name)
    return ids


def _write_project(bd, inventory: Inventory) -> dict[str, int]:
    # "biosphere3": the ecoinvent flow it is (name, compartment, UUID; inventories/biosphere.yaml),
    # so a user with ecoinvent can relink greenal's exchanges to ("biosphere3", uuid)
    bio = {(BIOSPHERE_DB, f.code): {"name": f.name, "unit": f.unit, "type": "emission",
                                     "categories": ("air",), "gas": f.gas, "origin": f.origin,
                                     "biosphere3": f.biosphere3}
           for f in inventory.flows.values()}
    bd.Database(BIOSPHERE_DB).write(bio)
    tech = {}
    for p in inventory.processes.values():
        exchanges = [{"input": (TECHNOSPHERE_DB, p.code), "amount": 1.0, "type": "production", "unit": p.unit}]
        for e in p.exchanges:
            database = TECHNOSPHERE_DB if e.kind == "technosphere" else BIOSPHERE_DB
            exchanges.append({"input": (database, e.target), "amount": e.amount, "type": e.kind, "unit": e.unit,
                              "source": e.source.ref, "locator": e.source.locator, "confidence": e.confidence,
                              **(e.uncertainty or {})})
        tech[(TECHNOSPHERE_DB, p.code)] = {"name": p.name, "unit": p.unit, "location": p.location,
                                           "reference product": p.product, "stage": p.stage or "background",
                                           "comment": p.comment, "file": p.file, "exchanges": exchanges}
    bd.Database(TECHNOSPHERE_DB).write(tech)
    for method in inventory.methods.values():
        m = bd.Method(("greenal", "GWP100", method.code))
        m.register(unit=method.unit, description=method.name)
        m.write([((BIOSPHERE_DB, flow), cf) for flow, cf in method.factors.items()])
    ids = {node["code"]: node.id for db in (BIOSPHERE_DB, TECHNOSPHERE_DB) for node in bd.Database(db)}
    return ids


class Background:
    """The background technosphere in bw2calc, factorised once; float64 throughout."""

    def __init__(self, inventory: Inventory, ids: dict[str, int]):
        with _quiet():
            import bw2calc
            import bw_processing as bwp

            codes = inventory.background
            tech_rows, tech_cols, tech_vals, tech_flip = [], [], [], []
            bio_rows, bio_cols, bio_vals = [], [], []
            for code in codes:
                column = ids[code]
                tech_rows += [column]
                tech_cols += [column]
                tech_vals += [1.0]
                tech_flip += [False]
                for e in inventory.processes[code].exchanges:
                    if e.kind == "technosphere":
                        tech_rows.append(ids[e.target])
                        tech_cols.append(column)
                        tech_vals.append(e.amount)
                        tech_flip.append(True)
                    else:
                        bio_rows.append(ids[e.target])
                        bio_cols.append(column)
                        bio_vals.append(e.amount)
            package = bwp.create_datapackage(sum_intra_duplicates=True, sum_inter_duplicates=False)
            package.add_persistent_vector(
                matrix="technosphere_matrix", name="greenal-technosphere",
                indices_array=np.array(list(zip(tech_rows, tech_cols, strict=True)), dtype=bwp.INDICES_DTYPE),
                data_array=np.array(tech_vals, dtype=np.float64), flip_array=np.array(tech_flip, dtype=bool))
            package.add_persistent_vector(
                matrix="biosphere_matrix", name="greenal-biosphere",
                indices_array=np.array(list(zip(bio_rows, bio_cols, strict=True)), dtype=bwp.INDICES_DTYPE),
                data_array=np.array(bio_vals, dtype=np.float64))
            self.lca = bw2calc.LCA({ids[codes[0]]: 1.0}, data_objs=[package])
            self.lca.load_lci_data()
            self.lca.decompose_technosphere()
        self.codes = codes
        product_row, activity_column = self.lca.dicts.product, self.lca.dicts.activity
        self._rows = np.array([product_row[ids[c]] for c in codes])
        self._columns = np.array([activity_column[ids[c]] for c in codes])
        bio_row = self.lca.dicts.biosphere
        self.flow_codes = inventory.flow_codes
        # biosphere rows of bw2calc, in greenal's flow order (flows no process emits are absent)
        self._flow_rows = [(i, bio_row[ids[f]]) for i, f in enumerate(self.flow_codes) if ids[f] in bio_row]

    def solve(self, demand: np.ndarray) -> np.ndarray:
        """Inventory (kg per flow, greenal flow order) for a demand on background products."""
        demand_array = np.zeros(self.lca.technosphere_matrix.shape[0])
        demand_array[self._rows] = demand
        supply = self.lca.solve_linear_system(demand_array)
        totals = self.lca.biosphere_matrix @ supply
        out = np.zeros(len(self.flow_codes))
        for i, row in self._flow_rows:
            out[i] = totals[row]
        return out

    def supply(self, demand: np.ndarray) -> np.ndarray:
        """Supply of each background product (greenal's order) for a demand on them."""
        demand_array = np.zeros(self.lca.technosphere_matrix.shape[0])
        demand_array[self._rows] = demand
        return self.lca.solve_linear_system(demand_array)[self._columns]

    def unit_inventories(self) -> np.ndarray:
        """(background products x flows): cumulative kg of each flow per unit of each product,
        one solve per product against the one factorisation."""
        eye = np.eye(len(self.codes))
        return np.array([self.solve(eye[i]) for i in range(len(self.codes))])
