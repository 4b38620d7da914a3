"""The Brightway adapter: the only module that imports bw2data, bw2calc and bw_processing.

- The bundled inventory is written once into a Brightway project named after its content
  hash (nodes, exchanges, GWP methods), so users can browse it with Brightway tools; the
  project is rebuilt only when the bundled data change. Nothing is downloaded (no bw2setup).
- bw2data stores amounts as float32. The calculation therefore never reads bw2data's
  processed arrays: it feeds bw2calc float64 datapackages built from the same inventory,
  indexed by the project's node ids.
- The background (processes without a stage) is factorised once; `Background.unit_inventories`
  then solves one demand per background product against that single factorisation.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import warnings
from pathlib import Path

import numpy as np

from greenal.inventory import Inventory

PROJECT_PREFIX = "greenal-"
BIOSPHERE_DB = "greenal-biosphere"
TECHNOSPHERE_DB = "greenal-inventories"
MARKER = "greenal-build.json"


@contextlib.contextmanager
def _quiet():
    """Brightway prints progress bars, log lines and a pypardiso hint; greenal's output stays clean."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _brightway(brightway_dir: Path):
    """Import bw2data pointing at `brightway_dir` (bw2data reads its base dir on first import)."""
    brightway_dir.mkdir(parents=True, exist_ok=True)
    os.environ["BRIGHTWAY2_DIR"] = str(brightway_dir)
    os.environ.setdefault("TQDM_DISABLE", "1")
    with _quiet():
        import bw2data

        if Path(bw2data.projects._base_data_dir) != brightway_dir:
            bw2data.projects.change_base_directories(brightway_dir, project_name=None, update=False)
    return bw2data


def ensure_project(inventory: Inventory, data_dir: Path) -> dict[str, int]:
    """Open (building it if the bundled data changed) the project; return node ids by code."""
    bd = _brightway(data_dir / "brightway")
    name = PROJECT_PREFIX + inventory.content_hash[:16]
    with _quiet():
        if name in bd.projects:
            bd.projects.set_current(name, update=False)
            marker = Path(bd.projects.dir) / MARKER
            if marker.exists():
                built = json.loads(marker.read_text())
                if built.get("content_hash") == inventory.content_hash:
                    return built["ids"]
            # an interrupted build: start again from an empty project
            bd.projects.delete_project(name, delete_dir=True)
        bd.projects.set_current(name)
        ids = _write_project(bd, inventory)
        marker = Path(bd.projects.dir) / MARKER
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(json.dumps({"content_hash": inventory.content_hash, "ids": ids}))
        tmp.replace(marker)  # the marker appears only once the whole project is written
        for other in [p.name for p in bd.projects if p.name.startswith(PROJECT_PREFIX) and p.name != name]:
            bd.projects.delete_project(other, delete_dir=True)
        bd.projects.set_current(name, update=False)
    return ids


def _write_project(bd, inventory: Inventory) -> dict[str, int]:
    bio = {(BIOSPHERE_DB, f.code): {"name": f.name, "unit": f.unit, "type": "emission",
                                     "categories": ("air",), "gas": f.gas, "origin": f.origin}
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
                tech_rows.append(column), tech_cols.append(column), tech_vals.append(1.0), tech_flip.append(False)
                for e in inventory.processes[code].exchanges:
                    if e.kind == "technosphere":
                        tech_rows.append(ids[e.target]), tech_cols.append(column)
                        tech_vals.append(e.amount), tech_flip.append(True)
                    else:
                        bio_rows.append(ids[e.target]), bio_cols.append(column), bio_vals.append(e.amount)
            package = bwp.create_datapackage(sum_intra_duplicates=True, sum_inter_duplicates=False)
            package.add_persistent_vector(
                matrix="technosphere_matrix", name="greenal-technosphere",
                indices_array=np.array(list(zip(tech_rows, tech_cols)), dtype=bwp.INDICES_DTYPE),
                data_array=np.array(tech_vals, dtype=np.float64), flip_array=np.array(tech_flip, dtype=bool))
            package.add_persistent_vector(
                matrix="biosphere_matrix", name="greenal-biosphere",
                indices_array=np.array(list(zip(bio_rows, bio_cols)), dtype=bwp.INDICES_DTYPE),
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
