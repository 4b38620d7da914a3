"""The package as a user installs it: a plain (non-editable) wheel install, away from the checkout,
carries every data file and runs every command, every report format in both languages."""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_FOLDERS = ("inventories", "methods", "templates")
EXAMPLE = ROOT / "examples" / "guangxi-smelter.yaml"


def data_files() -> list[str]:
    """Every file of the data folders under version control (or on disk outside a git checkout)."""
    listed = subprocess.run(["git", "ls-files", *DATA_FOLDERS], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0 and listed.stdout.strip():
        return listed.stdout.split()
    return [str(p.relative_to(ROOT)) for d in DATA_FOLDERS for p in (ROOT / d).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(wheel, site): the wheel built from a clean copy of the checkout (a stale build/ folder
    would hide files missing from the package data) and installed with --target."""
    tmp = tmp_path_factory.mktemp("wheel")
    source, wheels, site = tmp / "source", tmp / "wheels", tmp / "site"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "out", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(wheels), str(source)],
                   check=True, capture_output=True, cwd=tmp)
    (wheel,) = wheels.glob("greenal-*.whl")
    subprocess.run(pip + ["install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    return wheel, site


@pytest.fixture(scope="module")
def installed_data(tmp_path_factory):
    """One data directory for the installed package's runs (the first builds its Brightway project
    from the wheel's data; the later ones use it, as a user's would)."""
    return tmp_path_factory.mktemp("installed-data")


def run_installed(site: Path, cwd: Path, *args: str, code: str | None = None) -> subprocess.CompletedProcess:
    """The installed greenal (CLI arguments, or a Python snippet) with only the install on the path."""
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "greenal.cli", *args]
    env = {"PYTHONPATH": str(site), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd)}
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_wheel_carries_every_data_file(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = data_files()
    assert {"templates/messages.yaml", "templates/assumptions.yaml", "inventories/README.md"} <= set(expected)
    missing = [f for f in expected if f"greenal/{f}" not in names]
    assert not missing, f"data files missing from the wheel: {missing}"


def test_installed_wheel_finds_its_data_and_computes(installed, installed_data, tmp_path, engine):
    _, site = installed
    script = (
        "import greenal, greenal.paths as p\n"
        "print(greenal.__file__); print(p.bundled('inventories')); print(p.bundled('templates'))\n"
        f"print(greenal.footprint('cn-average', data_dir={str(installed_data)!r}).total_co2e_kg('ar6'))\n"
        f"r = greenal.declaration_footprint({str(ROOT / 'examples' / 'guangxi-smelter.xlsx')!r}, "
        f"data_dir={str(installed_data)!r})\n"
        "from greenal.standards.engine import assess\n"
        "print(r.market.total_co2e_kg('ar6')); print(len(assess(r)))\n"
        # the registry's Alembic migrations ship inside the package and run from the wheel
        f"import greenal.registry as g, greenal.registry.db as d; g.init('sqlite:///{tmp_path / 'r.sqlite'}')\n"
        "print(d.MIGRATIONS); print(len(g.list_declarations(db='sqlite:///" + str(tmp_path / "r.sqlite") + "')))\n"
        "from greenal.uncertainty import data_quality_of\n"  # methods/uncertainty/pedigree.yaml shipped
        f"print(data_quality_of(greenal.api.engine({str(installed_data)!r}), r)['product']['dqr'])\n")
    result = run_installed(site, tmp_path, code=script)
    assert result.returncode == 0, result.stderr
    module, inventories, templates, total, declared, verdicts, migrations, rows, dqr = result.stdout.split("\n")[:9]
    assert rows == "0"
    for path in (module, inventories, templates, migrations):
        assert Path(path).is_relative_to(site), path
    # the installed copy of the data gives the same footprint as the checkout
    assert float(total) == engine.route_footprint("cn-average").total_co2e_kg("ar6")
    from greenal.declaration.excel import read_workbook
    from greenal.model.site import declaration_footprint
    expected = declaration_footprint(engine, read_workbook(ROOT / "examples" / "guangxi-smelter.xlsx"))
    assert float(declared) == expected.market.total_co2e_kg("ar6")
    assert int(verdicts) > 40  # every scheme file shipped and loaded
    assert 1 <= float(dqr) <= 5


def test_installed_cli_footprint_assess_and_every_report_in_both_languages(installed, installed_data, tmp_path):
    _, site = installed
    data = str(installed_data)
    located = run_installed(site, tmp_path, code="import greenal.cli; print(greenal.cli.__file__)")
    assert Path(located.stdout.strip()).is_relative_to(site), located.stdout

    footprint = run_installed(site, tmp_path, "--data-dir", data, "footprint", str(EXAMPLE), "--json")
    assert footprint.returncode == 0, footprint.stderr
    assert json.loads(footprint.stdout)["market_based"]["total_t_co2e"] > 0

    assess = run_installed(site, tmp_path, "--data-dir", data, "assess", str(EXAMPLE), "--json")
    assert assess.returncode == 0, assess.stderr
    assert len(json.loads(assess.stdout)) > 40

    out = tmp_path / "out"  # both languages in one run, as an exporter writes them
    result = run_installed(site, tmp_path, "--data-dir", data, "report", str(EXAMPLE), "--lang", "zh,en",
                           "--format", "html,pdf,xlsx,pact,cbam", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    written = [Path(line.removeprefix("wrote ").strip()) for line in result.stdout.splitlines()
               if line.startswith("wrote ")]
    for path in written:
        assert path.is_file() and path.stat().st_size > 0, path
    for lang in ("zh", "en"):
        names = [p.name for p in written if f"-{lang}" in p.name]
        assert sum(n.endswith(".html") for n in names) == 2, names  # report and certificate
        pdfs = [p for p in written if p.suffix == ".pdf" and f"-{lang}-" in p.name]
        assert len(pdfs) == 2, names
        for pdf in pdfs:
            assert pdf.read_bytes()[:5] == b"%PDF-", pdf
        assert any(n.endswith(f"-{lang}.xlsx") for n in names), names
    names = [p.name for p in written]
    assert any(n.endswith(".pact.json") for n in names) and any(n.endswith("-cbam.xlsx") for n in names), names
    for path in written:
        if path.suffix == ".xlsx":
            assert zipfile.is_zipfile(path), path
