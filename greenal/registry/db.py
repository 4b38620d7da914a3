"""Opening the registry database, migrating it, and running each write as one transaction.

Writers are serialised so that check-then-insert (no double claim) is safe between processes:
on SQLite every transaction starts with BEGIN IMMEDIATE (one writer at a time, others wait on
the lock); on PostgreSQL transactions run SERIALIZABLE and are retried on a serialisation
failure (SQLSTATE 40001/40P01), so of two overlapping claims one commits and the other, retried,
sees it and is refused.
"""
from __future__ import annotations

import os
import random
import time
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from greenal.errors import InputError
from greenal.paths import data_dir as resolve_data_dir

DB_ENV = "GREENAL_DB"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
RETRIES = 20


def resolve_url(url: str | None = None, data_dir=None) -> str:
    """--db, then GREENAL_DB, then an SQLite file in greenal's data directory."""
    chosen = url or os.environ.get(DB_ENV)
    if not chosen:
        return f"sqlite:///{resolve_data_dir(data_dir) / 'registry.sqlite'}"
    if chosen.startswith("postgresql://") or chosen.startswith("postgres://"):
        chosen = "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


def shown(url: str) -> str:
    """The URL as it may be printed: never with its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return url if "@" not in url else "(unparseable URL)"


def open_engine(url: str | Engine | None = None, data_dir=None) -> Engine:
    """The registry's engine: from a URL (None: the default in `data_dir`), or an open Engine as it is
    (the service passes its own, so a web decision uses the app's connection pool, not a new one)."""
    if isinstance(url, Engine):
        return url
    url = resolve_url(url, data_dir)
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise InputError("command line", "--db", shown(url),
                         "a database URL: sqlite:///FILE or postgresql://…") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # transactions are begun below, not by the driver
            dbapi_connection.execute("PRAGMA foreign_keys = ON")

        @event.listens_for(engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, isolation_level="SERIALIZABLE", pool_pre_ping=True)
    raise InputError("command line", "--db", shown(url), "an sqlite:// or postgresql:// URL")


def _config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade to `revision` ('head'), or downgrade when it is 'base' or older than the current one."""
    try:
        with engine.begin() as connection:
            config = _config(connection)
            current = MigrationContext.configure(connection).get_current_revision()
            script = ScriptDirectory.from_config(config)
            if revision == "base" or (current and revision != "head" and revision in
                                       {r.revision for r in script.iterate_revisions(current, "base")}):
                command.downgrade(config, revision)
            else:
                command.upgrade(config, revision)
    except exc.OperationalError as error:
        raise InputError("registry", "database", shown(str(engine.url)),
                         f"a reachable database ({_first_line(error)})") from None


def revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def _first_line(error: Exception) -> str:
    return str(getattr(error, "orig", error)).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _retryable(error: exc.DBAPIError) -> bool:
    return getattr(getattr(error, "orig", None), "sqlstate", None) in ("40001", "40P01")


@contextmanager
def _session(engine: Engine):
    with Session(engine, expire_on_commit=False) as session:
        yield session


def transaction(engine: Engine, work, retries: int = RETRIES):
    """Run `work(session)` in one transaction and return its result; all or nothing.
    Serialisation failures (PostgreSQL) are retried with a short random back-off."""
    for attempt in range(retries):
        try:
            with _session(engine) as session, session.begin():
                return work(session)
        except exc.DBAPIError as error:
            if _retryable(error):
                if attempt < retries - 1:
                    time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
                    continue
                raise InputError("registry", "database", shown(str(engine.url)),
                                 f"a write that does not conflict with concurrent ones ({retries} attempts "
                                 "failed to serialise); try again") from None
            if isinstance(error, exc.OperationalError):
                raise InputError("registry", "database", shown(str(engine.url)),
                                 f"a reachable, initialised registry ({_first_line(error)})") from None
            raise


def ready(engine: Engine) -> Engine:
    """The engine, once the registry is known to be initialised at the current schema."""
    try:
        current = revision(engine)
    except exc.OperationalError as error:
        raise InputError("registry", "database", shown(str(engine.url)),
                         f"a reachable database ({_first_line(error)})") from None
    if current != head():
        raise InputError("registry", "database", shown(str(engine.url)),
                         f"a registry at schema {head()} (found {current or 'none'}); run `greenal registry init`")
    return engine
