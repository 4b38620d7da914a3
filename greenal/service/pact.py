"""PACT Technical Specifications v3.0 host system: /auth/token, /3/footprints, /3/events."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
