"""Web users: scrypt password hashes, adding a user with a password and a role (`greenal registry
user`), and checking a log-in. A user is one row of the registry's `users` table (organisation,
name); `password_hash` None means the user cannot log in on the web pages."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.engine import Engine

from greenal.errors import InputError
from greenal.registry import db as regdb
from greenal.registry.audit import actor_name, log, now
from greenal.registry.models import Organisation, ServiceSetting, User, chars
from greenal.registry.service import ready_engine, organisation_row
from greenal.service.sessions import logout_setting

ROLES = ("producer", "verifier", "admin")
# The organisation kinds a role may belong to (an admin may sit in either).
ROLE_KINDS = {"producer": ("producer",), "verifier": ("verifier",), "admin": ("producer", "verifier")}
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1_000  # scrypt hashes any length; a bound keeps one log-in cheap
# scrypt cost (RFC 7914 §2): N = 2^15, r = 8, p = 1 (OWASP Password Storage Cheat Sheet's minimum
# is N = 2^17 with r = 8 and p = 1; 2^15 is a deliberate trade for 2-core servers, ~50 ms a log-in).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SCRYPT_MAXMEM = 64 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=32)


def hash_password(password: str) -> str:
    """'scrypt$N$r$p$salt$hash' (salt and hash in base64); a fresh 16-byte salt each time."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str | None) -> bool:
    """True when `password` matches the stored hash; False for no hash or a malformed one."""
    if not stored or len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        found = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(found, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False


DUMMY_HASH = hash_password(secrets.token_hex(16))  # compared against when the user is unknown


def check_new_password(password: str) -> None:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise InputError("password", "password", f"{len(password)} characters",
                         f"{MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")


def add_user(organisation: str, name: str, password: str, role: str, db=None, data_dir=None, actor=None) -> dict:
    """Give a user of `organisation` (name or USCC) a web password and a role; the user is created
    if the organisation has none of that name (a verifier's user may already exist from `key add`)."""
    if role not in ROLES:
        raise InputError("command line", "--role", role, f"one of {', '.join(ROLES)}")
    if not name.strip():
        raise InputError("command line", "NAME", name, "a user name")
    if len(name) > chars(User.name):  # users.name: PostgreSQL refuses a longer one
        raise InputError("command line", "NAME", f"{len(name)} characters",
                         f"a user name of at most {chars(User.name)} characters")
    check_new_password(password)
    hashed = hash_password(password)

    def work(session):
        org = organisation_row(session, organisation)
        if org.kind not in ROLE_KINDS[role]:
            raise InputError("command line", "--role", role, f"a role for a {org.kind} organisation: "
                             f"{', '.join(r for r in ROLES if org.kind in ROLE_KINDS[r])}")
        person = session.execute(select(User).where(User.organisation_id == org.id,
                                                    User.name == name)).scalar_one_or_none()
        created = person is None
        if created:
            person = User(organisation_id=org.id, name=name, created=now())
            session.add(person)
        person.password_hash, person.role = hashed, role
        log(session, actor_name(actor), "user" if created else "user password", person)
        return {"id": person.id, "organisation": org.name, "name": name, "role": role, "created": created}
    return regdb.transaction(ready_engine(db, data_dir), work)


def _as_dict(user: User, org: Organisation) -> dict:
    return {"id": user.id, "name": user.name, "role": user.role, "organisation_id": org.id,
            "organisation": org.name, "uscc": org.uscc, "kind": org.kind,
            "password_tag": hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]}


def authenticate(engine: Engine, organisation: str, name: str, password: str) -> dict | None:
    """The user (dict) whose organisation (name or USCC), name and password match, else None.
    An unknown user costs the same scrypt work as a known one (no timing oracle for names)."""
    def work(session):
        row = session.execute(select(User, Organisation).join(Organisation, User.organisation_id == Organisation.id)
                              .where(User.name == name, (Organisation.name == organisation) |
                                     (Organisation.uscc == organisation))).first()
        return row
    row = regdb.transaction(engine, work)
    if row is None or not row[0].password_hash or row[0].role not in ROLES:
        check_password(password, DUMMY_HASH)
        return None
    return _as_dict(*row) if check_password(password, row[0].password_hash) else None


def load_user(engine: Engine, user_id: int) -> dict | None:
    """The user of a session, or None if it no longer may log in."""
    def work(session):
        user = session.get(User, user_id)
        if user is None or not user.password_hash or user.role not in ROLES:
            return None
        logged_out = session.get(ServiceSetting, logout_setting(user_id))
        return {**_as_dict(user, session.get(Organisation, user.organisation_id)),
                "logged_out_at": float(logged_out.value) if logged_out else None}
    return regdb.transaction(engine, work)
