"""`greenal serve`: the web service on uvicorn, its PACT API clients, and what it publishes.
Thin over greenal.service; registered on greenal.cli.main."""
from __future__ import annotations

import json
import os

import click

from greenal.errors import InputError

DB_HELP = "Registry database URL (sqlite:///FILE or postgresql://…; env GREENAL_DB; default: SQLite in the data dir)."


def _engine(ctx):
    from greenal.registry.db import open_engine, ready

    return ready(open_engine(ctx.obj.get("db"), ctx.obj.get("data_dir")))


def _echo_json(value) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@click.group(invoke_without_command=True)
@click.option("--db", envvar="GREENAL_DB", help=DB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8443, show_default=True)
@click.option("--cert", type=click.Path(dir_okay=False, exists=True), help="TLS certificate (PEM).")
@click.option("--key", "key_file", type=click.Path(dir_okay=False, exists=True), help="TLS private key (PEM).")
@click.option("--self-signed", is_flag=True, help="HTTPS with a throwaway self-signed certificate (local use).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes (stateless; share the registry database).")
@click.option("--allow-http", is_flag=True,
              help="Let the PACT API answer over plain HTTP (testing only; PACT requires HTTPS).")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True,
              help="Proxies trusted for X-Forwarded-Proto/For (behind a TLS-terminating proxy).")
@click.option("--token-ttl", type=click.IntRange(60, 86400), default=3600, show_default=True,
              help="Access token lifetime, seconds.")
@click.option("--callback-ca", type=click.Path(dir_okay=False, exists=True),
              help="CA file trusted when answering events to recipients (default: system CAs).")
@click.pass_context
def serve(ctx, db, host, port, cert, key_file, self_signed, workers, allow_http, forwarded_allow_ips, token_ttl,
          callback_ca):
    """Serve the PACT v3 API and the web pages over the registry (HTTPS: --cert/--key or --self-signed)."""
    ctx.obj = {**(ctx.obj or {}), "db": db}
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from greenal.paths import data_dir as resolve_data_dir
    from greenal.service import app as service_app
    from greenal.service import publish

    if bool(cert) != bool(key_file):
        raise InputError("command line", "--cert/--key", cert or key_file, "both a certificate and its key")
    if self_signed and cert:
        raise InputError("command line", "--self-signed", "with --cert", "either --cert/--key or --self-signed")
    if self_signed:
        from greenal.service.tls import self_signed as make

        cert, key_file = (str(p) for p in make(resolve_data_dir(ctx.obj.get("data_dir")) / "serve", host))
        click.echo(f"self-signed certificate: {cert}")
    if cert:
        _check_tls(cert, key_file)
    engine = _engine(ctx)  # refuses an uninitialised registry before any worker starts
    changed = publish.publish_certificates(engine)
    if changed:
        click.echo(f"published {len(changed)} certificate footprint(s)")
    for name, value in ((service_app.ENV_DB, db), (service_app.ENV_DATA, ctx.obj.get("data_dir")),
                        (service_app.ENV_HTTP, "1" if allow_http else ""), (service_app.ENV_TTL, str(token_ttl)),
                        (service_app.ENV_CA, callback_ca)):
        if value:
            os.environ[name] = value
        else:
            os.environ.pop(name, None)
    if not cert and not allow_http:
        click.echo("note: plain HTTP; the PACT API answers only requests a trusted proxy forwards as HTTPS", err=True)
    uvicorn.run("greenal.service.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                ssl_certfile=cert, ssl_keyfile=key_file, forwarded_allow_ips=forwarded_allow_ips,
                proxy_headers=True, server_header=False, log_level="info")


def _check_tls(cert: str, key_file: str) -> None:
    """The certificate and key load together (else one line, exit 2, rather than uvicorn's traceback)."""
    import ssl

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key_file)
    except (ssl.SSLError, OSError) as error:
        raise InputError(cert, "--cert/--key", getattr(error, "reason", None) or str(error),
                         "a PEM certificate and its matching private key") from None


@serve.group()
def clients():
    """PACT API clients (OAuth2 client credentials)."""


@clients.command("add")
@click.argument("name")
@click.option("--org", "organisation", help="Organisation whose footprints the client may read (default: all).")
@click.option("--events-url", help="The client's https://…/3/events, where answers to its requests go.")
@click.option("--callback-token-url", help="The client's https://…/auth/token for greenal's own credentials there.")
@click.option("--callback-client-id", help="greenal's client id at the client's system.")
@click.option("--callback-secret", help="greenal's client secret at the client's system.")
@click.pass_context
def clients_add(ctx, name, organisation, events_url, callback_token_url, callback_client_id, callback_secret):
    """Register a client; prints its id and secret once (only a hash of the secret is kept)."""
    from greenal.service import auth

    added = auth.add_client(_engine(ctx), name, organisation, events_url, callback_token_url, callback_client_id,
                            callback_secret)
    click.echo(f"client_id: {added['client_id']}")
    click.echo(f"client_secret: {added['client_secret']}")
    click.echo("store the secret now: it is not shown again", err=True)


@clients.command("remove")
@click.argument("name")
@click.pass_context
def clients_remove(ctx, name):
    """Revoke a client: its secret and tokens stop working."""
    from greenal.service import auth

    removed = auth.remove_client(_engine(ctx), name)
    click.echo(f"client {removed['client_id']} removed at {removed['revoked']}")


@clients.command("list")
@click.pass_context
def clients_list(ctx):
    """Registered clients (never their secrets)."""
    from greenal.service import auth

    _echo_json(auth.list_clients(_engine(ctx)))


@serve.command("publish")
@click.option("--certificate", "number", help="Only this certificate (default: every issued one).")
@click.option("--shipments", "shipments_dir", type=click.Path(file_okay=False, exists=True),
              help="A `greenal shipments --out` folder: publish its pact/*.pact.json.")
@click.option("--org", "organisation", help="Owner of the shipment footprints (default: by company code).")
@click.option("--notify", "public_url", metavar="PUBLIC_URL",
              help="Send PublishedEvents to clients' events endpoints; PUBLIC_URL is this service's https:// base URL.")
@click.option("--callback-ca", type=click.Path(dir_okay=False, exists=True), help="CA file trusted for recipients.")
@click.pass_context
def publish_command(ctx, number, shipments_dir, organisation, public_url, callback_ca):
    """Publish PACT footprints: issued certificates' (revoked ones become Deprecated) and shipments'."""
    from greenal.service import events, publish

    engine = _engine(ctx)
    changed = [] if shipments_dir and not number else publish.publish_certificates(engine, number)
    if shipments_dir:
        changed += publish.publish_shipments(engine, shipments_dir, organisation)
    for row in changed:
        click.echo(f"{row['change']:8} {row['id']} {row['status']:10} {row.get('certificate') or row.get('file')}")
    if not changed:
        click.echo("nothing new to publish")
    if public_url:
        ids = [r["id"] for r in changed if r["change"] != "same"]
        for sent in events.notify_published(engine, ids, public_url.rstrip("/") + "/3/events", callback_ca or True):
            click.echo(f"notified {sent['client']}: {len(sent['pfIds'])} footprint(s), "
                       f"{'delivered' if sent['delivered'] else 'not delivered (' + sent['error'] + ')'}")


@serve.command("deliver")
@click.option("--callback-ca", type=click.Path(dir_okay=False, exists=True), help="CA file trusted for recipients.")
@click.pass_context
def deliver(ctx, callback_ca):
    """Retry answers to event requests that have not reached their recipients yet."""
    from greenal.service import events

    result = events.deliver_pending(_engine(ctx), callback_ca or True)
    click.echo(f"{result['delivered']} of {result['pending']} pending answer(s) delivered")
