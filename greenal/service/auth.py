"""PACT API clients and their access tokens (OAuth 2.0 client credentials grant, RFC 6749 §4.4).

Secrets are stored only as salted scrypt hashes (RFC 7914). Access tokens are JWTs (RFC 7519)
signed with HMAC-SHA256 under a key kept in the registry's `service_settings`, so any worker on
the same database checks any other worker's tokens. Failed client authentications are recorded
in `auth_failures`, so the rate limit holds across workers too; the web log-in
(greenal.service.web) counts its failures there as well, under its own sources.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from greenal.errors import InputError
from greenal.registry import db as regdb
from greenal.registry.audit import now
from greenal.registry.models import ApiClient, AuthFailure, Organisation, chars
from greenal.service import sessions
from greenal.service.users import DUMMY_HASH, check_password, hash_password

TOKEN_TTL_S = 3600
TOKEN_KEY_SETTING = "pact_token_key"
FAILURE_WINDOW_S = 300
MAX_FAILURES = 10  # failed authentications per source address within the window
FAILURE_KEEP_S = 24 * 3600  # longer than any caller's window (web log-in: 15 min): older failures are deleted
CLIENT_CACHE_S = 5.0  # a removed client's tokens stop working within this time
CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class TokenInvalid(Exception):
    """The bearer token is missing, malformed, not ours, or its client was removed."""


class TokenExpired(TokenInvalid):
    pass


@dataclass(frozen=True)
class Client:
    client_id: str
    organisation_id: int | None


# ---------------------------------------------------------------- secrets


# Client secrets are hashed exactly as web passwords are (one place: greenal.service.users).
hash_secret = hash_password


def check_secret(secret: str, stored: str) -> bool:
    return check_password(secret, stored)


# ---------------------------------------------------------------- clients


def add_client(engine: Engine, client_id: str, organisation: str | None = None, events_url: str | None = None,
               callback_token_url: str | None = None, callback_client_id: str | None = None,
               callback_secret: str | None = None) -> dict:
    """Register a client; returns its id and secret (the secret is shown once, stored hashed)."""
    if not CLIENT_ID.match(client_id):
        raise InputError("command line", "NAME", client_id, "1-100 letters, digits, '.', '_' or '-'")
    for option, url in (("--events-url", events_url), ("--callback-token-url", callback_token_url)):
        if url and not url.startswith("https://"):
            raise InputError("command line", option, url, "an https:// URL")
    if events_url and not (callback_token_url and callback_client_id and callback_secret):
        raise InputError("command line", "--events-url", events_url,
                         "with --callback-token-url, --callback-client-id and --callback-secret "
                         "(the recipient's credentials)")
    secret = secrets.token_urlsafe(32)

    def work(session):
        if session.execute(select(ApiClient).where(ApiClient.client_id == client_id)).scalar_one_or_none():
            raise InputError("registry", "client", client_id, "a client name not yet registered")
        org_id = None
        if organisation:
            org = session.execute(select(Organisation).where(
                (Organisation.name == organisation) | (Organisation.uscc == organisation))).scalar_one_or_none()
            if org is None:
                raise InputError("registry", "--org", organisation, "a registered organisation (name or code)")
            org_id = org.id
        session.add(ApiClient(client_id=client_id, secret_hash=hash_secret(secret), organisation_id=org_id,
                              created=now(), events_url=events_url, callback_token_url=callback_token_url,
                              callback_client_id=callback_client_id, callback_secret=callback_secret))
        return {"client_id": client_id, "client_secret": secret, "organisation": organisation}
    return regdb.transaction(engine, work)


def remove_client(engine: Engine, client_id: str) -> dict:
    """Revoke a client: its secret and every token it holds stop working."""
    def work(session):
        row = session.execute(select(ApiClient).where(ApiClient.client_id == client_id,
                                                      ApiClient.revoked.is_(None))).scalar_one_or_none()
        if row is None:
            raise InputError("registry", "client", client_id,
                             "a registered, active client (greenal serve clients list)")
        row.revoked = now()
        return {"client_id": client_id, "revoked": row.revoked}
    return regdb.transaction(engine, work)


def list_clients(engine: Engine) -> list[dict]:
    def work(session):
        rows = session.execute(select(ApiClient, Organisation.name).outerjoin(
            Organisation, ApiClient.organisation_id == Organisation.id).order_by(ApiClient.id)).all()
        return [{"client_id": c.client_id, "organisation": name, "created": c.created, "revoked": c.revoked,
                 "events_url": c.events_url} for c, name in rows]
    return regdb.transaction(engine, work)


def authenticate(engine: Engine, client_id: str, secret: str) -> Client | None:
    def work(session):
        return session.execute(select(ApiClient).where(ApiClient.client_id == client_id,
                                                       ApiClient.revoked.is_(None))).scalar_one_or_none()
    row = regdb.transaction(engine, work) if client_id else None
    if row is None:
        check_secret(secret, DUMMY_HASH)  # one scrypt either way: no timing hint that the id exists
        return None
    return Client(row.client_id, row.organisation_id) if check_secret(secret, row.secret_hash) else None


_clients: dict[tuple[str, str], tuple[float, Client | None]] = {}


def active_client(engine: Engine, client_id: str) -> Client | None:
    """The client if still registered and not removed (cached for CLIENT_CACHE_S)."""
    key = (str(engine.url), client_id)
    hit = _clients.get(key)
    if hit and time.monotonic() - hit[0] < CLIENT_CACHE_S:
        return hit[1]

    def work(session):
        return session.execute(select(ApiClient.organisation_id).where(
            ApiClient.client_id == client_id, ApiClient.revoked.is_(None))).first()
    row = regdb.transaction(engine, work)
    client = Client(client_id, row[0]) if row else None
    _clients[key] = (time.monotonic(), client)
    return client


# ---------------------------------------------------------------- rate limit


def _ago(seconds: float) -> str:
    moment = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=seconds)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _source(source: str) -> str:
    return source[:chars(AuthFailure.source)]


def too_many_failures(engine: Engine, source: str, limit: int = MAX_FAILURES,
                      window_s: int = FAILURE_WINDOW_S) -> bool:
    """At least `limit` failures recorded for `source` within the last `window_s` seconds, by any
    worker on this database (the PACT token endpoint and the web log-in both count here)."""
    def work(session):
        return session.execute(select(func.count()).select_from(AuthFailure).where(
            AuthFailure.source == _source(source), AuthFailure.created >= _ago(window_s))).scalar_one()
    return regdb.transaction(engine, work) >= limit


def over_limit(engine: Engine, limits: dict[str, int], window_s: int = FAILURE_WINDOW_S, extra: int = 0) -> bool:
    """Any source of `limits` (failures allowed per source) at its limit (+ `extra`) within the window."""
    return any(too_many_failures(engine, source, limit + extra, window_s) for source, limit in limits.items())


def reserve_attempt(engine: Engine, limits: dict[str, int], window_s: int = FAILURE_WINDOW_S) -> list[int] | None:
    """Count an attempt as a failure of each source before its secret is checked, so that many sent at
    once cannot all pass the limit before one of them is recorded: the reserved rows' ids (give them
    to forget_failures when the attempt succeeds), or None when, this attempt counted, a limit is
    passed (the attempt is then refused and stays counted)."""
    ids = record_failure(engine, *limits, window_s=window_s)
    return None if over_limit(engine, limits, window_s, extra=1) else ids


def record_failure(engine: Engine, *sources: str, window_s: int = FAILURE_WINDOW_S) -> list[int]:
    """One failure for each of `sources` (their row ids returned); their failures older than
    `window_s`, and anyone's older than FAILURE_KEEP_S, are deleted."""
    def work(session):
        session.execute(delete(AuthFailure).where(
            (AuthFailure.source.in_([_source(s) for s in sources]) & (AuthFailure.created < _ago(window_s)))
            | (AuthFailure.created < _ago(FAILURE_KEEP_S))))
        rows = [AuthFailure(source=_source(source), created=now()) for source in sources]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]
    return regdb.transaction(engine, work)


def forget_failures(engine: Engine, ids: list[int]) -> None:
    """Delete the failures recorded (record_failure) for an attempt that then succeeded."""
    regdb.transaction(engine, lambda session: session.execute(delete(AuthFailure).where(AuthFailure.id.in_(ids))))


# ---------------------------------------------------------------- tokens


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_keys: dict[str, bytes] = {}


def token_key(engine: Engine) -> bytes:
    """The HMAC key every worker shares: created once in service_settings, then only read."""
    url = str(engine.url)
    if url not in _keys:
        _keys[url] = sessions.secret(engine, TOKEN_KEY_SETTING)
    return _keys[url]


def issue_token(engine: Engine, client: Client, ttl_s: int = TOKEN_TTL_S, issued_at: float | None = None) -> str:
    iat = int(time.time() if issued_at is None else issued_at)
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"iss": "greenal", "sub": client.client_id, "iat": iat, "exp": iat + ttl_s,
              "jti": secrets.token_hex(8), "scope": "footprint:list footprint:read"}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(token_key(engine), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def check_token(engine: Engine, token: str) -> Client:
    """The client a bearer token was issued to; TokenExpired or TokenInvalid otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenInvalid("malformed")
    expected = hmac.new(token_key(engine), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    try:
        valid = hmac.compare_digest(_unb64(parts[2]), expected)
        claims = json.loads(_unb64(parts[1])) if valid else None
    except (ValueError, UnicodeDecodeError):
        raise TokenInvalid("malformed") from None
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str) or not isinstance(claims.get("exp"), int):
        raise TokenInvalid("bad signature or claims")
    if claims["exp"] <= time.time():
        raise TokenExpired("expired")
    client = active_client(engine, claims["sub"])
    if client is None:
        raise TokenInvalid("client removed")
    return client
