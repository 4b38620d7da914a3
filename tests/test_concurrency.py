"""Several first runs at the same instant on one empty data directory: every one succeeds, all
get the same project and the same result (one builds under the lock, the others wait and reuse)."""
import json
import subprocess
import sys
import textwrap

import pytest

from greenal.lca import bw

RUN = textwrap.dedent("""
    import json, os, sys, time, warnings
    from pathlib import Path
    go = Path(sys.argv[2])
    while not go.exists():          # start together: every process is imported and waiting
        time.sleep(0.005)
    from greenal.inventory import load_inventory
    from greenal.lca.engine import Engine
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a first run on an empty directory repairs nothing
        engine = Engine(load_inventory(), Path(sys.argv[1]))
    total = engine.route_footprint("cn-average").total_co2e_kg("ar6")
    print(json.dumps({"total": total}))
""")


def test_three_first_runs_at_once_all_succeed_with_one_project(tmp_path, engine):
    data_dir = tmp_path / "empty"
    go = tmp_path / "go"
    runs = [subprocess.Popen([sys.executable, "-c", RUN, str(data_dir), str(go)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    go.touch()
    outputs = [run.communicate(timeout=600) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
        assert "Traceback" not in err
    totals = [json.loads(out)["total"] for out, _ in outputs]
    expected = engine.route_footprint("cn-average").total_co2e_kg("ar6")
    assert totals == [pytest.approx(expected, rel=1e-12)] * 3
    brightway = data_dir / "brightway"
    projects = sorted(p.name for p in brightway.iterdir() if p.name.startswith(bw.PROJECT_PREFIX))
    assert len(projects) == 1 and not projects[0].startswith(bw.BUILD_PREFIX)
    problem, _ = bw._project_problem(brightway / projects[0], engine.inventory)
    assert problem is None


def test_lock_is_exclusive_between_processes(tmp_path):
    """While one process holds the data-dir lock, another cannot take it."""
    pytest.importorskip("fcntl")
    with bw.data_dir_lock(tmp_path):
        probe = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
            import fcntl, os, sys
            fd = os.open({str(tmp_path / bw.LOCK)!r}, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                sys.exit(7)
        """)], timeout=60)
        assert probe.returncode == 7
    probe = subprocess.run([sys.executable, "-c", f"import fcntl, os; fcntl.flock(os.open({str(tmp_path / bw.LOCK)!r}, "
                            "os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB)"], timeout=60)
    assert probe.returncode == 0  # released when the block ends
