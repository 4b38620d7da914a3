"""Server-rendered web pages for producers, verifiers and buyers (jinja2, autoescaped)."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
