"""Server-rendered web pages for producers, verifiers and buyers (jinja2, autoescaped, zh/en).

Producers upload a declaration, see its footprint, charts, verdicts or the cell-precise error,
download every report format and submit it to the registry; verifiers review, approve (signing
with a private key uploaded for that one request, never stored) or reject; anyone may open
`/verify/<certificate number>`. Every other page needs a log-in (greenal.service.sessions).
Handlers never show a stack trace: every failure becomes an error page (WebRoute)."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.routing import Match

import greenal.registry as registry
from greenal.errors import GreenalError, InputError
from greenal.inventory import in_stage_order
from greenal.paths import bundled
from greenal.registry import db as regdb
from greenal.registry import signing
from greenal.registry.canonical import canonical
from greenal.registry.service import DEFAULT_VALID_DAYS, MAX_REVOCATION_REASON_CHARS, revocation_reason, row_id
from greenal.registry.models import (Certificate, Declaration, DeclarationVersion, Organisation, Revocation,
                                     SigningKey, User)
from greenal.registry.submission import MAX_INPUT_BYTES, as_file, compute, prepare
from greenal.report import html
from greenal.report.i18n import LANGS, translator
from greenal.service.publish import publish_certificates, revoke_certificate
from greenal.service import auth, sessions, users

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = MAX_INPUT_BYTES  # as `greenal registry submit` reads a declaration
MAX_FORM_BYTES = MAX_UPLOAD_BYTES + 64_000  # the upload and the form's other fields
MAX_CARRIED_BYTES = MAX_UPLOAD_BYTES * 4 // 3 + 64_000  # the checked file carried back in base64
MAX_SMALL_FORM_BYTES = 64_000  # log-in, reject, approve (a key file is under signing.MAX_KEY_BYTES)
MAX_REASON_CHARS = 2_000
LANG_COOKIE = "greenal_lang"
GWP_CHOICES = ("ar6", "ar5", "ar4", "sar")
API_PREFIXES = ("/3/", "/3", "/auth", "/2/", "/.well-known")  # the PACT API answers these (greenal.service.pact)
# Download kinds: (greenal.report.render format, file name ending, media type).
DOWNLOADS = {
    "report-html": ("html", "-report.html", "text/html; charset=utf-8"),
    "certificate-html": ("html", "-certificate.html", "text/html; charset=utf-8"),
    "report-pdf": ("pdf", "-report.pdf", "application/pdf"),
    "certificate-pdf": ("pdf", "-certificate.pdf", "application/pdf"),
    "xlsx": ("xlsx", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pact": ("pact", ".pact.json", "application/json"),
    "cbam": ("cbam", "-cbam.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
STATIC = {"web.css": "text/css; charset=utf-8", "web.js": "text/javascript; charset=utf-8"}
COMPUTE_LOCK = threading.Lock()  # one footprint at a time per worker (the Brightway engine is shared)
# Failed log-ins: at most LOGIN_FAILURES per client address and user name within LOGIN_WINDOW_S,
# then 429 until the window passes. Counted in the registry's auth_failures table (greenal.service.auth,
# as the PACT token endpoint's), so every worker on the database sees every other's failures.
LOGIN_FAILURES, LOGIN_WINDOW_S = 10, 15 * 60
# And at most LOGIN_FAILURES_PER_ADDRESS per client address whatever the names tried (password
# spraying; each try costs a scrypt hash), ten users' worth so an office behind one address still logs in.
LOGIN_FAILURES_PER_ADDRESS = 10 * LOGIN_FAILURES


# ---------------------------------------------------------------- failures as pages


class Problem(Exception):
    """An error page: HTTP status and a catalogue key (with an optional detail line or InputError)."""

    def __init__(self, status: int, key: str, detail: str = "", error: GreenalError | None = None):
        super().__init__(key)
        self.status, self.key, self.detail, self.error = status, key, detail, error


class LoginNeeded(Exception):
    pass


def _lang_of(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGS:
        return str(chosen)
    return "zh" if request.headers.get("accept-language", "").lower().startswith("zh") else "en"


def _headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def error_page(request: Request, status: int, key: str, detail: str = "",
               error: GreenalError | None = None) -> Response:
    lang = _lang_of(request)
    page = _template("error.html").render(t=translator(lang), lang=lang, user=None, csrf="", path=request.url.path,
                                          status=status, key=key, detail=detail, error=_error_fields(error))
    return _headers(HTMLResponse(page, status_code=status))


class WebRoute(APIRoute):
    """Routes whose every failure is a page: log-in redirect, 4xx page, or a 500 page (logged)."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginNeeded:
                target = "/login?" + urllib.parse.urlencode({"next": request.url.path})
                return _headers(RedirectResponse(target, status_code=303))
            except Problem as p:
                return error_page(request, p.status, p.key, p.detail, p.error)
            except RequestValidationError:
                return error_page(request, 404, "web_error_not_found")
            except HTTPException as e:
                key = "web_error_not_found" if e.status_code == 404 else "web_error_request"
                return error_page(request, e.status_code, key)
            except Exception:  # noqa: BLE001 (logged for the operator; the client sees a plain page)
                log.exception("web page %s %s failed", request.method, request.url.path)
                return error_page(request, 500, "web_error_server")
        return guarded


class FallbackRoute(WebRoute):
    """The catch-all 404 page; it leaves the PACT API's paths to the API's own errors."""

    def matches(self, scope):
        if scope.get("type") == "http" and scope.get("path", "").startswith(API_PREFIXES):
            return Match.NONE, {}
        return super().matches(scope)


router = APIRouter(route_class=WebRoute)


# ---------------------------------------------------------------- templates


def _template(name: str):
    return html.environment().get_template(f"web/{name}")


def _error_fields(error: GreenalError | None) -> dict | None:
    """An InputError as the page shows it: file, where (field, sheet and cell), value, expected."""
    if error is None:
        return None
    if isinstance(error, InputError):
        return {"file": error.file, "where": error.where, "value": str(error.value), "expected": error.expected,
                "hint": error.hint, "line": str(error)}
    return {"file": "", "where": "", "value": "", "expected": "", "hint": "", "line": str(error)}


# ---------------------------------------------------------------- the visitor


@dataclass
class Visit:
    request: Request
    key: bytes
    session: dict
    user: dict | None
    lang: str
    set_cookie: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def csrf(self) -> str:
        return sessions.csrf_token(self.key, self.session)


def _engine(request: Request):
    return request.app.state.engine


def _db(request: Request) -> Engine:
    """The registry for greenal.registry's functions: the app's engine and its connection pool."""
    return _engine(request)


def _data_dir(request: Request):
    return request.app.state.data_dir


def _key(request: Request) -> bytes:
    state = request.app.state
    if getattr(state, "web_secret", None) is None:
        state.web_secret = sessions.secret(state.engine)
    return state.web_secret


def visit(request: Request) -> Visit:
    """Who is asking: the signed session cookie's user (if still allowed to log in), else a new
    anonymous session that carries the log-in form's CSRF nonce."""
    key = _key(request)
    payload = sessions.unsign(key, request.cookies.get(sessions.SESSION_COOKIE))
    user = None
    if payload and "u" in payload:
        user = users.load_user(_engine(request), int(payload["u"]))
        if (user is None or user["password_tag"] != payload.get("p")
                or sessions.ended(payload, user["logged_out_at"])):
            user, payload = None, None
    fresh = payload is None
    return Visit(request, key, payload or sessions.new_session(None), user, _lang_of(request), set_cookie=fresh)


def _cookie(response: Response, v: Visit) -> Response:
    if v.set_cookie:
        seconds = max(60, int(v.session["exp"] - dt.datetime.now(dt.timezone.utc).timestamp()))
        response.set_cookie(sessions.SESSION_COOKIE, sessions.sign(v.key, v.session), max_age=seconds, httponly=True,
                            samesite="lax", secure=v.request.url.scheme == "https", path="/")
    return _headers(response)


def page(v: Visit, template: str, status: int = 200, **context) -> Response:
    body = _template(template).render(t=translator(v.lang), lang=v.lang, user=v.user, csrf=v.csrf,
                                      path=v.request.url.path, **context)
    return _cookie(HTMLResponse(body, status_code=status), v)


def redirect(v: Visit, target: str) -> Response:
    return _cookie(RedirectResponse(target, status_code=303), v)


def _actor(user: dict) -> str:
    """Who did it, as the audit log records a web action."""
    return f"{user['name']} ({user['organisation']}, web)"


def need(v: Visit, *roles: str) -> dict:
    if v.user is None:
        raise LoginNeeded()
    if roles and v.user["role"] not in roles:
        raise Problem(403, "web_error_forbidden")
    return v.user


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no '//' or backslash tricks)."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(c) < 32 for c in target)):
        return "/"
    return target


async def read_form(request: Request, limit: int) -> FormData:
    """The request's form, refused (413) as soon as the body passes `limit` bytes."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise Problem(413, "web_error_too_large", f"{length} bytes > {limit}")
    received = 0

    async def bounded():
        nonlocal received
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise Problem(413, "web_error_too_large", f"> {limit} bytes")
            yield chunk
    kind = request.headers.get("content-type", "")
    try:
        if kind.startswith("multipart/form-data"):
            return await MultiPartParser(request.headers, bounded(), max_files=2, max_fields=20,
                                         max_part_size=limit).parse()
        if kind.startswith("application/x-www-form-urlencoded"):
            return await FormParser(request.headers, bounded(), max_part_size=limit).parse()
    except MultiPartException as error:
        raise Problem(400, "web_error_request", str(error)) from None
    return FormData()  # no form: fails the CSRF check like any form without its token


def _text(form: FormData, name: str, limit: int = 300) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


async def posted(request: Request, limit: int = MAX_SMALL_FORM_BYTES) -> tuple[Visit, FormData]:
    """A POST's visitor and form, after the CSRF check."""
    v = await run_in_threadpool(visit, request)
    form = await read_form(request, limit)
    if not sessions.csrf_ok(v.key, v.session, _text(form, "csrf", 200)):
        raise Problem(403, "web_error_csrf")
    return v, form


# ---------------------------------------------------------------- footprints and reports


def _stages(results: dict) -> list[str]:
    names = [*results["location_based"]["by_stage_t_co2e"], *results["market_based"]["by_stage_t_co2e"]]
    return in_stage_order(list(dict.fromkeys(names)))


def check_upload(content: bytes, file_name: str, gwp: str, data_dir) -> dict:
    """What the check page shows: declarant, results and verdicts (InputError names file and cell)."""
    with COMPUTE_LOCK:
        declaration, results, verdicts, data_version = compute(content, file_name, data_dir, gwp)
    return {"declarant": declaration.declarant.get("name", ""), "uscc": declaration.declarant.get("uscc", ""),
            "product": declaration.product["kind"], "period_start": declaration.period["start"].isoformat(),
            "period_end": declaration.period["end"].isoformat(), "output_t": declaration.output_t,
            "results": results, "verdicts": verdicts, "stages": _stages(results), "data_version": data_version}


def render_download(content: bytes, file_name: str, kind: str, lang: str, gwp: str, data_dir) -> tuple[bytes, str, str]:
    """(bytes, file name, media type) of one report format of a declaration file's bytes."""
    from greenal import api

    fmt, ending, media = DOWNLOADS[kind]
    with tempfile.TemporaryDirectory(prefix="greenal-web-") as out, as_file(content, file_name) as path, COMPUTE_LOCK:
        result = api.declaration_footprint(path, data_dir)
        written = api.report(result, out, [fmt], lang, gwp, data_dir)
        chosen = [p for p in written if p.name.endswith(ending)]
        return chosen[0].read_bytes(), chosen[0].name, media


def _attachment(data: bytes, name: str, media: str) -> Response:
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(name)}"
    return _headers(Response(data, media_type=media, headers={"Content-Disposition": disposition}))


def _seal_data(user: dict, name: str, gwp: str, content: bytes) -> bytes:
    return f"{user['id']}\0{name}\0{gwp}\0{hashlib.sha256(content).hexdigest()}".encode()


def _carried(v: Visit, form: FormData) -> tuple[bytes, str, str]:
    """The checked upload the check page carried back: its bytes, name and GWP set, if sealed for this user."""
    user = need(v, "producer", "admin")
    name, gwp = _text(form, "name"), _text(form, "gwp")
    try:
        content = base64.b64decode(_text(form, "content", MAX_CARRIED_BYTES), validate=True)
    except (binascii.Error, ValueError):
        raise Problem(400, "web_error_request") from None
    if gwp not in GWP_CHOICES or not sessions.seal_ok(v.key, "upload", _seal_data(user, name, gwp, content),
                                                      _text(form, "seal", 100)):
        raise Problem(400, "web_error_request", "the file was not checked in this session; upload it again")
    return content, name, gwp


def _upload_name(upload: UploadFile) -> str:
    """The browser's file name, as a plain name (its extension chooses the reader)."""
    name = Path((upload.filename or "").replace("\\", "/")).name.strip()
    name = "".join(c for c in name if c.isprintable())[-120:]
    return name or "upload"


# ---------------------------------------------------------------- registry reads


def _sees_all(user: dict) -> bool:
    """Users of verifier organisations see every declaration; users of producer organisations
    (administrators included) only their own organisation's."""
    return user["kind"] == "verifier"


def _declaration_row(v: Visit, declaration_id: int) -> tuple[Declaration, Organisation]:
    """The declaration if this user may see it (see `_sees_all`), else 404 (as if there were none)."""
    user = need(v)

    def work(session):
        d = session.get(Declaration, declaration_id)
        return (d, session.get(Organisation, d.organisation_id)) if d else None
    found = regdb.transaction(_engine(v.request), work) if row_id(declaration_id) is not None else None
    if found is None or (not _sees_all(user) and found[0].organisation_id != user["organisation_id"]):
        raise Problem(404, "web_error_not_found")
    return found


def _own(user: dict, org: Organisation) -> bool:
    return org.id == user["organisation_id"] or bool(org.uscc and org.uscc == user["uscc"])


def _listing(v: Visit, status: str | None = None, exclude_own: bool = False) -> list[dict]:
    user = need(v)

    def work(session):
        q = (select(Declaration, Organisation).join(Organisation, Declaration.organisation_id == Organisation.id)
             .order_by(Declaration.id.desc()))
        if not _sees_all(user):
            q = q.where(Declaration.organisation_id == user["organisation_id"])
        if status:
            q = q.where(Declaration.status == status)
        rows = []
        for d, o in session.execute(q).all():
            if exclude_own and _own(user, o):
                continue
            latest = session.execute(select(DeclarationVersion).where(DeclarationVersion.declaration_id == d.id)
                                     .order_by(DeclarationVersion.number.desc()).limit(1)).scalar_one()
            results = json.loads(latest.results_json)
            rows.append({"id": d.id, "organisation": o.name, "product": d.product, "period_start": d.period_start,
                         "period_end": d.period_end, "status": d.status, "version": latest.number,
                         "submitted": latest.created, "location": results["location_based"]["total_t_co2e"],
                         "market": results["market_based"]["total_t_co2e"]})
        return rows
    return regdb.transaction(_engine(v.request), work)


def _latest_content(v: Visit, declaration_id: int) -> tuple[bytes, str, str]:
    def work(session):
        ver = session.execute(select(DeclarationVersion).where(DeclarationVersion.declaration_id == declaration_id)
                              .order_by(DeclarationVersion.number.desc()).limit(1)).scalar_one()
        return ver.content, ver.file_name, ver.gwp
    return regdb.transaction(_engine(v.request), work)


def _certificates(v: Visit, declaration_id: int) -> list[tuple[str, str, int]]:
    """(number, status, id of the organisation whose verifier signed it) of the declaration's
    certificates, latest first."""
    def work(session):
        rows = session.execute(select(Certificate.number, Certificate.status, User.organisation_id)
                               .select_from(Certificate)
                               .join(SigningKey, Certificate.key_id == SigningKey.key_id)
                               .join(User, SigningKey.user_id == User.id)
                               .join(DeclarationVersion, Certificate.version_id == DeclarationVersion.id)
                               .where(DeclarationVersion.declaration_id == declaration_id)
                               .order_by(Certificate.id.desc())).all()
        return [(number, status, org) for number, status, org in rows]
    return regdb.transaction(_engine(v.request), work)


def _signer_org(v: Visit, declaration_id: int) -> int | None:
    """The organisation whose verifier signed the declaration's latest certificate."""
    certificates = _certificates(v, declaration_id)
    return certificates[0][2] if certificates else None


def _revocable(user: dict, certificates: list[tuple[str, str, int]]) -> dict[str, str]:
    """{number: status} of the certificates this user may revoke: those signed by a verifier of the
    user's own organisation (a verifier organisation's verifier or administrator)."""
    if user["role"] not in ("verifier", "admin") or user["kind"] != "verifier":
        return {}
    return {number: status for number, status, org in certificates if org == user["organisation_id"]}


# ---------------------------------------------------------------- public: static, language, verification


@router.get("/static/{name}", include_in_schema=False)
def static(name: str) -> Response:
    if name not in STATIC:
        raise Problem(404, "web_error_not_found")
    body = (bundled("templates") / "web" / name).read_bytes()
    response = Response(body, media_type=STATIC[name], headers={"Cache-Control": "public, max-age=3600"})
    return _headers(response)


@router.get("/lang/{lang}", include_in_schema=False)
def switch_language(request: Request, lang: str, next: str = "/") -> Response:
    if lang not in LANGS:
        raise Problem(404, "web_error_not_found")
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True,
                        secure=request.url.scheme == "https", path="/")
    return _headers(response)


def certificate_status(engine, number: str, today: dt.date | None = None) -> dict:
    """A certificate as the public page shows it: state valid | revoked | expired | not-yet-valid |
    invalid | unknown, its signed content, and the check of its Ed25519 signature against the
    public key it names and the registry's registered keys. Certificates approved but not yet
    issued are unknown to the public."""
    today = today or dt.datetime.now(dt.timezone.utc).date()

    def work(session):
        cert = session.execute(select(Certificate).where(Certificate.number == number)).scalar_one_or_none()
        if cert is None or cert.status not in ("issued", "revoked"):
            return None
        revocation = session.execute(select(Revocation).where(
            Revocation.certificate_id == cert.id)).scalar_one_or_none()
        key = session.execute(select(SigningKey).where(SigningKey.key_id == cert.key_id)).scalar_one_or_none()
        return (cert.document, cert.status, cert.valid_from, cert.valid_until, cert.verification_code,
                revocation and (revocation.created, revocation.reason), key.public_key_hex if key else None)
    found = regdb.transaction(engine, work) if len(number) <= 64 else None
    if found is None:
        return {"state": "unknown", "number": number, "document": None}
    raw, status, valid_from, valid_until, code, revocation, registered_key = found
    document = json.loads(raw)
    body = {k: value for k, value in document.items() if k != "signature"}
    signature = document.get("signature") or {}
    public = (document.get("verifier") or {}).get("public_key", "")
    signature_ok = (canonical(document) == raw and signature.get("algorithm") == "Ed25519"
                    and public == registered_key
                    and signing.verify(public, canonical(body), str(signature.get("value", ""))))
    if not signature_ok:
        state = "invalid"
    elif revocation or status == "revoked":
        state = "revoked"
    elif today.isoformat() > valid_until:
        state = "expired"
    elif today.isoformat() < valid_from:
        state = "not-yet-valid"
    else:
        state = "valid"
    return {"state": state, "number": number, "document": document,
            "pretty": json.dumps(document, indent=2, ensure_ascii=False),
            "signature_ok": signature_ok, "key_id": signature.get("key_id"), "valid_from": valid_from,
            "valid_until": valid_until, "verification_code": code, "checked_on": today.isoformat(),
            "revoked_on": revocation[0] if revocation else None,
            "revoked_reason": revocation[1] if revocation else None}


@router.get("/verify", include_in_schema=False)
def verify_form(request: Request, number: str = "") -> Response:
    v = visit(request)
    if number.strip():
        return redirect(v, "/verify/" + urllib.parse.quote(number.strip()[:64], safe=""))
    return page(v, "verify.html", c=None)


@router.get("/verify/{number}", include_in_schema=False)
def verify_page(request: Request, number: str) -> Response:
    v = visit(request)
    c = certificate_status(_engine(request), number.strip())
    return page(v, "verify.html", status=200 if c["state"] != "unknown" else 404, c=c)


# ---------------------------------------------------------------- log-in


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    v = visit(request)
    return redirect(v, "/declarations" if v.user else "/login")


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "/") -> Response:
    v = visit(request)
    if v.user:
        return redirect(v, _safe_next(next))
    return page(v, "login.html", next=_safe_next(next), failed=False, organisation="", name="")


def login_limits(address: str, name: str) -> dict[str, int]:
    """The auth_failures sources a failed web log-in counts under, with their limits: this user name
    from this address (hashed, as names are long) and the address; prefixed, so they never mix with
    the PACT token endpoint's bare addresses. The organisation is left out of the key: it may be
    given by name or by code (users.authenticate), two counters for one account."""
    user = hashlib.sha256("\0".join((address, name.casefold())).encode()).hexdigest()
    return {f"web-user:{user[:48]}": LOGIN_FAILURES, f"web-address:{address}": LOGIN_FAILURES_PER_ADDRESS}


@router.post("/login", include_in_schema=False)
async def login(request: Request) -> Response:
    v, form = await posted(request)
    organisation, name = _text(form, "organisation").strip(), _text(form, "name").strip()
    address = request.client.host if request.client else ""
    engine = _engine(request)
    too_many = Problem(429, "web_error_too_many", f"{LOGIN_FAILURES} failed log-ins in {LOGIN_WINDOW_S // 60} min")
    limits = login_limits(address, name)
    if await run_in_threadpool(auth.over_limit, engine, limits, LOGIN_WINDOW_S):
        raise too_many  # (blocked attempts add no rows)
    # counted before the password is checked (auth.reserve_attempt), forgotten below if it succeeds
    reserved = await run_in_threadpool(auth.reserve_attempt, engine, limits, LOGIN_WINDOW_S)
    if reserved is None:
        raise too_many
    user = await run_in_threadpool(users.authenticate, engine, organisation, name,
                                   _text(form, "password", users.MAX_PASSWORD_CHARS + 1))
    if user is None:
        return page(v, "login.html", status=401, next=_safe_next(_text(form, "next")), failed=True,
                    organisation=organisation, name=name)
    await run_in_threadpool(auth.forget_failures, engine, reserved)
    v.session, v.user, v.set_cookie = sessions.new_session(user), user, True  # a new nonce after log-in
    return redirect(v, _safe_next(_text(form, "next")))


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    v, _ = await posted(request)
    if v.user is not None:  # every copy of the session cookie ends, not only the browser's
        await run_in_threadpool(sessions.end_sessions, _engine(request), v.user["id"])
    v.session, v.user, v.set_cookie = sessions.new_session(None), None, True
    return redirect(v, "/login")


# ---------------------------------------------------------------- producer pages


@router.get("/declarations", include_in_schema=False)
def declarations(request: Request) -> Response:
    v = visit(request)
    need(v)
    return page(v, "declarations.html", rows=_listing(v), title_key="web_declarations")


@router.get("/upload", include_in_schema=False)
def upload_form(request: Request) -> Response:
    v = visit(request)
    need(v, "producer", "admin")
    return page(v, "upload.html", gwps=GWP_CHOICES, max_mb=MAX_UPLOAD_BYTES / 1e6)


def _check_page(v: Visit, content: bytes, name: str, gwp: str) -> Response:
    user = need(v, "producer", "admin")
    try:
        checked = check_upload(content, name, gwp, _data_dir(v.request))
    except GreenalError as error:
        return page(v, "check.html", status=422, name=name, error=_error_fields(error), d=None)
    carried = {"content": base64.b64encode(content).decode("ascii"), "name": name, "gwp": gwp,
               "seal": sessions.seal(v.key, "upload", _seal_data(user, name, gwp, content))}
    mine = bool(user["uscc"]) and checked["uscc"] == user["uscc"]
    return page(v, "check.html", name=name, error=None, d=checked, carried=carried, mine=mine,
                downloads=list(DOWNLOADS))


@router.post("/upload", include_in_schema=False)
async def upload(request: Request) -> Response:
    v, form = await posted(request, MAX_FORM_BYTES)
    need(v, "producer", "admin")
    upload_file = form.get("file")
    if not isinstance(upload_file, UploadFile):
        raise Problem(400, "web_error_no_file")
    content = await upload_file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise Problem(413, "web_error_too_large", f"> {MAX_UPLOAD_BYTES} bytes")
    gwp = _text(form, "gwp") if _text(form, "gwp") in GWP_CHOICES else "ar6"
    return await run_in_threadpool(_check_page, v, content, _upload_name(upload_file), gwp)


def evidence_lines(text: str) -> dict:
    """'FIELD=REFERENCE' lines (as `greenal registry submit --evidence`) as a dict."""
    out = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key, sep, ref = line.partition("=")
        if not sep or not key.strip() or not ref.strip():
            raise InputError("evidence references", f"line {number}", line[:80],
                             "FIELD=REFERENCE, e.g. electrolysis.ac_kwh_per_t=meter-log-2024.pdf")
        out[key.strip()] = ref.strip()
    return out


def _submit(v: Visit, content: bytes, name: str, gwp: str, evidence: str = "") -> Response:
    user = need(v, "producer", "admin")
    request = v.request
    try:
        with as_file(content, name) as path, COMPUTE_LOCK:
            sub = prepare(path, _data_dir(request), gwp, evidence_lines(evidence))
        if not user["uscc"] or sub.declarant["uscc"] != user["uscc"]:
            raise InputError(name, "declarant.uscc", sub.declarant["uscc"],
                             f"your organisation's code {user['uscc'] or '(none registered)'}: "
                             "a producer submits only its own declarations")
        done = registry.record(_engine(request), sub, actor=_actor(user))
    except GreenalError as error:
        return page(v, "check.html", status=422, name=name, error=_error_fields(error), d=None)
    return redirect(v, f"/declarations/{done['declaration']}?submitted=1")


@router.post("/upload/submit", include_in_schema=False)
async def upload_submit(request: Request) -> Response:
    v, form = await posted(request, MAX_CARRIED_BYTES)
    content, name, gwp = _carried(v, form)
    return await run_in_threadpool(_submit, v, content, name, gwp, _text(form, "evidence", 20_000))


def _download(v: Visit, content: bytes, name: str, kind: str, gwp: str) -> Response:
    if kind not in DOWNLOADS:
        raise Problem(404, "web_error_not_found")
    try:
        data, file_name, media = render_download(content, name, kind, v.lang, gwp, _data_dir(v.request))
    except GreenalError as error:
        raise Problem(422, "web_error_report", error=error) from None
    return _attachment(data, file_name, media)


@router.post("/upload/report", include_in_schema=False)
async def upload_report(request: Request) -> Response:
    v, form = await posted(request, MAX_CARRIED_BYTES)
    content, name, gwp = _carried(v, form)
    return await run_in_threadpool(_download, v, content, name, _text(form, "kind"), gwp)


@router.get("/declarations/{declaration_id}/report/{kind}", include_in_schema=False)
def declaration_report(request: Request, declaration_id: int, kind: str) -> Response:
    v = visit(request)
    _declaration_row(v, declaration_id)
    content, name, gwp = _latest_content(v, declaration_id)
    return _download(v, content, name, kind, gwp)


@router.get("/declarations/{declaration_id}", include_in_schema=False)
def declaration_page(request: Request, declaration_id: int, submitted: int = 0) -> Response:
    v = visit(request)
    user = need(v)
    d, org = _declaration_row(v, declaration_id)
    shown = registry.show(d.id, db=_db(request), data_dir=_data_dir(request))
    results = shown["results"]
    checked = {"declarant": shown["organisation"], "uscc": shown["uscc"] or "", "product": shown["product"],
               "period_start": shown["period"]["start"], "period_end": shown["period"]["end"], "output_t": None,
               "results": results, "verdicts": shown["verdicts"], "stages": _stages(results),
               "data_version": shown["versions"][-1]["data_version"]}
    reviewer = user["role"] in ("verifier", "admin") and user["kind"] == "verifier"
    checks = None
    if reviewer and d.status == "submitted":
        try:
            with COMPUTE_LOCK:
                checks = registry.review(d.id, db=_db(request), data_dir=_data_dir(request))
        except GreenalError as error:
            checks = [{"check": "review", "status": "fail", "value": None, "detail": str(error), "basis": ""}]
    own = _own(user, org)
    certificates = _certificates(v, d.id)
    signer = certificates[0][2] if certificates else None  # the latest certificate's (as _signer_org)
    can_issue = reviewer and d.status == "approved" and signer == user["organisation_id"]
    can_revoke = [n for n, status in _revocable(user, certificates).items() if status == "issued"]
    return page(v, "declaration.html", s=shown, d=checked, checks=checks, reviewer=reviewer, own=own,
                can_decide=reviewer and not own and d.status == "submitted", can_issue=can_issue,
                failed=[c for c in checks or [] if c["status"] == "fail"], submitted=bool(submitted),
                downloads=list(DOWNLOADS), notice=v.request.query_params.get("done", ""), can_revoke=can_revoke,
                max_revocation_reason=MAX_REVOCATION_REASON_CHARS)


# ---------------------------------------------------------------- verifier pages


@router.get("/queue", include_in_schema=False)
def queue(request: Request) -> Response:
    v = visit(request)
    need(v, "verifier", "admin")
    return page(v, "declarations.html", rows=_listing(v, "submitted", exclude_own=True), title_key="web_queue")


def _decision_target(v: Visit, declaration_id: int) -> dict:
    user = need(v, "verifier", "admin")
    if user["kind"] != "verifier":
        raise Problem(403, "web_error_forbidden")
    _, org = _declaration_row(v, declaration_id)
    if _own(user, org):
        raise Problem(403, "web_error_own_org")
    return user


def _approve(v: Visit, declaration_id: int, key_bytes: bytes, valid_days: int) -> Response:
    """Sign with the private key uploaded for this request: written 0600 into a private temp folder
    (signing.load_private refuses a key others can read), used once, deleted; never logged or stored.
    The key must be registered to the logged-in verifier."""
    user = _decision_target(v, declaration_id)
    request = v.request
    with tempfile.TemporaryDirectory(prefix="greenal-key-") as folder:
        path = Path(folder) / "verifier.key"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, key_bytes)
        finally:
            os.close(fd)
        try:
            public = signing.public_hex(signing.load_private(path))

            def owner(session):
                key = session.execute(select(SigningKey).where(
                    SigningKey.public_key_hex == public)).scalar_one_or_none()
                return key.user_id if key else None
            if regdb.transaction(_engine(request), owner) != user["id"]:
                raise InputError("key file", "key", signing.key_id(public),
                                 f"a signing key registered to {user['name']}")
            with COMPUTE_LOCK:
                registry.approve(declaration_id, path, db=_db(request), data_dir=_data_dir(request),
                                 valid_days=valid_days, actor=_actor(user))
        except GreenalError as error:
            raise Problem(422, "web_error_decision", error=_clean(error, path)) from None
    return redirect(v, f"/declarations/{declaration_id}?done=approved")


def _clean(error: GreenalError, key_path: Path) -> GreenalError:
    """The error without the server's temp path of the key."""
    if isinstance(error, InputError) and error.file == str(key_path):
        error.file = "key file"
    return error


@router.post("/declarations/{declaration_id}/approve", include_in_schema=False)
async def approve(request: Request, declaration_id: int) -> Response:
    v, form = await posted(request)
    key_file = form.get("key")
    if not isinstance(key_file, UploadFile):
        raise Problem(400, "web_error_no_file")
    key_bytes = await key_file.read(signing.MAX_KEY_BYTES + 1)
    try:
        valid_days = int(_text(form, "valid_days") or DEFAULT_VALID_DAYS)
    except ValueError:
        raise Problem(400, "web_error_request", "valid days: a whole number") from None
    return await run_in_threadpool(_approve, v, declaration_id, key_bytes, valid_days)


def _reject(v: Visit, declaration_id: int, reason: str) -> Response:
    user = _decision_target(v, declaration_id)
    try:
        registry.reject(declaration_id, reason, db=_db(v.request), data_dir=_data_dir(v.request),
                        actor=_actor(user))
    except GreenalError as error:
        raise Problem(422, "web_error_decision", error=error) from None
    return redirect(v, f"/declarations/{declaration_id}?done=rejected")


@router.post("/declarations/{declaration_id}/reject", include_in_schema=False)
async def reject(request: Request, declaration_id: int) -> Response:
    v, form = await posted(request)
    return await run_in_threadpool(_reject, v, declaration_id, _text(form, "reason", MAX_REASON_CHARS))


def _issue(v: Visit, declaration_id: int) -> Response:
    user = need(v, "verifier", "admin")
    _declaration_row(v, declaration_id)
    if user["kind"] != "verifier" or _signer_org(v, declaration_id) != user["organisation_id"]:
        raise Problem(403, "web_error_forbidden")
    try:
        issued = registry.issue(declaration_id, db=_db(v.request), data_dir=_data_dir(v.request),
                                actor=_actor(user))
        publish_certificates(_engine(v.request), issued["certificate"])  # served by the PACT API at once
    except GreenalError as error:
        raise Problem(422, "web_error_decision", error=error) from None
    return redirect(v, f"/declarations/{declaration_id}?done=issued")


@router.post("/declarations/{declaration_id}/issue", include_in_schema=False)
async def issue(request: Request, declaration_id: int) -> Response:
    v, _ = await posted(request)
    return await run_in_threadpool(_issue, v, declaration_id)


def _revoke(v: Visit, declaration_id: int, number: str, reason: str) -> Response:
    """Revoke a certificate of the declaration, signed by the user's organisation, and deprecate its
    PACT footprint (greenal.service.publish.revoke_certificate, as `greenal registry revoke`)."""
    user = need(v, "verifier", "admin")
    _declaration_row(v, declaration_id)
    mine = _revocable(user, _certificates(v, declaration_id))
    if number not in mine:
        raise Problem(403, "web_error_forbidden")
    if mine[number] == "revoked":
        raise Problem(409, "web_error_already_revoked", number)
    try:
        reason = revocation_reason(reason, "revocation form", "reason")
        revoke_certificate(number, reason, db=_db(v.request), data_dir=_data_dir(v.request), actor=_actor(user))
    except GreenalError as error:
        if _revocable(user, _certificates(v, declaration_id)).get(number) == "revoked":  # meanwhile, by another
            raise Problem(409, "web_error_already_revoked", number) from None  # request (worker): as above
        raise Problem(422, "web_error_decision", error=error) from None
    return redirect(v, f"/declarations/{declaration_id}?done=revoked")


@router.post("/declarations/{declaration_id}/revoke", include_in_schema=False)
async def revoke(request: Request, declaration_id: int) -> Response:
    v, form = await posted(request)
    return await run_in_threadpool(_revoke, v, declaration_id, _text(form, "certificate", 64),
                                   _text(form, "reason", MAX_SMALL_FORM_BYTES))


# ---------------------------------------------------------------- anything else


def not_found(path: str) -> Response:
    raise Problem(404, "web_error_not_found")


router.add_api_route("/{path:path}", not_found, methods=["GET", "POST"], include_in_schema=False,
                     route_class_override=FallbackRoute)
