"""The ASGI application: one FastAPI app over one registry database. Workers keep no state of
their own (settings and secrets live in the database), so several can serve one PostgreSQL."""
from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from greenal import __version__
from greenal.registry.db import open_engine, ready
from greenal.service.auth import TOKEN_TTL_S

# Settings of `greenal serve` handed to each uvicorn worker process (see app_from_env).
ENV_DB, ENV_DATA = "GREENAL_DB", "GREENAL_DATA_DIR"
ENV_HTTP, ENV_TTL, ENV_CA = "GREENAL_SERVE_ALLOW_HTTP", "GREENAL_SERVE_TOKEN_TTL_S", "GREENAL_SERVE_CALLBACK_CA"


def read_engine(engine: Engine) -> Engine:
    """An engine for the API's reads. On SQLite it leaves out the registry's BEGIN IMMEDIATE (a
    read needs no write lock, and must not queue behind writers); on PostgreSQL reads autocommit."""
    if engine.dialect.name != "sqlite":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    reader = create_engine(engine.url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(reader, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # autocommit: each SELECT reads a consistent snapshot
        dbapi_connection.execute("PRAGMA query_only = ON")
    return reader


def create_app(db: str | None = None, data_dir=None, require_https: bool = True, token_ttl_s: int = TOKEN_TTL_S,
               callback_verify: bool | str = True) -> FastAPI:
    """`require_https`: PACT routes refuse plain HTTP (behind a TLS proxy, uvicorn takes the scheme
    from X-Forwarded-Proto). `callback_verify`: True, or a CA file trusted for recipients' endpoints."""
    from greenal.service import pact, web

    app = FastAPI(title="greenal", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.engine = ready(open_engine(db, data_dir))
    app.state.reader = read_engine(app.state.engine)
    app.state.data_dir = data_dir
    app.state.require_https = require_https
    app.state.token_ttl_s = token_ttl_s
    app.state.callback_verify = callback_verify
    app.include_router(pact.router)
    app.include_router(web.router)
    pact.install_error_handlers(app)
    return app


def app_from_env() -> FastAPI:
    """uvicorn factory for `greenal serve --workers N` (each worker builds its app from the environment)."""
    return create_app(os.environ.get(ENV_DB) or None, os.environ.get(ENV_DATA) or None,
                      require_https=os.environ.get(ENV_HTTP) != "1",
                      token_ttl_s=int(os.environ.get(ENV_TTL) or TOKEN_TTL_S),
                      callback_verify=os.environ.get(ENV_CA) or True)
