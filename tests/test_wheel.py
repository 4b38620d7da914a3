"""The data folders are found after a plain wheel install, away from the checkout."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_installed_wheel_finds_its_data_and_computes(tmp_path, engine):
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = wheels.glob("greenal-*.whl")
    subprocess.run(pip + ["install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    script = (
        "import greenal, greenal.paths as p\n"
        "print(greenal.__file__); print(p.bundled('inventories')); print(p.bundled('templates'))\n"
        f"print(greenal.footprint('cn-average', data_dir={str(tmp_path / 'data')!r}).total_co2e_kg('ar6'))\n"
        f"r = greenal.declaration_footprint({str(ROOT / 'examples' / 'guangxi-smelter.xlsx')!r}, data_dir={str(tmp_path / 'data')!r})\n"
        "from greenal.standards.engine import assess\n"
        "print(r.market.total_co2e_kg('ar6')); print(len(assess(r)))\n"
        # the registry's Alembic migrations ship inside the package and run from the wheel
        f"import greenal.registry as g, greenal.registry.db as d; g.init('sqlite:///{tmp_path / 'r.sqlite'}')\n"
        "print(d.MIGRATIONS); print(len(g.list_declarations(db='sqlite:///" + str(tmp_path / "r.sqlite") + "')))\n"
        "from greenal.uncertainty import data_quality_of\n"  # methods/uncertainty/pedigree.yaml shipped
        f"print(data_quality_of(greenal.api.engine({str(tmp_path / 'data')!r}), r)['product']['dqr'])\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                            env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, check=True)
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
