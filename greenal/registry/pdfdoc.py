"""The certificate PDF (issue 9): the signed canonical document printed as the certificate page
with its number, verification code and a QR code of its public verify URL, and the document's
exact bytes embedded in the PDF as a file attachment, so the PDF alone is enough to verify.

The attachment is stored uncompressed (a plain PDF stream): its bytes are the signed bytes,
readable with any PDF tool, and one changed byte in it changes the document, which then fails
its signature check in `greenal verify`."""
from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

from markupsafe import Markup

from greenal.errors import InputError

ATTACHMENT = "greenal-certificate.json"
VERIFY_URL_ENV = "GREENAL_VERIFY_URL"
# The greenal service's verify page (greenal.service, uvicorn's default address). A registry that
# publishes certificates sets its public address with --verify-url or GREENAL_VERIFY_URL.
DEFAULT_VERIFY_URL = "http://localhost:8000"
LANGS = ("zh", "en")


def base_url(base: str | None = None) -> str:
    """The verify pages' base address: the argument, else GREENAL_VERIFY_URL, else the default."""
    chosen = (base or os.environ.get(VERIFY_URL_ENV) or DEFAULT_VERIFY_URL).strip()
    if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?", chosen):
        raise InputError("command line", "--verify-url", chosen, "an http(s) address, e.g. https://registry.example.org")
    return chosen.rstrip("/")


def verify_url(number: str, base: str | None = None) -> str:
    """The public verify page of a certificate: `<base>/verify/<certificate number>`."""
    return f"{base_url(base)}/verify/{number}"


def qr_code(url: str):
    """The QR symbol (segno; error correction level M restores about 15 % of the codewords, ISO/IEC 18004)."""
    import segno

    return segno.make_qr(url, error="m")


def qr_svg(url: str) -> Markup:
    """Inline SVG of the QR code with the 4-module quiet zone ISO/IEC 18004 asks for, sized by its CSS box."""
    svg = qr_code(url).svg_inline(scale=1, border=4, omitsize=True, dark="#000", title=url)
    return Markup(svg)


def verification(document: dict, raw: bytes, base: str | None = None) -> dict:
    """The certificate template's `verification` slot from a signed document."""
    from greenal.registry.service import verification_code

    url = verify_url(document["number"], base)
    verifier = document["verifier"]
    return {"code": verification_code(raw), "url": url, "qr_svg": qr_svg(url),
            "verifier": verifier["organisation"], "lead_verifier": verifier["user"], "key_id": verifier["key_id"],
            "valid_from": document["validity"]["from"], "valid_until": document["validity"]["until"],
            "date": str(document["signed"])[:10]}


# ---------------------------------------------------------------- the attachment


def embed(pdf: bytes, document: bytes) -> bytes:
    """`pdf` with `document` attached as ATTACHMENT (uncompressed), everything else unchanged."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_attachment(ATTACHMENT, document)
    out = io.BytesIO()
    writer.write(out)
    if out.getvalue().count(document) != 1:  # stored as written: no filter, no copy
        raise RuntimeError("pypdf did not store the certificate uncompressed")
    return out.getvalue()


@contextlib.contextmanager
def _reading(path):
    """pypdf quiet (it logs what it repairs; the one-line error says enough), and whatever it raises
    on a hostile PDF (NotImplementedError for an unknown filter, LimitReachedError, RecursionError,
    IndexError …) one line of bad input."""
    quiet = logging.getLogger("pypdf")
    was = quiet.level
    quiet.setLevel(logging.CRITICAL + 1)  # for its child loggers (pypdf._reader, …) too
    try:
        yield
    except Exception as error:  # noqa: BLE001
        raise InputError(str(path), "PDF", type(error).__name__, f"a readable certificate PDF ({error})") from None
    finally:
        quiet.setLevel(was)


def read_certificate_pdf(path, data: bytes | None = None) -> tuple[bytes, Callable[[], str]]:
    """(the embedded signed document's bytes, a function returning the PDF's text layer) of the
    certificate PDF at `path`, or of its bytes `data` when the caller has read them (then every
    check is of those very bytes, not of a second read of a file that may have changed); a PDF
    without the document, or not readable, is bad input (one line). The text is extracted when
    asked, as the last check: it is most of the reading time, wasted on a document whose
    signature already failed."""
    from pypdf import PdfReader

    data = Path(path).read_bytes() if data is None else data
    with _reading(path):
        reader = PdfReader(io.BytesIO(data))
        attachments = reader.attachments
        found = attachments.get(ATTACHMENT)
        others = sorted(name for name in attachments if name != ATTACHMENT)
        active = _active_content(reader)
    if not found:
        raise InputError(str(path), "embedded file", "none", f"a certificate PDF from `greenal registry issue` "
                         f"carrying its signed document ({ATTACHMENT})")
    if len(found) != 1:
        raise InputError(str(path), "embedded file", f"{len(found)} files named {ATTACHMENT}", "exactly one")
    if others:  # a reader could be shown another "certificate" than the one verified
        raise InputError(str(path), "embedded file", ", ".join(others)[:120],
                         f"no file but {ATTACHMENT}: the PDF was changed after issue")
    if active:  # drawn over the page or run by the viewer: what a reader sees is not the text layer checked
        raise InputError(str(path), "PDF", ", ".join(active)[:120],
                         "a certificate PDF as issued, without annotations, forms or JavaScript: it was changed")
    revisions = data.replace(found[0], b"").count(b"startxref")  # not the document's text
    if revisions != 1:  # `embed` writes one revision; an editor saving a change appends another
        raise InputError(str(path), "PDF", f"{revisions} revisions (an incremental update)",
                         "the PDF as issued, in one revision: it was changed after issue")

    def page_text() -> str:
        with _reading(path):
            return "\n".join(page.extract_text() or "" for page in reader.pages)
    return found[0], page_text


def signed_figures(document: dict) -> list[tuple[str, str]]:
    """(what, as printed) of the signed headline footprints the certificate page shows
    (templates/certificate.html.j2, `num` filter), so a page printing other figures fails."""
    from greenal.report.html import number

    results = document.get("results")
    out: list[tuple[str, str]] = []
    for basis in ("location_based", "market_based"):
        part = results.get(basis) if isinstance(results, dict) else None
        total = part.get("total_t_co2e") if isinstance(part, dict) else None
        if isinstance(total, (int, float)) and not isinstance(total, bool):
            out.append((f"{basis.replace('_', '-')} footprint", number(total)))
    return out


def _active_content(reader) -> list[str]:
    """What a viewer draws or runs beyond the pages' own content: annotations other than links
    (a text box can cover a printed figure), forms, and JavaScript or other open actions."""
    root = reader.trailer["/Root"]
    found = [f"{key[1:]} (JavaScript or another action)" if key != "/AcroForm" else "AcroForm (form fields)"
             for key in ("/AcroForm", "/OpenAction", "/AA") if key in root]
    names = root.get("/Names")
    if names is not None and "/JavaScript" in names.get_object():
        found.append("JavaScript")
    for number, page in enumerate(reader.pages, 1):
        for annotation in page.get("/Annots") or []:
            subtype = annotation.get_object().get("/Subtype")
            if subtype != "/Link":
                found.append(f"a {str(subtype).lstrip('/')} annotation on page {number}")
    return found


def shows(text: str, value: str) -> bool:
    """Whether the text layer shows `value` (spaces and line breaks a PDF text layer adds ignored)."""
    return re.sub(r"\s+", "", value) in re.sub(r"\s+", "", text)


# ---------------------------------------------------------------- issuing the files


def _stored(number: str, db, data_dir) -> tuple[bytes, str]:
    """The declaration version a certificate was signed for: (its bytes, its file name)."""
    from sqlalchemy import select

    from greenal.registry import db as regdb
    from greenal.registry.models import Certificate, DeclarationVersion
    from greenal.registry.service import ready_engine

    def work(session):
        cert = session.execute(select(Certificate).where(Certificate.number == number)).scalar_one()
        version = session.get(DeclarationVersion, cert.version_id)
        return version.content, version.file_name
    return regdb.transaction(ready_engine(db, data_dir), work)


def certificate_report(document: dict, raw: bytes, content: bytes, data_dir=None, base: str | None = None) -> dict:
    """The report object (greenal.report.data.build) of the certified declaration, with the
    certificate's number and verification slot. Refused when the installed data no longer give
    the signed results: the printed page must show what was signed."""
    from greenal import api
    from greenal.registry.submission import as_file, compute
    from greenal.registry.verify import differences
    from greenal.report import data
    from greenal.standards.engine import assess

    file_name, gwp = document["declaration"]["file_name"], document["gwp"]
    _, results, verdicts, _ = compute(content, file_name, data_dir, gwp)
    found = differences({"results": document["results"], "verdicts": document["verdicts"]},
                        {"results": results, "verdicts": verdicts})
    if found:
        raise InputError("registry", f"certificate {document['number']}", found[0],
                         f"the signed results from the installed data (data version {document['data_version']})")
    engine = api.engine(data_dir)
    with as_file(content, file_name) as path:
        result = api.declaration_footprint(path, data_dir)
        report = data.build(result, assess(result, gwp=gwp), engine, gwp)
    report["certificate_number"] = document["number"]
    report["verification"] = verification(document, raw, base)
    return report


def targets(out, number: str, langs: list[str]) -> tuple[Path, Path, dict[str, Path]]:
    """(folder, JSON file, {lang: PDF file}): `out` a folder (<number>.json, <number>-<lang>.pdf),
    or a path ending .json naming the JSON file, its PDFs beside it (<stem>-<lang>.pdf)."""
    out = Path(out if out is not None else ".")
    if out.suffix.lower() == ".json":
        folder, stem, json_path = out.parent, out.stem, out
    else:
        folder, stem, json_path = out, number, out / f"{number}.json"
    return folder, json_path, {lang: folder / f"{stem}-{lang}.pdf" for lang in langs}


def issue_files(declaration_id, out=None, formats: tuple[str, ...] = ("json", "pdf"), langs: tuple[str, ...] = LANGS,
                db=None, data_dir=None, base: str | None = None, actor=None) -> dict:
    """Issue the approved certificate (greenal.registry.service.issue) and write its signed JSON
    and its PDF in each language (printed by one Chromium, the JSON embedded), as a whole set:
    rendered in a temp folder beside the targets, then moved into place. The registry records each
    PDF's SHA-256 (`files`: kind, lang, sha256, bytes, written_at, path). Issuing is idempotent:
    if writing fails, run it again."""
    from greenal.registry.service import issue
    from greenal.report import html, pdf
    from greenal.report.staging import move_into_place, temp_dir, writable_folder

    base = base_url(base)  # a bad --verify-url is refused before anything is issued
    issued = issue(declaration_id, db=db, data_dir=data_dir, actor=actor)
    raw, number = issued["document"], issued["certificate"]
    folder, json_path, pdf_paths = targets(out, number, list(langs))
    folder = writable_folder(folder)
    written: list[Path] = []
    files: list[dict] = []  # the PDFs' recorded hashes
    with temp_dir(folder, "issue") as stage:
        names: list[str] = []
        if "json" in formats:
            (stage / json_path.name).write_bytes(raw)
            names.append(json_path.name)
            written.append(json_path)
        if "pdf" in formats:
            document = json.loads(raw)
            content, _ = _stored(number, db, data_dir)
            report = certificate_report(document, raw, content, data_dir, base)
            pages = [(html.render(report, "certificate", lang), stage / path.name) for lang, path in pdf_paths.items()]
            final: dict[str, bytes] = {}
            for lang, printed in zip(pdf_paths, pdf.print_all(pages, work_dir=stage), strict=True):
                final[lang] = embed(printed.read_bytes(), raw)
                printed.write_bytes(final[lang])
                names.append(printed.name)
            written += pdf_paths.values()
            # Order, so that nothing is half-done: the PDFs' bytes are final here (printed, the JSON
            # embedded) and still in the temp folder. Their hashes are recorded first, in one
            # transaction: if that fails, the folder is removed and no file appears. Only then are
            # the files moved into place: if a move fails, the recorded hashes are of files nobody
            # holds, which is harmless (a hash proves nothing without the file), and issuing again
            # prints new files and records their hashes too. Rows are only ever added, so every PDF
            # the registry ever wrote for the certificate keeps verifying as issued.
            files = record_files(number, "pdf", final, db=db, data_dir=data_dir, actor=actor)
        move_into_place(stage, names, folder)
    return {**{k: v for k, v in issued.items() if k != "document"}, "paths": [str(p) for p in written],
            "url": verify_url(number, base), "files": [{**f, "path": str(pdf_paths[f["lang"]])} for f in files]}


def record_files(number: str, kind: str, files: dict[str, bytes], db=None, data_dir=None, actor=None) -> list[dict]:
    """Record the SHA-256 of each file (lang: exact bytes) written for certificate `number`, in one
    audited transaction; a file already recorded (same bytes) is not recorded twice."""
    from sqlalchemy import exc, select

    from greenal.registry import db as regdb
    from greenal.registry.audit import actor_name, log, now
    from greenal.registry.canonical import sha256_hex
    from greenal.registry.models import Certificate, IssuedFile
    from greenal.registry.service import ready_engine

    who = actor_name(actor)

    def work(session):
        cert = session.execute(select(Certificate).where(Certificate.number == number)).scalar_one()
        out = []
        for lang, content in files.items():
            digest = sha256_hex(content)
            row = session.execute(select(IssuedFile).where(IssuedFile.certificate_id == cert.id,
                                                           IssuedFile.sha256 == digest)).scalar_one_or_none()
            if row is None:
                row = IssuedFile(certificate_id=cert.id, kind=kind, lang=lang, sha256=digest, bytes=len(content),
                                 written_at=now(), actor=who)
                session.add(row)
                log(session, who, "issue file", row)
            out.append({"kind": row.kind, "lang": lang, "sha256": row.sha256, "bytes": row.bytes,
                        "written_at": row.written_at})
        return out
    engine = ready_engine(db, data_dir)
    try:
        return regdb.transaction(engine, work)
    except exc.IntegrityError:  # the same file recorded by a concurrent issue meanwhile: now it is found
        return regdb.transaction(engine, work)
