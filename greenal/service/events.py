"""PACT v3 Action Events (CloudEvents 1.0, structured JSON mode): what a client posts to
/3/events, and greenal's answers to its events endpoint.

A RequestCreatedEvent is answered once, after the 200, with a RequestFulfilledEvent carrying the
matching footprints or, when none matches, a RequestRejectedEvent with error NotFound
(openapi.yaml RequestCreatedEvent / RequestFulfilledEvent: "If there are no product footprints to
return, the data owner MUST send a RequestRejectedEvent"). Delivery is retried with exponential
back-off; an answer not delivered stays in pact_events (delivered NULL) for `deliver_pending`.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import ssl
import time
import uuid

import httpx
from sqlalchemy import exc, select
from sqlalchemy.engine import Engine

from greenal.registry import db as regdb
from greenal.registry.audit import now
from greenal.registry.models import ApiClient, PactEvent, PublishedFootprint
from greenal.service import filters
from greenal.service.auth import Client
from greenal.service.publish import instant

PREFIX = "org.wbcsd.pact.ProductFootprint."
REQUEST_CREATED = PREFIX + "RequestCreatedEvent.3"
REQUEST_FULFILLED = PREFIX + "RequestFulfilledEvent.3"
REQUEST_REJECTED = PREFIX + "RequestRejectedEvent.3"
PUBLISHED = PREFIX + "PublishedEvent.3"
TYPES = (REQUEST_CREATED, REQUEST_FULFILLED, REQUEST_REJECTED, PUBLISHED)
CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
ATTEMPTS = 4
BACKOFF_S = 1.0  # 1, 2, 4 s between attempts
TIMEOUT_S = 10.0
log = logging.getLogger("greenal.service")


class EventError(ValueError):
    """The event is invalid; the message says which attribute (answered 400 BadRequest)."""


def validate(event) -> dict:
    """The event if it is a CloudEvent of a PACT v3 type (BaseEvent: type, specversion, id, source,
    time, data all required), else EventError."""
    if not isinstance(event, dict):
        raise EventError("the body must be a CloudEvent JSON object")
    for name in ("type", "specversion", "id", "source", "time"):
        if not isinstance(event.get(name), str) or not event[name]:
            raise EventError(f"attribute {name!r} must be a non-empty string")
    if event["specversion"] != "1.0":
        raise EventError(f"specversion must be '1.0', got {event['specversion'][:20]!r}")
    if event["type"] not in TYPES:
        raise EventError(f"type must be one of {', '.join(TYPES)}")
    if len(event["id"]) > 100:
        raise EventError("attribute 'id' must be at most 100 characters")
    try:
        instant(event["time"])
    except ValueError:
        raise EventError(f"attribute 'time' must be an RFC 3339 date-time, got {event['time'][:40]!r}") from None
    data = event.get("data")
    if not isinstance(data, dict):
        raise EventError("attribute 'data' must be an object")
    if event["type"] == REQUEST_CREATED:
        try:
            filters.from_event(data)
        except filters.FilterError as error:
            raise EventError(f"data: {error}") from None
    elif event["type"] == PUBLISHED:
        if not isinstance(data.get("pfIds"), list) or not all(isinstance(i, str) for i in data["pfIds"]):
            raise EventError("data.pfIds must be a list of footprint ids")
    elif not isinstance(data.get("requestEventId"), str):
        raise EventError("data.requestEventId must be a string")
    elif event["type"] == REQUEST_FULFILLED and not (isinstance(data.get("pfs"), list) and data["pfs"]):
        raise EventError("data.pfs must be a non-empty list of ProductFootprints")
    elif event["type"] == REQUEST_REJECTED and not isinstance(data.get("error"), dict):
        raise EventError("data.error must be an Error object")
    return event


def visible(row, client: Client) -> bool:
    """A client bound to an organisation sees that organisation's footprints and unowned ones; a
    client bound to none (the registry operator's) sees all."""
    return client.organisation_id is None or row.organisation_id in (None, client.organisation_id)


def _cloud_event(kind: str, source: str, data: dict) -> dict:
    stamp = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {"type": kind, "specversion": "1.0", "id": str(uuid.uuid4()), "source": source, "time": stamp, "data": data}


def answer(session, client: Client, event: dict, source: str) -> dict:
    """The RequestFulfilledEvent or RequestRejectedEvent answering a RequestCreatedEvent."""
    wanted = filters.from_event(event["data"])
    rows = session.execute(select(PublishedFootprint).order_by(PublishedFootprint.id)).scalars().all()
    pfs = [json.loads(r.document) for r in rows if visible(r, client) and filters.matches(r, wanted)]
    if pfs and not wanted.empty():
        return _cloud_event(REQUEST_FULFILLED, source, {"requestEventId": event["id"], "pfs": pfs})
    return _cloud_event(REQUEST_REJECTED, source, {"requestEventId": event["id"], "error": {
        "code": "NotFound", "message": "The requested footprint could not be found."}})


def receive(engine: Engine, client: Client, event: dict, source: str) -> int | None:
    """Store a valid event; for a RequestCreatedEvent also its answer (to deliver). Returns the
    row id to deliver, or None (nothing to send, or a repeat of an event already received)."""
    def work(session):
        status, response = "received", None
        if event["type"] == REQUEST_CREATED:
            reply = answer(session, client, event, source)
            status = "fulfilled" if reply["type"] == REQUEST_FULFILLED else "rejected"
            response = json.dumps(reply, ensure_ascii=False, separators=(",", ":"))
        row = PactEvent(event_id=event["id"], client_id=client.client_id, type=event["type"],
                        body=json.dumps(event, ensure_ascii=False, separators=(",", ":")), status=status,
                        response=response, created=now(), attempts=0)
        session.add(row)
        session.flush()
        return row.id if response else None
    try:
        return regdb.transaction(engine, work)
    except exc.IntegrityError:
        return None  # CloudEvents: the same id again is the same event (answered once)


def can_answer(engine: Engine, client: Client) -> bool:
    def work(session):
        return session.execute(select(ApiClient.events_url).where(ApiClient.client_id == client.client_id)).scalar()
    return bool(regdb.transaction(engine, work))


def _post(target: ApiClient, body: str, verify: bool | str) -> None:
    """One delivery: a token from the recipient's /auth/token, then the event to its /3/events.
    `verify`: True (system CAs) or a CA file trusted for the recipient."""
    context = ssl.create_default_context(cafile=verify) if isinstance(verify, str) else ssl.create_default_context()
    with httpx.Client(verify=context, timeout=TIMEOUT_S) as http:
        token = http.post(target.callback_token_url or "", data={"grant_type": "client_credentials"},
                          auth=(target.callback_client_id or "", target.callback_secret or ""))
        token.raise_for_status()
        access = token.json()["access_token"]
        sent = http.post(target.events_url or "", content=body.encode(),
                         headers={"Content-Type": CONTENT_TYPE, "Authorization": f"Bearer {access}"})
        sent.raise_for_status()


def deliver(engine: Engine, row_id: int, verify=True, attempts: int = ATTEMPTS, backoff_s: float = BACKOFF_S) -> bool:
    """Send a stored answer to its client's events endpoint; True once delivered."""
    def load(session):
        event = session.get(PactEvent, row_id)
        target = session.execute(select(ApiClient).where(ApiClient.client_id == event.client_id)).scalar_one()
        return event.response, target
    body, target = regdb.transaction(engine, load)
    if not body or not target.events_url:
        return False
    for attempt in range(attempts):
        try:
            _post(target, body, verify)
        except (httpx.HTTPError, KeyError, ValueError) as error:
            log.warning("event %s to %s: attempt %d failed (%s)", row_id, target.events_url, attempt + 1,
                        type(error).__name__)
            _mark(engine, row_id, delivered=False)
            if attempt < attempts - 1:
                time.sleep(backoff_s * 2 ** attempt)
            continue
        _mark(engine, row_id, delivered=True)
        return True
    return False


def _mark(engine: Engine, row_id: int, delivered: bool) -> None:
    def work(session):
        row = session.get(PactEvent, row_id)
        row.attempts = (row.attempts or 0) + 1
        if delivered:
            row.delivered = now()
    regdb.transaction(engine, work)


def deliver_pending(engine: Engine, verify=True, attempts: int = 1) -> dict:
    """Retry every answer not yet delivered (`greenal serve events retry`)."""
    def work(session):
        return [r.id for r in session.execute(select(PactEvent).where(
            PactEvent.response.is_not(None), PactEvent.delivered.is_(None))).scalars()]
    ids = regdb.transaction(engine, work)
    done = sum(deliver(engine, i, verify, attempts) for i in ids)
    return {"pending": len(ids), "delivered": done}


def notify_published(engine: Engine, pf_ids: list[str], source: str, verify=True) -> list[dict]:
    """Send a PublishedEvent naming the footprints each client with an events endpoint may read."""
    def work(session):
        rows = session.execute(select(PublishedFootprint).where(PublishedFootprint.pf_id.in_(pf_ids))).scalars().all()
        targets = session.execute(select(ApiClient).where(ApiClient.revoked.is_(None),
                                                          ApiClient.events_url.is_not(None))).scalars().all()
        return rows, targets
    rows, targets = regdb.transaction(engine, work)
    sent = []
    for target in targets:
        client = Client(target.client_id, target.organisation_id)
        ids = [r.pf_id for r in rows if visible(r, client)]
        if not ids:
            continue
        body = json.dumps(_cloud_event(PUBLISHED, source, {"pfIds": ids}), separators=(",", ":"))
        try:
            _post(target, body, verify)
            sent.append({"client": target.client_id, "pfIds": ids, "delivered": True})
        except (httpx.HTTPError, KeyError, ValueError) as error:
            sent.append({"client": target.client_id, "pfIds": ids, "delivered": False, "error": type(error).__name__})
    return sent
