"""What the PACT API serves: `published_footprints`, one PACT v3 ProductFootprint per issued
certificate (built by greenal.report.pact from the certificate's signed results) and per product
of a `greenal shipments` output folder (its pact/*.pact.json, built by greenal.supply.pact).

A revoked certificate's footprint stays readable with status Deprecated (PACT v3 ProductFootprint
.status: "SHOULD NOT be used by data recipients")."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from greenal.errors import InputError
from greenal.registry import db as regdb
from greenal.registry.audit import now
from greenal.registry.models import Certificate, Declaration, DeclarationVersion, Organisation, PublishedFootprint
from greenal.registry.service import revoke
from greenal.report import pact as report_pact

MAX_DOCUMENT_BYTES = 1_000_000
VALIDITY_DEFAULT_YEARS = 3  # PACT v3 validityPeriodStart: without one, valid 3 years after referencePeriodEnd


def instant(text: str) -> dt.datetime:
    """An RFC 3339 date-time (or a date) as an aware UTC datetime; ValueError if it is neither."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def _z(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def validity(document: dict) -> tuple[str, str]:
    """(start, end) of the validity period (PACT v3 §validity-period): the document's own, else
    referencePeriodEnd to 3 years after it."""
    start, end = document.get("validityPeriodStart"), document.get("validityPeriodEnd")
    ref_end = instant(document["pcf"]["referencePeriodEnd"])
    begin = instant(start) if start else ref_end
    finish = instant(end) if end else ref_end.replace(year=ref_end.year + VALIDITY_DEFAULT_YEARS)
    return _z(begin), _z(finish)


def geographies(pcf: dict) -> list[str]:
    """Codes a `geography` filter matches: the footprint's region, country or subdivision, and for a
    subdivision (ISO 3166-2, e.g. CN-GX) its country too (the footprint lies within it)."""
    keys = ("geographyRegionOrSubregion", "geographyCountry", "geographyCountrySubdivision")
    codes = [pcf[k] for k in keys if pcf.get(k)]
    sub = pcf.get("geographyCountrySubdivision")
    if sub and "-" in sub:
        codes.append(sub.split("-", 1)[0])
    return codes


def _check(document, where: str) -> dict:
    if not isinstance(document, dict):
        raise InputError(where, "document", type(document).__name__, "a PACT ProductFootprint JSON object")
    missing = report_pact.missing_fields(document)
    if missing:
        raise InputError(where, missing[0], "(missing)", "a PACT v3 ProductFootprint with every required field")
    try:
        # the id as GetFootprint looks it up (pact.py): the canonical 8-4-4-4-12 lower-case form, not a
        # urn:uuid:, braced or upper-case spelling of it (and never longer than the 36-character column)
        if str(uuid.UUID(str(document["id"]))) != document["id"]:
            raise ValueError(document["id"])
        validity(document)
    except (ValueError, TypeError, KeyError):
        raise InputError(where, "id / validity", document.get("id"),
                         "a UUID id in its canonical form (lower-case 8-4-4-4-12) and RFC 3339 date-times") from None
    if document["status"] not in ("Active", "Deprecated"):
        raise InputError(where, "status", document["status"], "Active or Deprecated")
    return document


def _store(session, document: dict, source: str, source_ref: str, organisation_id: int | None) -> str:
    """Insert or replace the footprint with the document's id; returns 'added', 'updated' or 'same'."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    start, end = validity(document)
    row = session.execute(select(PublishedFootprint).where(
        PublishedFootprint.pf_id == document["id"])).scalar_one_or_none()
    if row is not None and row.document == text and row.organisation_id == organisation_id:
        return "same"
    values = {"organisation_id": organisation_id, "source": source, "source_ref": source_ref[:200],
              "status": document["status"], "product_ids": json.dumps(document["productIds"]),
              "company_ids": json.dumps(document["companyIds"]),
              "geography": json.dumps(geographies(document["pcf"])),
              "classifications": json.dumps(document.get("productClassifications", [])),
              "valid_from": start, "valid_until": end, "document": text}
    if row is None:
        session.add(PublishedFootprint(pf_id=document["id"], created=now(), **values))
        return "added"
    for key, value in values.items():
        setattr(row, key, value)
    return "updated"


def publish_document(engine: Engine, document: dict, source: str, source_ref: str,
                     organisation_id: int | None = None) -> str:
    """Publish one ProductFootprint (checked first); returns 'added', 'updated' or 'same'."""
    _check(document, source_ref)
    return regdb.transaction(engine, lambda session: _store(session, document, source, source_ref, organisation_id))


# ---------------------------------------------------------------- certificates


def certificate_footprint(certificate_document: bytes, declaration_content: bytes, file_name: str,
                          status: str = "Active") -> dict:
    """The ProductFootprint of an issued certificate: greenal.report.pact over the certificate's
    signed results and the declaration it certifies (no recomputation: the numbers are the signed ones)."""
    from greenal.registry.submission import parse_bytes

    cert = json.loads(certificate_document)
    decl = parse_bytes(declaration_content, file_name)
    claim, market = cert["claim"], cert["results"]["market_based"]
    report = {
        "market_based": market, "location_based": cert["results"]["location_based"],
        "electricity": {**cert["results"]["electricity"], "certificates": [c.id for c in decl.certificates]},
        "declarant_record": {k: str(v) for k, v in decl.declarant.items()},
        "inputs": decl.to_mapping(), "input_hash": cert["declaration"]["sha256"], "gwp": cert["gwp"],
        "created": cert["signed"], "declarant": claim["declarant"]["name"], "uscc": claim["declarant"]["uscc"],
        "product": claim["product"], "toolkit_version": cert["toolkit_version"], "data_version": cert["data_version"],
        "period": claim["period"], "stages": list(market["by_stage_t_co2e"]), "certificate_number": cert["number"],
    }
    document = report_pact.product_footprint(report)
    until = dt.date.fromisoformat(cert["validity"]["until"]) + dt.timedelta(days=1)  # valid through `until`
    document.update(status=status, validityPeriodStart=f"{cert['validity']['from']}T00:00:00Z",
                    validityPeriodEnd=f"{until.isoformat()}T00:00:00Z")
    return document


def publish_certificates(engine: Engine, number: str | None = None) -> list[dict]:
    """Publish every issued certificate's footprint not yet published (or the one numbered
    `number`), and mark revoked certificates' footprints Deprecated. Returns what changed."""
    def rows(session):
        q = (select(Certificate, DeclarationVersion, Declaration.organisation_id)
             .join(DeclarationVersion, Certificate.version_id == DeclarationVersion.id)
             .join(Declaration, DeclarationVersion.declaration_id == Declaration.id)
             .where(Certificate.status.in_(("issued", "revoked"))))
        if number:
            q = q.where(Certificate.number == number)
        published = {r.source_ref: r.status for r in session.execute(
            select(PublishedFootprint).where(PublishedFootprint.source == "certificate")).scalars()}
        return [(c.number, c.status, c.document, v.content, v.file_name, org) for c, v, org in session.execute(q).all()
                if published.get(c.number) != ("Deprecated" if c.status == "revoked" else "Active")]
    todo = regdb.transaction(engine, rows)
    if number and not todo and not regdb.transaction(engine, lambda s: s.execute(select(Certificate.id).where(
            Certificate.number == number, Certificate.status.in_(("issued", "revoked")))).first()):
        raise InputError("registry", "certificate", number, "the number of an issued certificate")
    changed = []
    for cert_number, status, cert_doc, content, file_name, org_id in todo:
        pf_status = "Deprecated" if status == "revoked" else "Active"
        document = certificate_footprint(cert_doc, content, file_name, pf_status)
        what = publish_document(engine, document, "certificate", cert_number, org_id)
        changed.append({"certificate": cert_number, "id": document["id"], "status": document["status"], "change": what})
    return changed


def revoke_certificate(number: str, reason: str, db=None, data_dir=None, actor=None) -> dict:
    """Revoke an issued certificate (greenal.registry.revoke) and at once mark its PACT footprint
    Deprecated: the one path of `greenal registry revoke` and of the web page's revocation form."""
    revoked = revoke(number, reason, db=db, data_dir=data_dir, actor=actor)
    revoked["footprints"] = publish_certificates(regdb.open_engine(db, data_dir), revoked["certificate"])
    return revoked


# ---------------------------------------------------------------- shipments


def publish_shipments(engine: Engine, out_dir, organisation: str | None = None) -> list[dict]:
    """Publish the product footprints of a `greenal shipments` output folder (pact/*.pact.json).
    Each belongs to `organisation` if given, else to the registered organisation whose code is in
    its companyIds, else to none (then every client may read it)."""
    folder = Path(out_dir)
    files = sorted((folder / "pact" if (folder / "pact").is_dir() else folder).glob("*.pact.json"))
    if not files:
        raise InputError(str(folder), "pact/*.pact.json", "(none)", "a `greenal shipments --out` folder")
    documents = []
    for path in files:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise InputError(str(path), "file", f"{path.stat().st_size} bytes",
                             f"a document under {MAX_DOCUMENT_BYTES} bytes")
        try:
            documents.append((path, _check(json.loads(path.read_text(encoding="utf-8")), str(path))))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise InputError(str(path), "file", type(error).__name__, "a PACT ProductFootprint JSON file") from None

    def owners(session):
        orgs = session.execute(select(Organisation)).scalars().all()
        if organisation:
            match = [o.id for o in orgs if organisation in (o.name, o.uscc)]
            if not match:
                raise InputError("registry", "--org", organisation, "a registered organisation (name or code)")
            return {path: match[0] for path, _ in documents}
        by_urn = {f"urn:pact:company:cn:uscc:{o.uscc}".lower(): o.id for o in orgs if o.uscc}
        return {path: next((by_urn[c.lower()] for c in doc["companyIds"] if c.lower() in by_urn), None)
                for path, doc in documents}
    owner = regdb.transaction(engine, owners)

    def work(session):
        return [{"file": str(path), "id": doc["id"], "status": doc["status"],
                 "change": _store(session, doc, "shipment", str(path.name), owner[path])} for path, doc in documents]
    return regdb.transaction(engine, work)
