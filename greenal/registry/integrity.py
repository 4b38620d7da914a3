"""Audit-chain check, and export to / import from JSON lines (restores the registry exactly)."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import rfc8785
from sqlalchemy import select, text

from greenal.errors import InputError
from greenal.files import atomic_target
from greenal.registry import db as regdb
from greenal.registry import signing
from greenal.registry.canonical import canonical, sha256_hex
from greenal.registry.models import TABLES, TRACKED, AuditEntry, Certificate, SigningKey
from greenal.registry.audit import GENESIS, entry_hash, row_hash
from greenal.registry.service import ready_engine

FORMAT = "greenal-registry-export"


def _problems(session) -> list[str]:
    problems = []
    latest: dict[tuple[str, int], str | None] = {}
    previous, expected_id = GENESIS, 1
    for e in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
        entry = {c.key: getattr(e, c.key) for c in AuditEntry.__table__.columns}
        if e.id != expected_id:
            problems.append(f"audit entry {expected_id} is missing (next is {e.id})")
        if e.prev_hash != previous:
            problems.append(f"audit entry {e.id}: chain broken (previous hash does not match entry {e.id - 1})")
        if entry_hash(entry) != e.hash:
            problems.append(f"audit entry {e.id}: changed after it was written (hash mismatch)")
        previous, expected_id = e.hash, e.id + 1
        latest[(e.table_name, e.row_id)] = e.row_hash
    for model in TRACKED:
        seen = set()
        for obj in session.execute(select(model)).scalars():
            seen.add(obj.id)
            key = (model.__tablename__, obj.id)
            if key not in latest:
                problems.append(f"{model.__tablename__} row {obj.id}: not in the audit log (inserted behind its back)")
            elif latest[key] is None:
                problems.append(f"{model.__tablename__} row {obj.id}: the audit log records it deleted")
            elif latest[key] != row_hash(obj):
                problems.append(f"{model.__tablename__} row {obj.id}: changed since its last audited write")
        for (table, row_id), h in latest.items():
            if table == model.__tablename__ and h is not None and row_id not in seen:
                problems.append(f"{table} row {row_id}: deleted, but the audit log has no deletion")
    return problems + _signature_problems(session)


def _signature_problems(session) -> list[str]:
    """Every stored certificate still verifies against the registered key it names."""
    problems = []
    keys = {k.key_id: k.public_key_hex for k in session.execute(select(SigningKey)).scalars()}
    for cert in session.execute(select(Certificate).order_by(Certificate.id)).scalars():
        try:
            document = json.loads(cert.document)
            body = {k: v for k, v in document.items() if k != "signature"}
            ok = (canonical(document) == cert.document and sha256_hex(cert.document) == cert.sha256
                  and signing.verify(keys.get(cert.key_id, ""), canonical(body), document["signature"]["value"]))
        except (ValueError, KeyError, TypeError, rfc8785.CanonicalizationError):
            ok = False
        if not ok:
            problems.append(f"certificate {cert.number}: its stored document no longer verifies with key {cert.key_id}")
    return problems


def _head_of(text: str) -> tuple[int, str]:
    entry_id, _, entry_hash_hex = str(text).partition(":")
    if not (entry_id.isdigit() and len(entry_hash_hex) == 64 and all(c in "0123456789abcdef" for c in entry_hash_hex)):
        raise InputError("command line", "--head", text, "ID:HASH as an earlier `greenal registry check` printed it")
    return int(entry_id), entry_hash_hex


def check(db=None, data_dir=None, head: str | None = None) -> dict:
    """Problems found in the audit chain and in every audited table (empty list: intact), and the
    chain's head ("ID:HASH" of the newest entry). A chain is intact as far as it goes: newest rows
    deleted together with their entries leave no trace inside the database, so the head is to be
    recorded outside it, and `head` (a recorded one) must still be in the chain."""
    expected = _head_of(head) if head is not None else None

    def work(session):
        last = session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one_or_none()
        problems = _problems(session)
        if expected is not None:
            entry = session.get(AuditEntry, expected[0])
            if entry is None or entry.hash != expected[1]:
                problems.append(f"audit entry {expected[0]}: {'missing' if entry is None else 'another hash'} where "
                                f"the recorded head {expected[1][:16]}… was: the log was cut back or rewritten")
        return {"audit_entries": last.id if last else 0, "head": f"{last.id}:{last.hash}" if last else "0:" + GENESIS,
                "problems": problems}
    return regdb.transaction(ready_engine(db, data_dir), work)


def _encode(value):
    return {"base64": base64.b64encode(value).decode()} if isinstance(value, bytes) else value


def _decode(value):
    return base64.b64decode(value["base64"]) if isinstance(value, dict) and set(value) == {"base64"} else value


def export(path, db=None, data_dir=None) -> dict:
    """Every row of every table, one JSON object a line, in foreign-key order; written atomically."""
    def work(session):
        lines = [json.dumps({"format": FORMAT, "version": 1, "schema": regdb.head()}, sort_keys=True)]
        for model in TABLES:
            for obj in session.execute(select(model).order_by(model.id)).scalars():
                row = {c.key: _encode(getattr(obj, c.key)) for c in model.__table__.columns}
                lines.append(json.dumps({"table": model.__tablename__, "row": row}, sort_keys=True, ensure_ascii=False))
        return lines
    lines = regdb.transaction(ready_engine(db, data_dir), work)
    with atomic_target(Path(path)) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"path": str(path), "rows": len(lines) - 1}


def import_(path, db=None, data_dir=None) -> dict:
    """Restore an export into an initialised, empty registry, in one transaction."""
    if not Path(path).is_file():
        raise InputError(str(path), "file", str(path), "an existing registry export (.jsonl)")
    raw = Path(path).read_bytes()
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError(str(path), "file", "undecodable bytes", "UTF-8 JSON lines") from None
    models = {m.__tablename__: m for m in TABLES}
    try:
        header = json.loads(lines[0]) if lines else {}
    except json.JSONDecodeError:
        header = {}
    if header.get("format") != FORMAT or header.get("schema") != regdb.head():
        raise InputError(str(path), "line 1", lines[0][:60] if lines else "",
                         f"a {FORMAT} header at schema {regdb.head()}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        try:
            item = json.loads(line)
            model = models[item["table"]]
            values = {k: _decode(v) for k, v in item["row"].items()}
            if set(values) != {c.key for c in model.__table__.columns}:
                raise KeyError("columns")
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise InputError(str(path), f"line {number}", line[:60], "one exported row as JSON") from None
        rows.append((model, values))
    engine = ready_engine(db, data_dir)

    def work(session):
        for model in TABLES:
            if session.execute(select(model.id).limit(1)).first():
                raise InputError("registry", model.__tablename__, "rows present", "an empty registry to import into")
        for model, values in rows:
            session.add(model(**values))
            session.flush()
        if engine.dialect.name == "postgresql":
            for model in TABLES:
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{model.__tablename__}', 'id'), "
                                     f"COALESCE((SELECT MAX(id) FROM {model.__tablename__}), 0) + 1, false)"))
        problems = _problems(session)
        if problems:  # raised inside the transaction: a tampered export leaves the registry empty
            raise InputError(str(path), "audit chain", problems[0], "an intact export (nothing was imported)")
        return {"rows": len(rows), "problems": problems}
    return regdb.transaction(engine, work)
