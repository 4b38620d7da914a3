"""Web sessions without server state: an HMAC-SHA256-signed cookie holding the user id, an expiry,
a random nonce and a tag of the user's password hash (a new password ends every session). The
signing secret lives in the registry's `service_settings` table, so every worker on one database
signs and checks alike. CSRF tokens are HMACs of the session's nonce (a synchronizer token that
needs no storage); before log-in a signed anonymous cookie carries the nonce."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

from sqlalchemy import exc
from sqlalchemy.engine import Engine

from greenal.registry import db as regdb
from greenal.registry.models import ServiceSetting

SECRET_SETTING = "web.session_secret"
SESSION_COOKIE = "greenal_session"
SESSION_SECONDS = 8 * 3600  # one working day; log in again after
ANONYMOUS_SECONDS = 2 * 3600  # the log-in form's CSRF nonce


def secret(engine: Engine, name: str = SECRET_SETTING) -> bytes:
    """A signing secret every worker shares (service_settings), made once (32 random bytes) by
    whichever worker asks first: the session secret, or the PACT token key (service.auth)."""
    def read(session):
        row = session.get(ServiceSetting, name)
        return row.value if row else None

    def create(session):
        row = session.get(ServiceSetting, name)
        if row is None:
            row = ServiceSetting(name=name, value=secrets.token_hex(32))
            session.add(row)
        return row.value
    value = regdb.transaction(engine, read)
    if value is None:
        try:
            value = regdb.transaction(engine, create)
        except exc.IntegrityError:  # another worker made it meanwhile
            value = regdb.transaction(engine, read)
    return bytes.fromhex(value)


def _mac(key: bytes, purpose: str, data: bytes) -> str:
    mac = hmac.new(key, purpose.encode() + b"\0" + data, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def sign(key: bytes, payload: dict) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{body}.{_mac(key, 'session', body.encode())}"


def unsign(key: bytes, cookie: str | None, now: float | None = None) -> dict | None:
    """The payload of a cookie this service signed and that has not expired, else None."""
    if not cookie or len(cookie) > 4096 or cookie.count(".") != 1:
        return None
    body, mac = cookie.split(".")
    if not hmac.compare_digest(mac, _mac(key, "session", body.encode())):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), (int, float)):
        return None
    return payload if payload["exp"] > (now if now is not None else time.time()) else None


def new_session(user: dict | None, now: float | None = None) -> dict:
    """A fresh payload: a user's session, or (user None) an anonymous one for the log-in form.
    A user's session records when it began ("t"), so a log-out can end it (see `ended`)."""
    at = now if now is not None else time.time()
    if user is None:
        return {"n": secrets.token_urlsafe(16), "exp": int(at + ANONYMOUS_SECONDS)}
    return {"u": user["id"], "p": user["password_tag"], "n": secrets.token_urlsafe(16),
            "exp": int(at + SESSION_SECONDS), "t": at}


def logout_setting(user_id: int) -> str:
    """The service setting holding when the user last logged out (sessions begun before are dead)."""
    return f"web.logout.{int(user_id)}"


def end_sessions(engine: Engine, user_id: int, now: float | None = None) -> float:
    """Log-out: every session of the user begun until now ends, wherever its cookie was copied
    (cookies are stateless, so clearing the browser's copy alone would leave the others valid)."""
    at = now if now is not None else time.time()

    def work(session):
        row = session.get(ServiceSetting, logout_setting(user_id))
        if row is None:
            session.add(ServiceSetting(name=logout_setting(user_id), value=repr(at)))
        else:
            row.value = repr(max(at, float(row.value)))
    try:
        regdb.transaction(engine, work)
    except exc.IntegrityError:  # a log-out of the same user in another worker at the same instant
        regdb.transaction(engine, work)
    return at


def ended(payload: dict, logged_out_at: float | None) -> bool:
    """Whether a user's session began before the user's last log-out."""
    began = payload.get("t")
    if logged_out_at is None:
        return False
    return not isinstance(began, (int, float)) or began <= logged_out_at


def csrf_token(key: bytes, payload: dict) -> str:
    return _mac(key, "csrf", str(payload.get("n", "")).encode())


def csrf_ok(key: bytes, payload: dict | None, token: str | None) -> bool:
    if not payload or not payload.get("n") or not token:
        return False
    return hmac.compare_digest(str(token), csrf_token(key, payload))


def seal(key: bytes, purpose: str, data: bytes) -> str:
    """A MAC binding `data` to this service (e.g. an upload carried back by the browser)."""
    return _mac(key, purpose, data)


def seal_ok(key: bytes, purpose: str, data: bytes, mac: str | None) -> bool:
    return bool(mac) and hmac.compare_digest(str(mac), _mac(key, purpose, data))
