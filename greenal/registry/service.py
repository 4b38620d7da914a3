"""The certifier desk's operations. Each write is one transaction (greenal.registry.db.transaction)
and appends hash-chained audit entries (greenal.registry.audit) for every row it inserts, changes
or deletes."""
from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path

from sqlalchemy import func, select

from greenal.errors import InputError
from greenal.files import atomic_target
from greenal.registry import db as regdb
from greenal.registry import review as checks
from greenal.registry import signing
from greenal.registry.audit import actor_name, log, now
from greenal.registry.canonical import canonical, sha256_hex
from greenal.model.electricity import serial_ranges_overlap, serial_readings
from greenal.registry.models import (Certificate, Claim, Declaration, DeclarationVersion, Organisation, Revocation,
                                     SigningKey, User, chars)
from greenal.registry.submission import Submission, parse_bytes, prepare

DEFAULT_VALID_DAYS = 365
MAX_REVOCATION_REASON_CHARS = 500  # a revocation's reason is public (verify page, `greenal verify`): a readable line
CERTIFICATE_TYPE = "greenal green-aluminium certificate"
# Test hooks (no-ops in use): called inside the write transaction, before the commit.
hooks = {"after_claim_check": lambda: None, "before_commit": lambda: None}
# Characters that reorder the text shown after them (Unicode UAX #9: embeddings, overrides, isolates, marks)
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _hidden(c: str) -> bool:
    """A control character (terminal escapes, NUL) or a bidirectional-text control."""
    return unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS


def one_line(text: str) -> str:
    """Text as one printable line for a report or a terminal (a revocation reason stored before
    `revoke` checked them): white space runs, line breaks included, one space; controls shown as U+FFFD."""
    return "".join("\ufffd" if _hidden(c) else c for c in " ".join(str(text).split()))


# ---------------------------------------------------------------- organisations and keys


def init(db=None, data_dir=None) -> str:
    engine = regdb.open_engine(db, data_dir)
    regdb.migrate(engine, "head")
    return regdb.shown(str(engine.url))


def ready_engine(db, data_dir):
    """The registry at `db` (or the default in `data_dir`), checked to be at the current schema."""
    return regdb.ready(regdb.open_engine(db, data_dir))


def add_organisation(name: str, kind: str, uscc: str | None = None, db=None, data_dir=None, actor=None) -> dict:
    if kind not in ("producer", "verifier"):
        raise InputError("command line", "--kind", kind, "producer or verifier")
    if not name.strip():
        raise InputError("command line", "NAME", name, "an organisation name")
    if len(name) > chars(Organisation.name):  # organisations.name: PostgreSQL refuses a longer one
        raise InputError("command line", "NAME", f"{len(name)} characters",
                         f"an organisation name of at most {chars(Organisation.name)} characters")

    def work(session):
        if session.execute(select(Organisation).where(Organisation.name == name)).scalar_one_or_none():
            raise InputError("registry", "organisation", name, "a name not yet registered")
        if uscc and session.execute(select(Organisation).where(Organisation.uscc == uscc)).scalar_one_or_none():
            raise InputError("registry", "--uscc", uscc, "a code not yet registered")
        org = Organisation(name=name, uscc=uscc, kind=kind, created=now())
        session.add(org)
        log(session, actor_name(actor), "organisation", org)
        return {"id": org.id, "name": name, "kind": kind, "uscc": uscc}
    return regdb.transaction(ready_engine(db, data_dir), work)


def organisation_row(session, name: str) -> Organisation:
    org = session.execute(select(Organisation).where(
        (Organisation.name == name) | (Organisation.uscc == name))).scalar_one_or_none()
    if org is None:
        raise InputError("registry", "organisation", name, "a registered organisation (greenal registry org add)")
    return org


def add_key(public_key_file, organisation: str, user: str, db=None, data_dir=None, actor=None) -> dict:
    public = signing.read_public(public_key_file)

    def work(session):
        org = organisation_row(session, organisation)
        if org.kind != "verifier":
            raise InputError("registry", "--org", organisation, "a verifier organisation (keys sign certificates)")
        if session.execute(select(SigningKey).where(SigningKey.public_key_hex == public)).scalar_one_or_none():
            raise InputError(str(public_key_file), "public key", signing.key_id(public), "a key not yet registered")
        person = session.execute(select(User).where(User.organisation_id == org.id,
                                                    User.name == user)).scalar_one_or_none()
        if person is None:
            person = User(organisation_id=org.id, name=user, created=now())
            session.add(person)
            log(session, actor_name(actor), "user", person)
        key = SigningKey(key_id=signing.key_id(public), user_id=person.id, public_key_hex=public, created=now())
        session.add(key)
        log(session, actor_name(actor), "key", key)
        return {"key_id": key.key_id, "organisation": org.name, "user": user}
    return regdb.transaction(ready_engine(db, data_dir), work)


# ---------------------------------------------------------------- submit


def _earlier_claim(session, declaration_id: int, claim: dict):
    """The first registered claim overlapping `claim` in another declaration, with its owner.
    Serials are compared whatever the scheme named, as EAC-2 does within one declaration: a
    green-power-trade certificate is a GEC with the same code (the national GEC system issues it
    and moves it to the buyer), so the scheme name must not make one certificate two."""
    # Every claim whose first reading has the same prefix (a range written with separators and the
    # same range written with other zero padding share it), then compared in each reading.
    readings = serial_readings(claim["serial_from"], claim["serial_to"])
    q = (select(Claim, Declaration, Organisation)
         .join(Declaration, Claim.declaration_id == Declaration.id)
         .join(Organisation, Declaration.organisation_id == Organisation.id)
         .where(Claim.prefix == claim["prefix"], Claim.declaration_id != declaration_id)
         .order_by(Claim.id))
    for row in session.execute(q):
        if serial_ranges_overlap(readings, serial_readings(row[0].serial_from, row[0].serial_to)):
            return row
    return None


def record(engine, sub: Submission, actor: str | None = None) -> dict:
    """Write a prepared submission: organisation, declaration, version and claims, or nothing."""
    actor = actor_name(actor)

    def work(session):
        org = session.execute(
            select(Organisation).where(Organisation.uscc == sub.declarant["uscc"])).scalar_one_or_none()
        if org is None:
            namesake = session.execute(select(Organisation).where(
                Organisation.name == sub.declarant["name"]).limit(1)).scalar_one_or_none()
            if namesake is not None:  # one name, one organisation (log-in and `--org` go by name)
                raise InputError(sub.file_name, "declarant.name", sub.declarant["name"],
                                 f"the name of the organisation with code {sub.declarant['uscc']}: this name is "
                                 f"registered to {namesake.uscc or 'an organisation without a code'}")
            org = Organisation(name=sub.declarant["name"], uscc=sub.declarant["uscc"], kind="producer", created=now())
            session.add(org)
            log(session, actor, "organisation", org)
        decl = session.execute(select(Declaration).where(
            Declaration.organisation_id == org.id, Declaration.product == sub.product,
            Declaration.period_start == sub.period["start"], Declaration.period_end == sub.period["end"])
        ).scalar_one_or_none()
        if decl is not None:
            latest = _latest(session, decl.id)
            if latest.sha256 == sub.sha256:
                raise InputError(sub.file_name, "file", sub.sha256[:16],
                                 "a changed declaration: the same file is "
                                 f"declaration {decl.id} version {latest.number}")
            if decl.status in ("approved", "issued"):
                raise InputError(sub.file_name, "declaration", f"{decl.id} ({decl.status})",
                                 "a declaration not yet approved: once approved it cannot be changed; revoke its "
                                 "certificate and declare again for another period or product")
            for old in session.execute(select(Claim).where(Claim.declaration_id == decl.id)).scalars():
                session.delete(old)
                log(session, actor, "release claim", old, deleted=True)
            decl.status, decl.reason = "submitted", None
            log(session, actor, "resubmit", decl)
        else:
            decl = Declaration(organisation_id=org.id, product=sub.product, period_start=sub.period["start"],
                               period_end=sub.period["end"], status="submitted", created=now())
            session.add(decl)
            log(session, actor, "submit", decl)
        number = (session.execute(select(func.max(DeclarationVersion.number)).where(
            DeclarationVersion.declaration_id == decl.id)).scalar() or 0) + 1
        ver = DeclarationVersion(
            declaration_id=decl.id, number=number, file_name=sub.file_name, content=sub.content, sha256=sub.sha256,
            toolkit_version=sub.toolkit_version, data_version=sub.data_version, gwp=sub.gwp,
            results_json=canonical(sub.results).decode(), verdicts_json=canonical(sub.verdicts).decode(),
            evidence_json=canonical(sub.evidence).decode(), created=now())
        session.add(ver)
        log(session, actor, "version", ver)
        for claim in sub.claims:
            earlier = _earlier_claim(session, decl.id, claim)
            if earlier:
                c, d, o = earlier
                raise InputError(sub.file_name, f"certificate {claim['id']}",
                                 f"{claim['scheme']} {claim['serial_from']}–{claim['serial_to']}",
                                 "serials no other declaration claims; already claimed by "
                                 f"{o.name} ({o.uscc or 'no code'}), declaration {d.id}, {d.product} "
                                 f"{d.period_start} to {d.period_end} ({c.serial_from}–{c.serial_to})")
            hooks["after_claim_check"]()
            row = Claim(declaration_id=decl.id, **{k: claim[k] for k in (
                "scheme", "prefix", "number_from", "number_to", "serial_from", "serial_to", "mwh", "vintage",
                "technology", "region")})
            session.add(row)
            log(session, actor, "claim", row)
        hooks["before_commit"]()
        return {"declaration": decl.id, "version": number, "status": decl.status, "organisation": org.name,
                "sha256": sub.sha256, "claims": len(sub.claims)}
    return regdb.transaction(engine, work)


def submit(path, db=None, data_dir=None, gwp: str = "ar6", evidence: dict | None = None, actor=None) -> dict:
    engine = ready_engine(db, data_dir)
    return record(engine, prepare(path, data_dir, gwp, evidence), actor)


# ---------------------------------------------------------------- reading


def _latest(session, declaration_id: int) -> DeclarationVersion:
    return session.execute(select(DeclarationVersion).where(DeclarationVersion.declaration_id == declaration_id)
                           .order_by(DeclarationVersion.number.desc()).limit(1)).scalar_one()


MAX_ROW_ID = 2**63 - 1  # the largest key SQLite's INTEGER and PostgreSQL's BIGINT hold


def row_id(value) -> int | None:
    """A table key from user input, or None when it cannot be one (the database would raise on it)."""
    try:
        key = int(value)
    except (TypeError, ValueError):
        return None
    return key if 1 <= key <= MAX_ROW_ID else None


def _declaration(session, declaration_id) -> Declaration:
    key = row_id(declaration_id)
    decl = session.get(Declaration, key) if key is not None else None
    if decl is None:
        raise InputError("registry", "declaration id", declaration_id,
                         "the id of a registered declaration (greenal registry list)")
    return decl


def _read(db, data_dir, work):
    return regdb.transaction(ready_engine(db, data_dir), work)


def list_declarations(db=None, data_dir=None, status: str | None = None) -> list[dict]:
    def work(session):
        rows = session.execute(select(Declaration, Organisation).join(
            Organisation, Declaration.organisation_id == Organisation.id).order_by(Declaration.id)).all()
        out = []
        for d, o in rows:
            if status and d.status != status:
                continue
            v = _latest(session, d.id)
            out.append({"id": d.id, "organisation": o.name, "product": d.product,
                        "period": f"{d.period_start}..{d.period_end}",
                        "status": d.status, "version": v.number, "sha256": v.sha256,
                        "market_t_co2e_per_t": json.loads(v.results_json)["market_based"]["total_t_co2e"]})
        return out
    return _read(db, data_dir, work)


def show(declaration_id, db=None, data_dir=None) -> dict:
    def work(session):
        d = _declaration(session, declaration_id)
        o = session.get(Organisation, d.organisation_id)
        versions = session.execute(select(DeclarationVersion).where(DeclarationVersion.declaration_id == d.id)
                                   .order_by(DeclarationVersion.number)).scalars().all()
        claims = session.execute(select(Claim).where(Claim.declaration_id == d.id).order_by(Claim.id)).scalars().all()
        certs = session.execute(
            select(Certificate).where(Certificate.version_id.in_([v.id for v in versions]))).scalars().all()
        latest = versions[-1]
        return {"id": d.id, "organisation": o.name, "uscc": o.uscc, "product": d.product,
                "period": {"start": d.period_start, "end": d.period_end}, "status": d.status, "reason": d.reason,
                "versions": [{"number": v.number, "file": v.file_name, "sha256": v.sha256, "submitted": v.created,
                              "toolkit_version": v.toolkit_version, "data_version": v.data_version} for v in versions],
                "results": json.loads(latest.results_json), "verdicts": json.loads(latest.verdicts_json),
                "evidence": json.loads(latest.evidence_json),
                "claims": [{"scheme": c.scheme, "serial_from": c.serial_from, "serial_to": c.serial_to, "mwh": c.mwh,
                            "vintage": c.vintage, "technology": c.technology, "region": c.region} for c in claims],
                "certificates": [{"number": c.number, "status": c.status, "valid_from": c.valid_from,
                                  "valid_until": c.valid_until, "verification_code": c.verification_code}
                                 for c in certs]}
    return _read(db, data_dir, work)


def _ac_levels() -> tuple[float, ...]:
    from greenal.standards.engine import schemes

    for scheme in schemes().values():
        for rule in scheme.rules:
            if rule.id == "GB21346-1":
                return tuple(rule.levels)
    return ()


def review(declaration_id, db=None, data_dir=None) -> list[dict]:
    """The plausibility checks on the declaration's latest version (see greenal.registry.review)."""
    return _review(declaration_id, db, data_dir)[1]


def _review(declaration_id, db, data_dir) -> tuple[int, list[dict]]:
    def work(session):
        d = _declaration(session, declaration_id)
        v = _latest(session, d.id)
        peers = []
        for other in session.execute(select(Declaration).where(Declaration.product == d.product,
                                                               Declaration.id != d.id)).scalars():
            peers.append(json.loads(_latest(session, other.id).results_json))
        claims = [{"scheme": c.scheme, "number_from": c.number_from, "number_to": c.number_to,
                   "serial_from": c.serial_from, "mwh": c.mwh}
                  for c in session.execute(select(Claim).where(Claim.declaration_id == d.id)).scalars()]
        return v.id, v.content, v.file_name, json.loads(v.results_json), json.loads(v.evidence_json), peers, claims
    version_id, content, file_name, results, refs, peers, claims = _read(db, data_dir, work)
    declaration = parse_bytes(content, file_name)
    return version_id, checks.run(declaration.stages, declaration.product["kind"], declaration.output_t, results,
                                  claims, peers,
                      refs, [s.id for s in declaration.supplies], [c.id for c in declaration.certificates],
                      _ac_levels())


# ---------------------------------------------------------------- decisions


def _signed_document(d, o, v, verifier_org, user, public, valid_from: dt.date, valid_days: int, claims) -> dict:
    return {
        "type": CERTIFICATE_TYPE, "format": 1,
        "number": f"GA-{d.period_end[:4]}-{v.sha256[:10].upper()}",
        "claim": {"declarant": {"name": o.name, "uscc": o.uscc}, "product": d.product, "declared_unit": "1 t",
                  "period": {"start": d.period_start, "end": d.period_end},
                  "energy_attribute_certificates": claims},
        "declaration": {"registry_id": d.id, "version": v.number, "file_name": v.file_name, "sha256": v.sha256},
        "toolkit_version": v.toolkit_version, "data_version": v.data_version, "gwp": v.gwp,
        "results": json.loads(v.results_json), "verdicts": json.loads(v.verdicts_json),
        "validity": {"from": valid_from.isoformat(), "until": (valid_from + dt.timedelta(days=valid_days)).isoformat()},
        "verifier": {"organisation": verifier_org.name, "uscc": verifier_org.uscc, "user": user.name,
                     "key_id": signing.key_id(public), "public_key": public},
        "signed": now(),
    }


def verification_code(document_bytes: bytes) -> str:
    """Short code a reader types to look a certificate up: 12 hex digits of its SHA-256, grouped."""
    h = sha256_hex(document_bytes)[:12].upper()
    return f"{h[:4]}-{h[4:8]}-{h[8:]}"


def approve(declaration_id, key_path, db=None, data_dir=None, valid_days: int = DEFAULT_VALID_DAYS,
            valid_from: dt.date | None = None, actor=None) -> dict:
    """Sign the latest version's certificate with a registered verifier key (status approved)."""
    private = signing.load_private(key_path)
    public = signing.public_hex(private)
    if valid_days < 1:
        raise InputError("command line", "--valid-days", valid_days, "a positive number of days")
    try:
        (valid_from or dt.datetime.now(dt.timezone.utc).date()) + dt.timedelta(days=valid_days)
    except OverflowError:
        raise InputError("command line", "--valid-days", valid_days,
                         f"a validity ending within the calendar (before {dt.date.max.year})") from None
    reviewed_version, check_rows = _review(declaration_id, db, data_dir)
    failed = [c for c in check_rows if c["status"] == "fail"]

    def work(session):
        key = session.execute(select(SigningKey).where(SigningKey.public_key_hex == public)).scalar_one_or_none()
        if key is None:
            raise InputError(str(key_path), "--key", signing.key_id(public),
                             "a key registered in the registry (greenal registry key add)")
        user = session.get(User, key.user_id)
        verifier_org = session.get(Organisation, user.organisation_id)
        d = _declaration(session, declaration_id)
        o = session.get(Organisation, d.organisation_id)
        if verifier_org.id == o.id or (verifier_org.uscc and verifier_org.uscc == o.uscc):
            raise InputError("registry", "--key", f"{user.name} of {verifier_org.name}",
                             f"a verifier outside {o.name}: "
                             "a verifier cannot approve their own organisation's declaration")
        if d.status != "submitted":
            raise InputError("registry", "declaration", f"{d.id} ({d.status})", "a submitted declaration")
        if failed:
            raise InputError("registry", "review", failed[0]["check"], f"no failed check ({failed[0]['detail']})")
        v = _latest(session, d.id)
        if v.id != reviewed_version:
            raise InputError("registry", "declaration", f"{d.id} version {v.number}",
                             "the version that was reviewed: a new version arrived meanwhile; review again")
        claims = [{"scheme": c.scheme, "serial_from": c.serial_from, "serial_to": c.serial_to, "mwh": c.mwh,
                   "vintage": c.vintage, "technology": c.technology, "region": c.region}
                  for c in session.execute(
                      select(Claim).where(Claim.declaration_id == d.id).order_by(Claim.id)).scalars()]
        start = valid_from or dt.datetime.now(dt.timezone.utc).date()
        body = _signed_document(d, o, v, verifier_org, user, public, start, valid_days, claims)
        signature = signing.sign(private, canonical(body))
        document = canonical({**body, "signature": {"algorithm": "Ed25519", "key_id": key.key_id, "value": signature}})
        cert = Certificate(number=body["number"], version_id=v.id, key_id=key.key_id, document=document,
                           sha256=sha256_hex(document), verification_code=verification_code(document),
                           valid_from=body["validity"]["from"], valid_until=body["validity"]["until"],
                           status="approved", created=now())
        session.add(cert)
        log(session, actor_name(actor or user.name), "approve", cert)
        d.status = "approved"
        log(session, actor_name(actor or user.name), "approve", d)
        hooks["before_commit"]()
        return {"declaration": d.id, "certificate": cert.number, "verifier": verifier_org.name,
                "valid_until": cert.valid_until}
    return regdb.transaction(ready_engine(db, data_dir), work)


def reject(declaration_id, reason: str, db=None, data_dir=None, actor=None) -> dict:
    if not reason or not reason.strip():
        raise InputError("command line", "--reason", reason, "the reason for the rejection")

    def work(session):
        d = _declaration(session, declaration_id)
        if d.status != "submitted":
            raise InputError("registry", "declaration", f"{d.id} ({d.status})", "a submitted declaration")
        d.status, d.reason = "rejected", reason.strip()
        log(session, actor_name(actor), "reject", d)
        for c in session.execute(select(Claim).where(Claim.declaration_id == d.id)).scalars():
            session.delete(c)  # a rejected declaration counts no certificate
            log(session, actor_name(actor), "release claim", c, deleted=True)
        return {"declaration": d.id, "status": d.status}
    return regdb.transaction(ready_engine(db, data_dir), work)


def issue(declaration_id, db=None, data_dir=None, out=None, actor=None) -> dict:
    """Publish the approved certificate; returns its number and exact canonical bytes, and writes
    them to `out` (atomically) when given."""
    def work(session):
        d = _declaration(session, declaration_id)
        if d.status not in ("approved", "issued"):
            raise InputError("registry", "declaration", f"{d.id} ({d.status})", "an approved declaration")
        cert = session.execute(select(Certificate).join(DeclarationVersion,
                                                        Certificate.version_id == DeclarationVersion.id)
                               .where(DeclarationVersion.declaration_id == d.id)
                               .order_by(Certificate.id.desc()).limit(1)).scalar_one()
        if cert.status == "revoked":  # `registry issue` again would print new PDFs of it and record them
            raise InputError("registry", "certificate", f"{cert.number} (revoked)",
                             "a certificate not revoked (a revoked certificate is not issued again)")
        if cert.status == "approved":
            cert.status = "issued"
            log(session, actor_name(actor), "issue", cert)
            d.status = "issued"
            log(session, actor_name(actor), "issue", d)
        hooks["before_commit"]()
        return {"certificate": cert.number, "status": cert.status, "verification_code": cert.verification_code,
                "document": cert.document}
    issued = regdb.transaction(ready_engine(db, data_dir), work)
    if out:
        with atomic_target(Path(out)) as tmp:
            tmp.write_bytes(issued["document"])
        issued["path"] = str(out)
    return issued


def revocation_reason(reason: str, where: str = "command line", field: str = "--reason") -> str:
    """A revocation's reason, checked: it is public (the verify page, `greenal verify`), so it is
    kept as one line (white space runs, line breaks included, one space), and one with control
    characters (terminal escapes could rewrite a verifier's screen) or bidirectional-text controls
    (they reorder what follows) is refused."""
    reason = " ".join(str(reason or "").split())
    if not 1 <= len(reason) <= MAX_REVOCATION_REASON_CHARS:
        raise InputError(where, field, f"{len(reason)} characters",
                         f"the reason for the revocation, 1 to {MAX_REVOCATION_REASON_CHARS} characters")
    hidden = next((i for i, c in enumerate(reason) if _hidden(c)), None)
    if hidden is not None:
        raise InputError(where, field, f"character {hidden + 1}: U+{ord(reason[hidden]):04X}",
                         "printable text, without control or bidirectional-text characters")
    return reason


def revoke(number: str, reason: str, db=None, data_dir=None, actor=None) -> dict:
    reason = revocation_reason(reason)

    def work(session):
        cert = session.execute(select(Certificate).where(Certificate.number == number)).scalar_one_or_none()
        if cert is None:
            raise InputError("registry", "certificate", number, "the number of an issued certificate")
        if cert.status != "issued":
            raise InputError("registry", "certificate", f"{number} ({cert.status})", "an issued certificate")
        cert.status = "revoked"
        log(session, actor_name(actor), "revoke", cert)
        rev = Revocation(certificate_id=cert.id, reason=reason, created=now())
        session.add(rev)
        log(session, actor_name(actor), "revoke", rev)
        return {"certificate": number, "status": "revoked", "reason": rev.reason}
    return regdb.transaction(ready_engine(db, data_dir), work)
