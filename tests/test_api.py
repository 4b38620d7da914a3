"""The public API (issue 8): every name `greenal` offers is the greenal.api (or greenal.results)
object, even after every subpackage has been imported (a subpackage of the same name would
shadow a lazily offered function)."""
import importlib
import pkgutil

import greenal


def test_every_offered_name_is_the_api_object_after_all_subpackages_are_imported():
    for module in pkgutil.walk_packages(greenal.__path__, "greenal."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    from greenal import api, results

    for name in greenal._API:
        assert getattr(greenal, name) is getattr(api, name), name
    for name in greenal._RESULTS:
        assert getattr(greenal, name) is getattr(results, name), name
    assert not hasattr(greenal, "__all__") or set(greenal._API) <= set(greenal.__all__)


def test_the_command_line_imports_nothing_of_greenal_but_its_api():
    """greenal/cli.py reaches the library only through greenal.api, greenal.errors and the
    command groups of the registry and the service."""
    import ast
    from pathlib import Path

    allowed = {"greenal", "greenal.api", "greenal.errors", "greenal.registry_cli", "greenal.service.cli"}
    tree = ast.parse(Path(greenal.__file__).with_name("cli.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    assert {m for m in imported if m.startswith("greenal")} <= allowed


def test_starting_the_command_line_loads_no_database_web_or_validation_library():
    """The command line registers the registry and service commands at start; their libraries
    (SQLAlchemy, Alembic, FastAPI, pydantic) load only when those commands run, so a warm
    footprint costs a fraction of importing Brightway (benchmarks/footprint.py)."""
    import subprocess
    import sys

    code = ("import sys, greenal.cli; heavy = ('sqlalchemy', 'alembic', 'fastapi', 'uvicorn', 'pydantic', 'bw2calc', "
            "'bw2data'); print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
