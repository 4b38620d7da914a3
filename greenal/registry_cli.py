"""Command line of the certifier desk: `greenal registry …`, `greenal keys new`, `greenal verify`.
Thin over greenal.registry's API; registered on greenal.cli.main in two lines. It sits outside the
greenal.registry package so that registering it imports neither SQLAlchemy nor Alembic: a warm
`greenal footprint` stays fast."""
from __future__ import annotations

import datetime as dt
import json

import click

from greenal.errors import InputError, parse_choices

GWP_CHOICES = ("sar", "ar4", "ar5", "ar6")
DB_HELP = "Registry database URL (sqlite:///FILE or postgresql://…; env GREENAL_DB; default: SQLite in the data dir)."


def _api():
    import greenal.registry as api
    return api


def _opts(ctx) -> dict:
    return {"db": ctx.obj.get("db"), "data_dir": ctx.obj.get("data_dir")}


def _publish(ctx, number: str) -> None:
    """Put an issued certificate's PACT footprint on the API (a revoked one's is marked Deprecated by
    greenal.service.publish.revoke_certificate)."""
    from greenal.registry.db import open_engine
    from greenal.service.publish import publish_certificates

    publish_certificates(open_engine(ctx.obj.get("db"), ctx.obj.get("data_dir")), number)


def _echo_json(value) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@click.group()
@click.option("--db", envvar="GREENAL_DB", help=DB_HELP)
@click.pass_context
def registry(ctx: click.Context, db: str | None) -> None:
    """The certifier desk: submit, review, approve, issue and revoke green-aluminium certificates."""
    ctx.obj = {**(ctx.obj or {}), "db": db}


@registry.command()
@click.pass_context
def init(ctx):
    """Create the registry, or migrate it to the current schema."""
    click.echo(f"registry ready: {_api().init(**_opts(ctx))}")


@registry.command()
@click.argument("name")
@click.option("--kind", type=click.Choice(("producer", "verifier")), required=True)
@click.option("--uscc", help="Unified social credit code (GB 32100-2015).")
@click.pass_context
def org(ctx, name, kind, uscc):
    """Register an organisation (producers are also registered by their first submission)."""
    o = _api().add_organisation(name, kind, uscc, **_opts(ctx))
    click.echo(f"organisation {o['id']}: {o['name']} ({o['kind']})")


@registry.command()
@click.argument("public_key", type=click.Path(dir_okay=False))
@click.option("--org", "organisation", required=True, help="Verifier organisation (name or code).")
@click.option("--user", required=True, help="The verifier who holds the private key.")
@click.pass_context
def key(ctx, public_key, organisation, user):
    """Register a verifier's public key (from `greenal keys new`)."""
    k = _api().add_key(public_key, organisation, user, **_opts(ctx))
    click.echo(f"key {k['key_id']} registered for {k['user']} of {k['organisation']}")


def _evidence(pairs) -> dict:
    out = {}
    for pair in pairs:
        field, sep, ref = pair.partition("=")
        if not sep or not field.strip() or not ref.strip():
            raise InputError("command line", "--evidence", pair,
                             "FIELD=REFERENCE, e.g. electrolysis.ac_kwh_per_t=meter-log-2024.pdf")
        out[field.strip()] = ref.strip()
    return out


@registry.command()
@click.argument("declaration", type=click.Path(dir_okay=False))
@click.option("--gwp", type=click.Choice(GWP_CHOICES), default="ar6", show_default=True)
@click.option("--evidence", multiple=True, help="FIELD=REFERENCE for a claimed number (repeatable).")
@click.pass_context
def submit(ctx, declaration, gwp, evidence):
    """Register a DECLARATION (a new version if it was submitted before) and claim its certificates."""
    r = _api().submit(declaration, gwp=gwp, evidence=_evidence(evidence), **_opts(ctx))
    click.echo(f"declaration {r['declaration']} version {r['version']} ({r['organisation']}): {r['status']}, "
               f"{r['claims']} certificate range(s) claimed, sha256 {r['sha256']}")


@registry.command("list")
@click.option("--status", type=click.Choice(("submitted", "approved", "rejected", "issued")))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx, status, as_json):
    """The registry's declarations."""
    rows = _api().list_declarations(status=status, **_opts(ctx))
    if as_json:
        return _echo_json(rows)
    for r in rows:
        click.echo(f"{r['id']:>4}  {r['status']:<9}  v{r['version']}  {r['product']:<15} {r['period']}  "
                   f"{r['market_t_co2e_per_t']:.3f} t CO2e/t  {r['organisation']}")


@registry.command()
@click.argument("declaration_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx, declaration_id, as_json):
    """One declaration: versions, claims, results, verdicts and certificates."""
    d = _api().show(declaration_id, **_opts(ctx))
    if as_json:
        return _echo_json(d)
    click.echo(f"declaration {d['id']}: {d['organisation']} ({d['uscc']}), {d['product']}, "
               f"{d['period']['start']} to {d['period']['end']}: {d['status']}"
               + (f" ({d['reason']})" if d["reason"] else ""))
    for v in d["versions"]:
        click.echo(f"  version {v['number']}: {v['file']} sha256 {v['sha256']} ({v['submitted']}, "
                   f"data {v['data_version']})")
    r = d["results"]
    click.echo(f"  location-based {r['location_based']['total_t_co2e']:.3f} · market-based "
               f"{r['market_based']['total_t_co2e']:.3f} t CO2e/t ({r['market_based'].get('gwp_name', '')})")
    for c in d["claims"]:
        click.echo(f"  claims {c['scheme']} {c['serial_from']}–{c['serial_to']} ({c['mwh']:,.0f} MWh, {c['vintage']})")
    for c in d["certificates"]:
        click.echo(f"  certificate {c['number']}: {c['status']}, valid {c['valid_from']} to {c['valid_until']}, "
                   f"code {c['verification_code']}")


@registry.command()
@click.argument("declaration_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def review(ctx, declaration_id, as_json):
    """Plausibility checks before signing, each with its basis."""
    rows = _api().review(declaration_id, **_opts(ctx))
    if as_json:
        return _echo_json(rows)
    for c in rows:
        value = f"{c['value']:,.4g}" if isinstance(c["value"], float) else ("–" if c["value"] is None else c["value"])
        click.echo(f"{c['status'].upper():<5} {c['check']}: {value}; {c['detail']}\n      basis: {c['basis']}")


@registry.command()
@click.argument("declaration_id")
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False), help="Verifier's private key file.")
@click.option("--valid-days", type=int, default=365, show_default=True)
@click.pass_context
def approve(ctx, declaration_id, key_path, valid_days):
    """Approve and sign the declaration's certificate with a registered verifier key."""
    r = _api().approve(declaration_id, key_path, valid_days=valid_days, **_opts(ctx))
    click.echo(f"declaration {r['declaration']} approved by {r['verifier']}: certificate {r['certificate']} "
               f"signed, valid until {r['valid_until']}")


@registry.command()
@click.argument("declaration_id")
@click.option("--reason", required=True)
@click.pass_context
def reject(ctx, declaration_id, reason):
    """Reject a submitted declaration (its certificate claims are released)."""
    r = _api().reject(declaration_id, reason, **_opts(ctx))
    click.echo(f"declaration {r['declaration']} rejected")


@registry.command()
@click.argument("declaration_id")
@click.option("--out", type=click.Path(), default=".", show_default=True,
              help="Folder for <number>.json and <number>-<lang>.pdf; a path ending .json names the JSON file "
                   "(its PDFs beside it as <stem>-<lang>.pdf).")
@click.option("--format", "formats", default="json,pdf", show_default=True, help="Comma-separated: json, pdf.")
@click.option("--lang", "langs", default="zh,en", show_default=True, help="Languages of the PDF: zh, en.")
@click.option("--verify-url", "verify_base", envvar="GREENAL_VERIFY_URL",
              help="Base address of the public verify page the QR code points to: <base>/verify/<number> "
                   "(env GREENAL_VERIFY_URL; default http://localhost:8000, the greenal service's local address).")
@click.pass_context
def issue(ctx, declaration_id, out, formats, langs, verify_base):
    """Issue the approved certificate: its signed JSON and its PDF (number, verification code, QR code,
    the signed JSON embedded)."""
    from greenal.registry import pdfdoc

    chosen = tuple(parse_choices(formats, ("json", "pdf"), "command line", "--format"))
    languages = tuple(parse_choices(langs, pdfdoc.LANGS, "command line", "--lang"))
    r = pdfdoc.issue_files(declaration_id, out, formats=chosen, langs=languages, base=verify_base, **_opts(ctx))
    _publish(ctx, r["certificate"])
    click.echo(f"certificate {r['certificate']} {r['status']}, verification code {r['verification_code']}, "
               f"verify at {r['url']}")
    hashes = {f["path"]: f["sha256"] for f in r["files"]}
    for path in r["paths"]:
        click.echo(f"wrote {path}" + (f" (SHA-256 {hashes[path]}, recorded in the registry)" if path in hashes else ""))


@registry.command()
@click.argument("certificate")
@click.option("--reason", required=True)
@click.pass_context
def revoke(ctx, certificate, reason):
    """Revoke an issued certificate by its number."""
    from greenal.service.publish import revoke_certificate

    r = revoke_certificate(certificate, reason, **_opts(ctx))
    click.echo(f"certificate {r['certificate']} revoked: {r['reason']}")


@registry.command()
@click.argument("output", type=click.Path(dir_okay=False))
@click.pass_context
def export(ctx, output):
    """Write every row as JSON lines (restored exactly by `import`)."""
    r = _api().export(output, **_opts(ctx))
    click.echo(f"wrote {r['rows']} rows to {r['path']}")


@registry.command("import")
@click.argument("source", type=click.Path(dir_okay=False))
@click.pass_context
def import_(ctx, source):
    """Restore an export into an initialised, empty registry."""
    r = _api().import_(source, **_opts(ctx))
    if r["problems"]:
        raise InputError(source, "audit chain", r["problems"][0], "an intact export")
    click.echo(f"imported {r['rows']} rows; audit chain intact")


@registry.command()
@click.option("--head", help="ID:HASH of the audit head an earlier check printed: it must still be in the chain.")
@click.pass_context
def check(ctx, head):
    """Verify the hash-chained audit log against every row (record the head it prints outside the registry)."""
    r = _api().check(**_opts(ctx), head=head)
    for p in r["problems"]:
        click.echo(p)
    if r["problems"]:
        raise InputError("registry", "audit log", f"{len(r['problems'])} problem(s)", "an intact audit chain",
                         r["problems"][0])
    click.echo(f"audit chain intact: {r['audit_entries']} entries, every row matches its last audited write; "
               f"head {r['head']} (keep it outside the registry: `check --head` then detects a log cut back)")


@click.group()
def keys() -> None:
    """Verifier signing keys (Ed25519)."""


@keys.command("new")
@click.option("--name", required=True, help="File stem: NAME.key (private, mode 0600) and NAME.pub.")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=".", show_default=True)
def keys_new(name, directory):
    """Make a verifier key pair; register NAME.pub with `greenal registry key`."""
    from pathlib import Path

    k = _api().new_key_pair(Path(directory), name)
    click.echo(f"wrote {k['private_key']} (private, mode 0600; keep it secret) and {k['public_key']}; "
               f"key id {k['key_id']}")


@click.command()
@click.argument("certificate", type=click.Path(dir_okay=False), metavar="CERT.json|CERT.pdf")
@click.option("--decl", "declaration", type=click.Path(dir_okay=False),
              help="The declaration file to recompute from (default: the registry's copy).")
@click.option("--db", envvar="GREENAL_DB", help=DB_HELP)
@click.option("--at", "at_date", help="Check validity on this date (YYYY-MM-DD; default today).")
@click.pass_context
def verify(ctx, certificate, declaration, db, at_date):
    """Check a certificate (its JSON, or its PDF with the JSON embedded): signature, signer's key, the PDF's
    printed number and code, that the PDF is a file the registry issued, revocation, validity, and recomputation."""
    api = _api()
    try:
        today = dt.date.fromisoformat(at_date) if at_date else None
    except ValueError:
        raise InputError("command line", "--at", at_date, "a date as YYYY-MM-DD") from None
    checks = api.verify(certificate, declaration, db=db, data_dir=(ctx.obj or {}).get("data_dir"), today=today)
    for c in checks:
        click.echo(f"{'ok  ' if c['ok'] else 'FAIL'} {c['check']}: {c['detail']}")
    failed = api.verification_failure(certificate, checks)
    if failed:
        raise failed
    click.echo(f"{certificate}: valid")


@registry.command("user")
@click.argument("organisation")
@click.argument("name")
@click.option("--role", type=click.Choice(("producer", "verifier", "admin")), required=True)
@click.pass_context
def user_(ctx, organisation, name, role):
    """Give a user of ORGANISATION a web log-in (password from the prompt, or a line on stdin)."""
    import sys

    from greenal.service.users import add_user

    if sys.stdin.isatty():
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    u = add_user(organisation, name, password, role, **_opts(ctx))
    click.echo(f"user {u['name']} of {u['organisation']}: web log-in as {u['role']}"
               + (" (new user)" if u["created"] else ""))
