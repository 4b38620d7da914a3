"""The ASGI application: one FastAPI app over one registry database. Workers keep no state of
their own (settings and secrets live in the database), so several can serve one PostgreSQL."""
from __future__ import annotations

from fastapi import FastAPI

from greenal import __version__
from greenal.registry.db import open_engine, ready


def create_app(db: str | None = None, data_dir=None) -> FastAPI:
    from greenal.service import pact, web

    app = FastAPI(title="greenal", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.engine = ready(open_engine(db, data_dir))
    app.state.data_dir = data_dir
    app.include_router(pact.router)
    app.include_router(web.router)
    return app
