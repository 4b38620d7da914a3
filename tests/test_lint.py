"""The repository's own lint: ruff and mypy (configured in pyproject.toml) report nothing (issue 8)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", [["ruff", "check", "."], ["mypy", "greenal"]], ids=["ruff", "mypy"])
def test_no_findings(command):
    tool = Path(sys.executable).parent / command[0]
    assert tool.exists(), f"{command[0]} is missing: pip install -e '.[test]'"
    run = subprocess.run([str(tool), *command[1:]], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
