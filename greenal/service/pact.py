"""PACT Technical Specifications v3.0 host system: /auth/token, /3/footprints, /3/events
(reference: openapi.yaml of PACT v3.0.3 and the PACT V3 conformance test cases).

Every route answers only over HTTPS (the request's scheme, or X-Forwarded-Proto from a trusted
proxy); over plain HTTP no token and no data are given (conformance cases 9, 10, 11, 17).
Errors carry the spec's Error object {"code", "message"}; /auth/token answers as RFC 6749 §5.2.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
from urllib.parse import unquote_plus, urlencode

from fastapi import APIRouter, BackgroundTasks, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import bindparam, select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from greenal.registry.models import PublishedFootprint
from greenal.service import auth, events, filters

router = APIRouter()
log = logging.getLogger("greenal.service")
PAGE_DEFAULT = 100
PAGE_MAX = 1000
MAX_EVENT_BYTES = 1_000_000
PACT_PATHS = ("/3/", "/auth/", "/.well-known/")
JSON = "application/json"
# The hot reads, built once (SQLAlchemy then only binds parameters).
LIST_ROWS = select(PublishedFootprint.id, PublishedFootprint.organisation_id, PublishedFootprint.status,
                   PublishedFootprint.product_ids, PublishedFootprint.company_ids, PublishedFootprint.geography,
                   PublishedFootprint.classifications, PublishedFootprint.valid_from,
                   PublishedFootprint.valid_until).order_by(PublishedFootprint.id)
LIST_DOCUMENTS = select(PublishedFootprint.id, PublishedFootprint.document).where(
    PublishedFootprint.id.in_(bindparam("ids", expanding=True)))
GET_ONE = select(PublishedFootprint.organisation_id, PublishedFootprint.document).where(
    PublishedFootprint.pf_id == bindparam("pf_id"))


class PactError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


def _oauth_error(status: int, error: str, description: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})


def _https(request: Request) -> bool:
    return request.url.scheme == "https" or not request.app.state.require_https


def _engine(request: Request):
    return request.app.state.engine


def _reader(request: Request):
    return request.app.state.reader


def _client(request: Request) -> auth.Client:
    if not _https(request):
        raise PactError(403, "AccessDenied", "HTTPS is required")
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PactError(401, "BadRequest", "Invalid token provided", {"WWW-Authenticate": 'Bearer realm="greenal"'})
    try:
        return auth.check_token(_engine(request), token.strip())
    except auth.TokenExpired:
        raise PactError(401, "TokenExpired", "The access token has expired",
                        {"WWW-Authenticate": 'Bearer realm="greenal", error="invalid_token"'}) from None
    except auth.TokenInvalid:
        raise PactError(401, "BadRequest", "Invalid token provided",
                        {"WWW-Authenticate": 'Bearer realm="greenal", error="invalid_token"'}) from None


# ---------------------------------------------------------------- /auth/token


def _credentials(request: Request, form) -> tuple[str, str] | None:
    """client_id, client_secret from HTTP Basic (RFC 6749 §2.3.1, form-urlencoded parts) or the form."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return (unquote_plus(user), unquote_plus(password)) if sep else None
    if form.get("client_id") and form.get("client_secret"):
        return str(form["client_id"]), str(form["client_secret"])
    return None


@router.post("/auth/token")
async def token(request: Request):
    if not _https(request):
        return _oauth_error(400, "invalid_request", "HTTPS is required")
    engine = _engine(request)
    source = request.client.host if request.client else "unknown"
    if auth.too_many_failures(engine, source):
        return _oauth_error(429, "invalid_client", "Too many failed attempts; retry later",
                            {"Retry-After": str(auth.FAILURE_WINDOW_S)})
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return _oauth_error(400, "invalid_request", "The body must be application/x-www-form-urlencoded")
    form = await request.form()
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
    credentials = _credentials(request, form)
    # counted before its secret is checked (as the web log-in), forgotten below if it succeeds
    reserved = auth.reserve_attempt(engine, {source: auth.MAX_FAILURES})
    if reserved is None:
        return _oauth_error(429, "invalid_client", "Too many failed attempts; retry later",
                            {"Retry-After": str(auth.FAILURE_WINDOW_S)})
    # scrypt takes tens of ms: off the event loop, so that other requests are not held up
    client = await run_in_threadpool(auth.authenticate, engine, *credentials) if credentials else None
    if client is None:
        return _oauth_error(401, "invalid_client", "Client authentication failed",
                            {"WWW-Authenticate": 'Basic realm="greenal"'})
    auth.forget_failures(engine, reserved)
    ttl = request.app.state.token_ttl_s
    return JSONResponse({"access_token": auth.issue_token(engine, client, ttl), "token_type": "Bearer",
                         "expires_in": ttl, "scope": "footprint:list footprint:read"},
                        headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@router.get("/.well-known/openid-configuration")
async def openid_configuration(request: Request):
    """Discovery document (OpenID Connect Discovery 1.0 §3) naming the token endpoint."""
    if not _https(request):
        return _error(403, "AccessDenied", "HTTPS is required")
    base = str(request.base_url).rstrip("/")
    return JSONResponse({"issuer": base, "token_endpoint": f"{base}/auth/token",
                         "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                         "grant_types_supported": ["client_credentials"], "response_types_supported": ["token"],
                         "scopes_supported": ["footprint:list", "footprint:read"]})


# ---------------------------------------------------------------- footprints


def _page(request: Request) -> tuple[int, int, list[tuple[str, str]]]:
    """(offset, limit, filter pairs) of the query; unknown parameters are refused except the
    host's own `x-…` ones (ListFootprints §Filtering), e.g. the v2 `$filter` (case 40)."""
    offset, limit, pairs = 0, PAGE_DEFAULT, []
    for name, value in request.query_params.multi_items():
        key = name.lower()
        if key in ("limit", "offset"):
            if not value.isdigit() or len(value) > 9:
                raise PactError(400, "BadRequest", f"{name} must be a non-negative integer")
            if key == "limit":
                limit = min(int(value), PAGE_MAX)
            else:
                offset = int(value)
        elif key.startswith("x-"):
            continue
        else:
            pairs.append((name, value))
    return offset, limit, pairs


def _link(request: Request, offset: int, limit: int) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k.lower() not in ("limit", "offset")]
    query = urlencode(params + [("limit", str(limit)), ("offset", str(offset))])
    return str(request.url.replace(query=query))  # absolute; host as the request's Host header


@router.get("/3/footprints")
async def list_footprints(request: Request):
    client = _client(request)
    offset, limit, pairs = _page(request)
    try:
        wanted = filters.build(pairs)
    except filters.FilterError as error:
        raise PactError(400, "BadRequest", str(error)) from None
    with _reader(request).connect() as connection:
        rows = connection.execute(LIST_ROWS).all()
        hits = [r.id for r in rows if events.visible(r, client) and filters.matches(r, wanted)]
        page = hits[offset:offset + limit] if limit else []
        documents = dict(connection.execute(LIST_DOCUMENTS, {"ids": page}).all()) if page else {}
    body = '{"data":[' + ",".join(documents[i] for i in page) + "]}"
    links = []
    if limit and len(hits) > limit:
        last = ((len(hits) - 1) // limit) * limit
        links.append(f'<{_link(request, 0, limit)}>; rel="first"')
        if offset > 0:
            links.append(f'<{_link(request, max(offset - limit, 0), limit)}>; rel="prev"')
        if offset + limit < len(hits):
            links.append(f'<{_link(request, offset + limit, limit)}>; rel="next"')
        links.append(f'<{_link(request, last, limit)}>; rel="last"')
    return Response(body.encode(), media_type=JSON, headers={"Link": ", ".join(links)} if links else None)


@router.get("/3/footprints/{pf_id}")
async def get_footprint(pf_id: str, request: Request):
    client = _client(request)
    try:
        key = str(uuid.UUID(pf_id))
    except ValueError:
        key = None
    row = None
    if key:
        with _reader(request).connect() as connection:
            row = connection.execute(GET_ONE, {"pf_id": key}).first()
    if row is None:
        raise PactError(404, "NotFound", "The requested footprint could not be found.")
    if not events.visible(row, client):
        raise PactError(403, "AccessDenied", "Access to the requested footprint is denied.")
    return Response(('{"data":' + row.document + "}").encode(), media_type=JSON)


# ---------------------------------------------------------------- events


@router.post("/3/events")
async def post_event(request: Request, background: BackgroundTasks):
    client = _client(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/cloudevents+json", JSON):
        raise PactError(400, "BadRequest", "The body must be application/cloudevents+json")
    body = await request.body()
    if len(body) > MAX_EVENT_BYTES:
        raise PactError(400, "BadRequest", f"The event must be under {MAX_EVENT_BYTES} bytes")
    try:
        event = events.validate(json.loads(body))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise PactError(400, "BadRequest", "The body is not valid JSON") from None
    except events.EventError as error:
        raise PactError(400, "BadRequest", str(error)) from None
    engine = _engine(request)
    if event["type"] == events.REQUEST_CREATED and not await run_in_threadpool(events.can_answer, engine, client):
        raise PactError(400, "BadRequest", "No events endpoint is registered for this client, so the request "
                                           "cannot be answered; ask the data owner to register one")
    source = str(request.base_url).rstrip("/") + "/3/events"
    row_id = await run_in_threadpool(events.receive, engine, client, event, source)
    if row_id is not None:
        background.add_task(events.deliver, engine, row_id, request.app.state.callback_verify)
    return Response(status_code=200)


# ---------------------------------------------------------------- errors


def _pact_path(request: Request) -> bool:
    return request.url.path.startswith(PACT_PATHS)


def install_error_handlers(app: FastAPI) -> None:
    """PACT routes answer errors with the spec's Error object; nobody ever sees a stack trace."""
    @app.exception_handler(PactError)
    async def pact_error(request: Request, error: PactError):
        return _error(error.status, error.code, error.message, error.headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException):
        if not _pact_path(request):
            return await http_exception_handler(request, error)
        code = {403: "AccessDenied", 404: "NotFound", 501: "NotImplemented"}.get(error.status_code, "BadRequest")
        message = {404: "Not found", 405: "Method not allowed"}.get(error.status_code, "Bad request")
        return _error(error.status_code, code, message, getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        if not _pact_path(request):
            return await request_validation_exception_handler(request, error)
        return _error(400, "BadRequest", "Bad request")

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if _pact_path(request):
            return _error(500, "InternalError", "Internal error")
        return PlainTextResponse("Internal Server Error", status_code=500)
