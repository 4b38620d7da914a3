"""`greenal verify`: is this certificate what a registered verifier signed, still valid, not
revoked, and does the declaration still give the numbers it states?"""
from __future__ import annotations

import datetime as dt
import json
import math

import rfc8785
from sqlalchemy import func, select

from greenal.errors import InputError
from greenal.registry import db as regdb
from greenal.registry import pdfdoc, signing
from greenal.registry.canonical import canonical, sha256_hex
from greenal.registry.models import (AuditEntry, Certificate, DeclarationVersion, IssuedFile, Organisation, Revocation,
                                     SigningKey, User)
from greenal.registry.service import CERTIFICATE_TYPE, one_line, ready_engine, verification_code
from greenal.registry.submission import compute, read_input

REQUIRED = ("type", "format", "number", "claim", "declaration", "toolkit_version", "data_version", "gwp", "results",
            "verdicts", "validity", "verifier", "signed", "signature")
REL_TOL = 1e-9


def differences(stated, recomputed, path: str = "") -> list[str]:
    """Paths where two JSON values differ (numbers within a relative 1e-9)."""
    if isinstance(stated, dict) and isinstance(recomputed, dict):
        out = []
        for key in sorted(set(stated) | set(recomputed)):
            where = f"{path}.{key}" if path else str(key)
            if key not in stated or key not in recomputed:
                out.append(f"{where}: {'missing in the certificate' if key not in stated else 'not recomputed'}")
            else:
                out += differences(stated[key], recomputed[key], where)
        return out
    if isinstance(stated, list) and isinstance(recomputed, list):
        if len(stated) != len(recomputed):
            return [f"{path}: {len(stated)} items stated, {len(recomputed)} recomputed"]
        pairs = enumerate(zip(stated, recomputed, strict=True))
        return [d for i, (a, b) in pairs for d in differences(a, b, f"{path}[{i}]")]
    numbers = (int, float)
    if isinstance(stated, numbers) and isinstance(recomputed, numbers) and not isinstance(stated, bool):
        if math.isclose(stated, recomputed, rel_tol=REL_TOL, abs_tol=1e-12):
            return []
    elif stated == recomputed:
        return []
    return [f"{path}: certificate {stated!r}, recomputed {recomputed!r}"]


def verify(certificate_path, declaration_path=None, db=None, data_dir=None, today: dt.date | None = None) -> list[dict]:
    """Checks in order, each {check, ok, detail}; stops at the first one that makes the rest meaningless.
    `certificate_path`: the signed JSON, or a certificate PDF carrying it (greenal.registry.pdfdoc)."""
    out = []

    def add(check, ok, detail):
        out.append({"check": check, "ok": bool(ok), "detail": detail})
        return ok

    raw = read_input(certificate_path, "certificate (JSON or PDF)")
    page_text = None  # a PDF's text layer, when asked
    file_sha256 = sha256_hex(raw)  # the file as given (a PDF's: checked against the files the registry issued)
    if raw.startswith(b"%PDF-"):
        raw, page_text = pdfdoc.read_certificate_pdf(certificate_path, raw)  # the bytes hashed above
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:  # RecursionError: nesting
        add("readable", False, f"not a JSON document ({error})")
        return out
    if not add("readable", isinstance(document, dict) and all(k in document for k in REQUIRED)
               and document.get("type") == CERTIFICATE_TYPE,
               "a greenal certificate with every field" if isinstance(document, dict) else "not a JSON object"):
        missing = [k for k in REQUIRED if k not in document] if isinstance(document, dict) else []
        out[-1]["detail"] = f"not a greenal certificate (missing {', '.join(missing) or 'type'})"
        return out
    try:
        is_canonical = canonical(document) == raw
    except (rfc8785.CanonicalizationError, ValueError, TypeError):  # e.g. an integer beyond 2**53
        is_canonical = False
    if not add("canonical form", is_canonical, "RFC 8785 canonical bytes, as signed" if is_canonical else
               "the file is not the canonical JSON that was signed: it was changed after signing"):
        return out
    body = {k: v for k, v in document.items() if k != "signature"}
    signature, verifier = document["signature"], document["verifier"]
    public = verifier.get("public_key", "") if isinstance(verifier, dict) else ""
    sig_ok = False
    if isinstance(signature, dict) and isinstance(verifier, dict) and isinstance(public, str):
        try:
            same_key = signature.get("key_id") == verifier.get("key_id") == signing.key_id(public)
        except ValueError:
            same_key = False
        sig_ok = (same_key and signature.get("algorithm") == "Ed25519"
                  and signing.verify(public, canonical(body), str(signature.get("value", ""))))
    if not add("signature", sig_ok, f"Ed25519 signature by key {verifier.get('key_id')} valid" if sig_ok
               else "the Ed25519 signature does not match the document: its content was changed"):
        return out
    if page_text is not None:
        printed = page_text()
        code = verification_code(raw)
        figures = pdfdoc.signed_figures(document)
        shown = [("number", document["number"]), ("verification code", code), *figures]
        missing = [f"{what} {value}" for what, value in shown if not pdfdoc.shows(printed, value)]
        signed = ", ".join(f"{what} {value} t CO2e/t" for what, value in figures)
        if not add("printed certificate", not missing, f"the PDF shows number {document['number']}, "
                   f"verification code {code} and the signed {signed} of its embedded document" if not missing else
                   f"the PDF's page does not show the {' and the '.join(missing)} of its embedded signed document"):
            return out
    engine = ready_engine(db, data_dir)

    def lookup(session):
        key = session.execute(select(SigningKey).where(SigningKey.public_key_hex == public)).scalar_one_or_none()
        org = None
        if key is not None:
            org = session.get(Organisation, session.get(User, key.user_id).organisation_id)
        cert = session.execute(select(Certificate).where(Certificate.number == document["number"])).scalar_one_or_none()
        revocation = session.execute(select(Revocation).where(
            Revocation.certificate_id == cert.id)).scalar_one_or_none() if cert else None
        version = session.get(DeclarationVersion, cert.version_id) if cert else None
        files = session.execute(select(IssuedFile.sha256, IssuedFile.written_at).where(
            IssuedFile.certificate_id == cert.id, IssuedFile.kind == "pdf")).all() if cert else []
        return (key is not None, org.name if org else None, cert and (cert.sha256, cert.status),
                revocation and (revocation.created, revocation.reason),
                version and (version.content, version.file_name),
                ({h: at for h, at in files}, cert is not None and issued_before_pdf_records(session, cert.id)))
    registered, org_name, cert, revocation, stored, (issued_pdfs, before_records) = regdb.transaction(engine, lookup)
    key_ok = registered and org_name == verifier.get("organisation")
    if not add("signer's key", key_ok, f"key {verifier['key_id']} registered to {org_name}" if key_ok
               else f"key {verifier['key_id']} is not registered in the registry for {verifier.get('organisation')}"):
        return out
    if not add("registered", cert is not None and cert[0] == sha256_hex(raw),
               "the registry holds this exact certificate" if cert and cert[0] == sha256_hex(raw) else
               f"certificate {document['number']} is not in the registry" if cert is None else
               "the registry holds a different document under this number"):
        return out
    if page_text is not None:  # not a stop: the signed document's own checks below still hold
        issued_file(add, file_sha256, issued_pdfs, before_records)
    if not add("not revoked", revocation is None and cert[1] == "issued",
               "issued, not revoked" if revocation is None and cert[1] == "issued" else
               f"revoked on {revocation[0]}: {one_line(revocation[1])}" if revocation else
               f"not issued (status {cert[1]})"):
        return out
    today = today or dt.datetime.now(dt.timezone.utc).date()
    start, end = document["validity"]["from"], document["validity"]["until"]
    if not add("validity", start <= today.isoformat() <= end, f"valid {start} to {end}, checked on {today}"
               if start <= today.isoformat() <= end else f"not valid on {today}: valid {start} to {end}"
               + (" (expired)" if today.isoformat() > end else "")):
        return out
    if declaration_path:
        content, file_name = read_input(declaration_path), str(declaration_path)
    else:
        content, file_name = stored
    stated_hash = document["declaration"]["sha256"]
    if not add("declaration", sha256_hex(content) == stated_hash,
               f"{file_name}: SHA-256 matches" if sha256_hex(content) == stated_hash else
               f"{file_name}: SHA-256 {sha256_hex(content)[:16]}… differs from the certified {stated_hash[:16]}…: "
               "the declaration changed after approval"):
        return out
    _, results, verdicts, data_version = compute(content, document["declaration"]["file_name"], data_dir,
                                                 document["gwp"])
    found = differences({"results": document["results"], "verdicts": document["verdicts"]},
                        {"results": results, "verdicts": verdicts})
    note = "" if data_version == document["data_version"] else \
        f" (data version {data_version} installed, certificate states {document['data_version']})"
    add("recomputed", not found, ("footprint and verdicts recomputed: identical" + note) if not found else
        f"{len(found)} difference(s){note}: " + "; ".join(found[:5]) + (" …" if len(found) > 5 else ""))
    return out


def issued_before_pdf_records(session, certificate_id: int) -> bool:
    """Was the certificate issued before the registry recorded any PDF's hash? Told by the audit
    log's order (entry ids, not clock strings): its "issue" entry comes before the first "issue
    file" one, or the registry has recorded none. Its signing time does not tell: a certificate
    signed (approved) before the first record may be issued, by the web page, long after."""
    def first(*where) -> int | None:
        return session.execute(select(func.min(AuditEntry.id)).where(*where)).scalar()
    first_record = first(AuditEntry.table_name == IssuedFile.__tablename__, AuditEntry.action == "issue file")
    issued = first(AuditEntry.table_name == Certificate.__tablename__, AuditEntry.row_id == certificate_id,
                   AuditEntry.action == "issue")
    return first_record is None or (issued is not None and issued < first_record)


def issued_file(add, file_sha256: str, issued_pdfs: dict[str, str], issued_before_records: bool) -> bool:
    """The check "issued file": is this exact PDF (its SHA-256) one the registry wrote for the
    certificate (migration 0004 records every PDF `registry issue` writes)? The page is not signed,
    so only this tells the issued PDF from one re-printed around the genuine embedded document with
    the same number, code and figures. A certificate issued before the registry recorded any PDF
    (issued before schema 0004; `issued_before_pdf_records`) has no hashes: that is not a failure,
    as a certifier would expect of a file issued under the rules of its day (its signed document
    and printed page are checked above), and the detail says the file itself cannot be matched.
    One issued since, without a recorded PDF, was never issued as a PDF by this registry: any PDF
    of it was made elsewhere."""
    if file_sha256 in issued_pdfs:
        return add("issued file", True, f"this exact PDF was issued by the registry on {issued_pdfs[file_sha256][:10]} "
                   f"(SHA-256 {file_sha256[:16]}…)")
    if not issued_pdfs and issued_before_records:
        # not "issued before schema 0004": a registry that has never recorded a PDF cannot tell
        return add("issued file", True, "no issued files recorded (issued before the registry recorded any PDF's "
                   "hash, as under schemas before 0004): this file cannot be matched, only its signed document and "
                   "printed page")
    return add("issued file", False, "not a file the registry issued: the PDF was re-made or changed (SHA-256 "
               f"{file_sha256[:16]}… is not among the {len(issued_pdfs)} PDF(s) issued for this certificate)")


class VerificationFailed(InputError):
    def __init__(self, file: str, check: dict):
        self.check = check
        super().__init__(file, check["check"], "failed", check["detail"])

    def __reduce__(self):
        return type(self), (self.file, self.check)

    def __str__(self) -> str:
        return f"{self.file}: {self.check['check']} failed: {self.check['detail']}"


def failure(file, checks: list[dict]) -> VerificationFailed | None:
    """The first failed check as the one-line error the CLI prints (exit 2)."""
    for c in checks:
        if not c["ok"]:
            return VerificationFailed(str(file), c)
    return None
