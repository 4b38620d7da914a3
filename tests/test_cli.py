"""The command line as a user meets it: the console script's entry point (greenal.cli.run) in-process,
exit codes, no tracebacks; and one real subprocess, end to end."""
import json
import subprocess
import sys

import pytest


@pytest.fixture
def greenal(data_dir, engine, run_cli):
    """The session's data dir, built and cached once by the engine fixture."""

    def run(*args, check_status=0):
        result = run_cli("--data-dir", data_dir, *args)
        assert result.returncode == check_status, result.stderr
        assert "Traceback" not in result.stderr
        return result
    return run


def process(data_dir, *args):
    """greenal in its own process, as `python -m greenal.cli` (the end-to-end path)."""
    return subprocess.run([sys.executable, "-m", "greenal.cli", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("how", ["in-process", "subprocess"])
def test_footprint_json_has_stages_gases_and_gwp(greenal, data_dir, engine, how):
    args = ("footprint", "--route", "cn-hydro", "--gwp", "ar5", "--json")
    result = greenal(*args) if how == "in-process" else process(data_dir, *args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    assert data["gwp"] == "ar5"
    expected = engine.route_footprint("cn-hydro").total_co2e_kg("ar5") / 1000
    assert data["total_t_co2e"] == pytest.approx(expected, rel=1e-12)
    assert set(data["by_stage_t_co2e"]) >= {"mining", "refining", "anode", "electrolysis", "casting", "transport"}
    assert set(data["by_gas_t_co2e"]) >= {"CO2", "CH4", "N2O", "CF4", "C2F6"}
    assert sum(data["by_stage_t_co2e"].values()) == pytest.approx(data["total_t_co2e"], rel=1e-12)


def test_footprint_table_for_every_route(greenal, engine):
    out = greenal("footprint", "--route", "all").stdout
    for code in engine.inventory.routes:
        total = engine.route_footprint(code).total_co2e_kg("ar6") / 1000
        assert f"{code}:" in out and f"{total:.3f} t CO2e per 1 t" in out


def test_out_writes_json_and_html(greenal, tmp_path):
    greenal("footprint", "--route", "all", "--out", str(tmp_path))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "summary.html" in names and "cn-average.json" in names
    html = (tmp_path / "summary.html").read_text(encoding="utf-8")
    total = json.loads((tmp_path / "cn-average.json").read_text())["total_t_co2e"]
    assert f"{total:.3f}" in html
    assert not [n for n in names if n.startswith(".")]  # no temporary files left behind


def test_routes_and_inventories_list_sources(greenal):
    assert "cn-hydro" in greenal("routes").stdout
    out = greenal("inventories", "--stage", "electrolysis", "--sources").stdout
    assert "electrolysis-prebake-cn" in out and "中国电解铝生产企业温室气体排放核算方法与报告指南" in out
    estimates = greenal("inventories", "--confidence", "estimate").stdout
    assert "[estimate]" in estimates and "[secondary]" not in estimates


@pytest.mark.parametrize("how", ["in-process", "subprocess"])
def test_unknown_route_exits_2_with_one_clear_line(greenal, data_dir, how):
    args = ("footprint", "--route", "cn-avg")
    result = greenal(*args, check_status=2) if how == "in-process" else process(data_dir, *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "route code" in result.stderr and "'cn-avg'" in result.stderr and "cn-average" in result.stderr


def test_unknown_gwp_exits_2(greenal):
    result = greenal("footprint", "--gwp", "ar7", check_status=2)
    assert "ar7" in result.stderr
