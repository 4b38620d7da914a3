"""The Excel questionnaire: written from the field catalogue, read back into the same mapping."""
from __future__ import annotations

from pathlib import Path


def read_workbook(path: Path):
    raise NotImplementedError
