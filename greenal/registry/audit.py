"""The hash-chained audit log: each entry hashes the row it records and the entry before it."""
from __future__ import annotations

import datetime as dt
import getpass

from sqlalchemy import select

from greenal.registry.canonical import digest, sha256_hex
from greenal.registry.models import AuditEntry, chars

GENESIS = "0" * 64


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# Columns added by later migrations; left out of a row's hash while empty, so rows written before
# the migration keep the hash the audit log recorded for them.
LATER_COLUMNS = {("users", "password_hash"), ("users", "role")}


def row_dict(obj) -> dict:
    out = {}
    for column in obj.__table__.columns:
        value = getattr(obj, column.key)
        if value is None and (obj.__tablename__, column.key) in LATER_COLUMNS:
            continue
        out[column.key] = f"sha256:{sha256_hex(value)}" if isinstance(value, bytes) else value
    return out


def row_hash(obj) -> str:
    return digest({"table": obj.__tablename__, "row": row_dict(obj)})


def entry_hash(entry: dict) -> str:
    return digest({k: entry[k] for k in ("id", "created", "actor", "action", "table_name", "row_id", "row_hash",
                                         "prev_hash")})


def log(session, actor: str, action: str, obj, deleted: bool = False) -> None:
    """Append one audit entry for `obj` (flushed first, so it has its id)."""
    session.flush()
    last = session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one_or_none()
    entry = {"id": (last.id + 1) if last else 1, "created": now(), "actor": actor_name(actor), "action": action,
             "table_name": obj.__tablename__, "row_id": obj.id, "row_hash": None if deleted else row_hash(obj),
             "prev_hash": last.hash if last else GENESIS}
    session.add(AuditEntry(**entry, hash=entry_hash(entry)))
    session.flush()


def actor_name(actor: str | None) -> str:
    """Who acted, as the audit log records it: cut to the column's width (audit_entries.actor; a web
    actor names the user and the organisation, each of which may be long), ending in '…' when cut."""
    if actor:
        width = chars(AuditEntry.actor)
        return actor if len(actor) <= width else actor[:width - 1] + "…"
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return "unknown"
