"""The Brightway project: built once from the bundled data, rebuilt only when they change,
kept in the chosen data dir, never half-built; results computed in float64."""
import json
import warnings
import shutil
from pathlib import Path

import numpy as np
import pytest

from greenal.inventory import load_inventory
from greenal.lca import bw
from greenal.lca.engine import Engine

ROOT = Path(__file__).resolve().parents[1]


def projects_in(data_dir: Path) -> list[str]:
    return sorted(p.name for p in (data_dir / "brightway").iterdir() if p.name.startswith("greenal-"))


def test_project_lives_in_data_dir_and_is_reused(tmp_path):
    inventory = load_inventory()
    ids = bw.ensure_project(inventory, tmp_path)
    (project,) = projects_in(tmp_path)
    marker = tmp_path / "brightway" / project / bw.MARKER
    stamp = marker.stat().st_mtime_ns
    assert bw.ensure_project(inventory, tmp_path) == ids
    assert marker.stat().st_mtime_ns == stamp  # not rebuilt
    assert json.loads(marker.read_text())["content_hash"] == inventory.content_hash
    assert set(ids) == set(inventory.processes) | set(inventory.flows)


def test_changed_data_rebuild_the_project_and_drop_the_old_one(tmp_path):
    bw.ensure_project(load_inventory(), tmp_path)
    (old,) = projects_in(tmp_path)
    shutil.copytree(ROOT / "inventories", tmp_path / "inv")
    shutil.copytree(ROOT / "methods", tmp_path / "meth")
    path = tmp_path / "inv" / "casting" / "ingot-global.yaml"
    path.write_text(path.read_text().replace("amount: 832, unit: MJ", "amount: 900, unit: MJ"))
    changed = load_inventory(tmp_path / "inv", tmp_path / "meth")
    engine = Engine(changed, tmp_path)
    (new,) = projects_in(tmp_path)
    assert new != old
    base = Engine(load_inventory(), tmp_path / "other").route_footprint("global-average").flow_kg()["co2-fossil"]
    got = engine.route_footprint("global-average").flow_kg()["co2-fossil"]
    # 68 MJ more natural gas burned per t ingot: combustion CC 15.3 tC/TJ x OF 0.99 x 44/12
    # (CN guideline defaults, = parameters.yaml) + supply-chain CO2 (EA EPR 0.0632 - IPCC 0.0561)
    assert got - base == pytest.approx(68 * (15.3e-3 * 0.99 * 44 / 12 + (0.0632 - 0.0561)), rel=1e-9)


def test_interrupted_build_is_redone(tmp_path):
    inventory = load_inventory()
    bw.ensure_project(inventory, tmp_path)
    (project,) = projects_in(tmp_path)
    (tmp_path / "brightway" / project / bw.MARKER).unlink()  # as if the build had been killed
    with pytest.warns(bw.DataDirRepaired, match="interrupted build"):
        ids = bw.ensure_project(inventory, tmp_path)
    assert (tmp_path / "brightway" / project / bw.MARKER).exists()
    assert set(ids) == set(inventory.processes) | set(inventory.flows)


def test_calculation_is_float64_exact(engine):
    """bw2data keeps float32 amounts; greenal's path must not lose digits. 0.123456789 kWh
    per unit has no exact float32 form (float32 would give 0.12345679104328156)."""
    from greenal.lca.engine import Foreground, ForegroundRow, Label, Line
    line = Line("electricity-cn-mee-national-2022", 0.123456789, Label("electrolysis", "electricity"))
    fp = engine.footprint(Foreground("x", "t", (ForegroundRow("x", "electrolysis", [line], []),)))
    assert float(np.float32(0.5366)) != 0.5366  # the background factor would lose digits in float32
    assert fp.flow_kg()["co2-fossil"] == pytest.approx(0.123456789 * 0.5366, rel=1e-15)


def test_one_factorisation_serves_many_foregrounds(engine, monkeypatch):
    """Variants change the foreground only: no project write, no background build or solve."""
    from greenal.lca import engine as engine_module
    calls = []
    monkeypatch.setattr(bw, "ensure_project", lambda *a: calls.append("write"))
    monkeypatch.setattr(bw, "Background", lambda *a: calls.append("factorise"))
    monkeypatch.setattr(engine_module, "background_results", lambda *a: calls.append("rebuild"))
    base = engine.route_foreground(engine.inventory.routes["cn-average"])
    smelter = "electrolysis-prebake-cn"
    anode_kg = base.emission_amount(smelter, "co2-fossil")
    totals = []
    for extra_kg in (0.0, 100.0, 200.0):
        variant = base.with_emission(smelter, "co2-fossil", anode_kg + extra_kg)
        totals.append(engine.footprint(variant).total_co2e_kg("ar6"))
    # swapping the smelter's power for 13,511 kWh at the MEE 2022 national factor, by hand:
    kwh = base.input_amount(smelter, "electricity-lc-cn-smelter-mix")
    assert kwh == 13_511
    swapped = base.with_input(smelter, "electricity-lc-cn-smelter-mix", 0.0)
    swapped = swapped.with_input(smelter, "electricity-cn-mee-national-2022", kwh)
    electricity_only = engine.footprint(base.with_input(smelter, "electricity-lc-cn-smelter-mix", 0.0))
    assert engine.footprint(swapped).flow_kg()["co2-fossil"] - electricity_only.flow_kg()["co2-fossil"] == \
        pytest.approx(13_511 * 0.5366, rel=1e-9)
    # and a foreground supplier: net anode consumption 0.42 -> 0.45 t/t
    more_anode = base.with_input(smelter, "anode-prebake-global", 0.45)
    assert more_anode.input_amount(smelter, "anode-prebake-global") == 0.45
    assert engine.footprint(more_anode).stage_co2e_kg("ar6")["anode"] == pytest.approx(
        engine.footprint(base).stage_co2e_kg("ar6")["anode"] * 0.45 / 0.42, rel=1e-9)
    assert calls == []
    # casting takes 1.000 t liquid metal per t ingot, so +100 kg CO2 at the smelter is +100 kg per t ingot
    assert totals[1] - totals[0] == pytest.approx(100.0, rel=1e-9)
    assert totals[2] - totals[0] == pytest.approx(200.0, rel=1e-9)


WARM_RUN = """
import sys
from greenal import api
total = api.footprint("cn-average", sys.argv[1]).total_co2e_kg("ar6")
print(total, "bw2calc" in sys.modules, "bw2data" in sys.modules)
"""


def test_warm_runs_read_the_cache_and_never_import_brightway(tmp_path):
    """The first run builds the project and caches the background results by content hash; the
    next process reads them and imports neither bw2calc nor bw2data, with the same result."""
    import subprocess
    import sys

    def run():
        out = subprocess.run([sys.executable, "-c", WARM_RUN, str(tmp_path)], capture_output=True, text=True,
                             timeout=600, check=True).stdout.split()
        return float(out[0]), out[1:]

    first, first_imports = run()
    warm, warm_imports = run()
    assert first_imports == ["True", "True"] and warm_imports == ["False", "False"]
    assert warm == first
    cache_file = next(tmp_path.glob("greenal-background-*.npz"))
    cache_file.write_bytes(b"garbage")  # a damaged cache is recomputed, not trusted
    again, again_imports = run()
    assert again == first and again_imports == ["True", "True"]


def test_build_leaves_one_browsable_project_and_no_temporary_one(tmp_path):
    inventory = load_inventory()
    ids = bw.ensure_project(inventory, tmp_path)
    (project,) = projects_in(tmp_path)
    assert project.startswith(bw.PROJECT_PREFIX + inventory.content_hash[:16] + ".")  # bw2data appends a hash
    bd = bw._brightway(tmp_path / "brightway")
    assert bd.projects.current == bw.PROJECT_PREFIX + inventory.content_hash[:16]
    assert not [p.name for p in bd.projects if p.name.startswith(bw.BUILD_PREFIX)]
    # Brightway itself reads the renamed project: every process and flow, with the marker's ids
    nodes = {node["code"]: node.id for db in (bw.BIOSPHERE_DB, bw.TECHNOSPHERE_DB) for node in bd.Database(db)}
    assert nodes == ids
    assert len(bd.Database(bw.TECHNOSPHERE_DB)) == len(inventory.processes)
    assert len([m for m in bd.methods if m[0] == "greenal"]) == len(inventory.methods)


@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    """One sound data directory, copied for each damage below (a build takes seconds)."""
    path = tmp_path_factory.mktemp("sound")
    bw.ensure_project(load_inventory(), path)
    return path


def _damage(path: Path, how: str) -> None:
    if how == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "directory":
        path.unlink()
        (path / "inside").mkdir(parents=True)
    elif how == "garbage":
        path.write_bytes(bytes(range(256)) * 8)


@pytest.mark.parametrize("how", ["truncated", "empty", "directory", "garbage"])
@pytest.mark.parametrize("target", ["marker", "project database", "projects.db", "databases.json"])
def test_damaged_data_dir_is_detected_and_rebuilt_with_a_note(built_once, engine, tmp_path, target, how):
    inventory = load_inventory()
    data_dir = tmp_path / "data"
    shutil.copytree(built_once, data_dir)
    (project,) = projects_in(data_dir)
    brightway = data_dir / "brightway"
    path = {"marker": brightway / project / bw.MARKER,
            "project database": brightway / project / "lci" / "databases.db",
            "projects.db": brightway / "projects.db",
            "databases.json": brightway / project / "databases.json"}[target]
    _damage(path, how)
    with pytest.warns(bw.DataDirRepaired, match="rebuilt"):
        ids = bw.ensure_project(inventory, data_dir)
    (project,) = projects_in(data_dir)
    problem, marker_ids = bw._project_problem(brightway / project, inventory)
    assert problem is None and marker_ids == ids
    assert set(ids) == set(inventory.processes) | set(inventory.flows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sound now: no second repair
        assert bw.ensure_project(inventory, data_dir) == ids
    # and the footprint is the one a fresh directory gives
    fresh = engine.route_footprint("cn-average").total_co2e_kg("ar6")
    assert Engine(inventory, data_dir).route_footprint("cn-average").total_co2e_kg("ar6") == \
        pytest.approx(fresh, rel=1e-12)


def test_cli_shows_the_repair_as_one_note(built_once, tmp_path, run_cli):
    data_dir = tmp_path / "data"
    shutil.copytree(built_once, data_dir)
    (project,) = projects_in(data_dir)
    _damage(data_dir / "brightway" / project / bw.MARKER, "garbage")
    done = run_cli("--data-dir", data_dir, "footprint", "--json")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    (note,) = done.stderr.strip().splitlines()
    assert note.startswith("note: data directory") and "marker" in note and "rebuilt" in note
    assert json.loads(done.stdout)["total_t_co2e"] > 0


def test_leftover_of_a_killed_build_is_removed(built_once, tmp_path):
    """A build killed before its rename leaves a temporary project; the next run (under the
    lock, so nobody is writing it) removes it."""
    inventory = load_inventory()
    data_dir = tmp_path / "data"
    shutil.copytree(built_once, data_dir)
    bd = bw._brightway(data_dir / "brightway")
    leftover = f"{bw.BUILD_PREFIX}{inventory.content_hash[:16]}-99999999"
    bd.projects.create_project(leftover)
    (leftover_dir,) = [p for p in (data_dir / "brightway").iterdir() if p.name.startswith(bw.BUILD_PREFIX)]
    (data_dir / "brightway" / "greenal-0123456789abcdef.stray").mkdir()  # a folder with no project
    bw.ensure_project(inventory, data_dir)
    assert leftover not in bd.projects and not leftover_dir.exists()
    assert len(projects_in(data_dir)) == 1
