"""The `invoicing` command: migrate, set up tenants and keys, serve the API, run the demo.

Every command reads INVOICING_DATABASE_URL (default: SQLite in the instance folder). Commands that
print a new tenant's slug or a new key print it alone on their last line, so scripts can capture it.
"""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal

import click
from flask import Flask
from sqlalchemy.exc import OperationalError, ProgrammingError

from . import create_app
from .db.engine import unit_of_work
from .db.migrate import upgrade
from .domain.errors import DomainError, summarize
from .domain.vat import VatRate
from .extras import MissingExtra, require
from .plugin import plugin_state
from .services import idempotency, tenants
from .services.actors import ROLES, cli_actor


def _app() -> Flask:
    return create_app()


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _run(app: Flask, work):
    """Run `work(session)` in one transaction; domain errors and a missing schema become clear messages."""
    with app.app_context():
        session = plugin_state(app).session_factory()
        try:
            with unit_of_work(session):
                return work(session)
        except DomainError as error:
            errors = getattr(error, "errors", None)
            _fail(summarize(errors) if errors else error.detail)
        except (OperationalError, ProgrammingError) as error:
            if "no such table" in str(error) or "does not exist" in str(error):
                _fail("the database has no schema yet: run `invoicing migrate` first")
            raise
        finally:
            session.close()


def _validated(schema, values: dict) -> dict:
    from marshmallow import ValidationError

    from .api.problems import flatten

    try:
        return schema.load({key: value for key, value in values.items() if value is not None})
    except ValidationError as error:
        _fail(summarize(flatten(error.messages), limit=20))


@click.group(help=__doc__)
def main() -> None:
    pass


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema (Alembic) on the configured database."""
    app = _app()
    upgrade(plugin_state(app).settings.database_url)
    click.echo(f"database at head: {plugin_state(app).engine.url.render_as_string(hide_password=True)}")


@main.command("create-tenant")
@click.option("--name", required=True, help="Legal name, printed as the seller.")
@click.option("--business-id", required=True, help="Finnish business ID, e.g. 2617416-4.")
@click.option("--slug", help="Short name used with --tenant (default: from the name).")
@click.option("--vat-id")
@click.option("--iban")
@click.option("--bic")
@click.option("--street")
@click.option("--postcode")
@click.option("--city")
@click.option("--country")
@click.option("--email")
@click.option("--phone")
@click.option("--einvoice-address")
@click.option("--einvoice-operator")
@click.option("--language", "default_language", type=click.Choice(["fi", "sv", "en"]))
@click.option("--currency")
@click.option("--payment-terms-days", type=int)
def create_tenant(**options) -> None:
    """Create a tenant with the Finnish VAT table and a default number series; prints its slug last."""
    from .api.schemas.tenants import TenantCreateSchema

    values = _validated(TenantCreateSchema(), options)
    tenant = _run(_app(), lambda session: tenants.create_tenant(session, **values))
    click.echo(f"created tenant {tenant.name} ({tenant.id})")
    click.echo(tenant.slug)


@main.command("create-api-key")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant slug or id.")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", default="", help="What the key is for, e.g. 'web shop'.")
def create_api_key(tenant_ref: str, role: str, name: str) -> None:
    """Create an API key; the key is printed once, alone on the last line, and stored only hashed."""

    def work(session):
        tenant = tenants.find_tenant(session, tenant_ref)
        return tenants.create_api_key(session, cli_actor(tenant.id), tenant.id, role, name)[1]

    secret = _run(_app(), work)
    click.echo(f"{role} key for {tenant_ref} (shown once, store it now):")
    click.echo(secret)


@main.command("show-tenant")
@click.option("--tenant", "tenant_ref", required=True)
def show_tenant(tenant_ref: str) -> None:
    """Print a tenant's settings, VAT rates and number series as JSON."""
    from .api.tenant import tenant_view

    view = _run(_app(), lambda session: tenant_view(session, tenants.find_tenant(session, tenant_ref)))
    click.echo(json.dumps(view, indent=2, ensure_ascii=False))


@main.command("update-tenant")
@click.option("--tenant", "tenant_ref", required=True)
@click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE",
              help="A setting to change, e.g. --set payment_terms_days=30 --set iban=FI4819503000000010.")
def update_tenant(tenant_ref: str, assignments: tuple[str, ...]) -> None:
    """Change tenant settings (validated like the admin endpoint, audited)."""
    from .api.schemas.tenants import TenantSettingsSchema

    raw: dict[str, object] = {}
    for assignment in assignments:
        field, sep, value = assignment.partition("=")
        if not sep:
            _fail(f"--set takes FIELD=VALUE, got {assignment!r}")
        raw[field] = int(value) if field == "payment_terms_days" and value.isdigit() else value
    changes = _validated(TenantSettingsSchema(), raw)

    def work(session):
        tenant = tenants.find_tenant(session, tenant_ref)
        tenants.update_settings(session, cli_actor(tenant.id), tenant, changes)

    _run(_app(), work)
    click.echo(f"updated {', '.join(changes) or 'nothing'}")


@main.command("set-vat-rates")
@click.option("--tenant", "tenant_ref", required=True)
@click.option("--rate", "rates", multiple=True, required=True, metavar="RATE[:FROM[:TO]]",
              help="E.g. --rate 25.5:2024-09-01 --rate 24:2013-01-01:2024-08-31 --rate 0")
def set_vat_rates(tenant_ref: str, rates: tuple[str, ...]) -> None:
    """Replace a tenant's VAT table; each rate with its validity dates (inclusive, open when empty)."""
    from .api.schemas.tenants import VatRatesSchema

    raw = []
    for spec in rates:
        rate, _, period = spec.partition(":")
        valid_from, _, valid_to = period.partition(":")
        raw.append({"rate": rate, "valid_from": valid_from or None, "valid_to": valid_to or None})
    parsed = _validated(VatRatesSchema(), {"vat_rates": raw})["vat_rates"]

    def work(session):
        tenant = tenants.find_tenant(session, tenant_ref)
        return tenants.replace_vat_rates(session, cli_actor(tenant.id), tenant, [
            VatRate(Decimal(r["rate"]), r.get("valid_from"), r.get("valid_to")) for r in parsed])

    table = _run(_app(), work)
    click.echo("VAT rates: " + ", ".join(f"{r.rate} % ({r.period()})" for r in table.rates))


@main.command("number-series")
@click.option("--tenant", "tenant_ref", required=True)
@click.option("--name", required=True)
@click.option("--prefix")
@click.option("--reference-prefix")
@click.option("--next-number", type=int)
def number_series(tenant_ref: str, name: str, **values) -> None:
    """Create or change a number series (its next number only before its first invoice)."""
    from .api.schemas.tenants import NumberSeriesSchema

    values = _validated(NumberSeriesSchema(), values)

    def work(session):
        tenant = tenants.find_tenant(session, tenant_ref)
        series = tenants.save_series(session, cli_actor(tenant.id), tenant, name, **values)
        return f"series {series.name}: prefix {series.prefix!r}, reference prefix {series.reference_prefix}, " \
               f"next number {series.next_number}"

    click.echo(_run(_app(), work))


@main.command("set-channel")
@click.option("--tenant", "tenant_ref", required=True)
@click.option("--channel", "name", required=True, help="netvisor, ropo24, or a channel another package adds.")
@click.option("--setting", "assignments", multiple=True, metavar="KEY=VALUE", help="A channel setting (repeat).")
@click.option("--default/--not-default", default=True, help="Send every invoice through it unless the order says.")
@click.option("--disable", is_flag=True)
def set_channel(tenant_ref: str, name: str, assignments: tuple[str, ...], default: bool, disable: bool) -> None:
    """Enable or change a delivery channel of a tenant (settings are checked by the channel itself)."""
    settings: dict[str, str] = {}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep:
            _fail(f"--setting takes KEY=VALUE, got {assignment!r}")
        settings[key] = value

    def work(session):
        tenant = tenants.find_tenant(session, tenant_ref)
        tenants.save_channel(session, cli_actor(tenant.id), tenant, name, enabled=not disable, default=default,
                             settings=settings)

    _run(_app(), work)
    click.echo(f"channel {name}: {'disabled' if disable else 'enabled'}{', default' if default else ''}")


@main.command()
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def worker(once: bool) -> None:
    """Deliver finalised invoices through their channels (the outbox); run as many as you like."""
    import logging

    from .worker import Worker, WorkerSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = _app()
    state = plugin_state(app)
    runner = Worker(state.session_factory, WorkerSettings.from_settings(state.settings))
    if once:
        while runner.run_once():
            pass
    else:
        runner.run()


@main.command()
@click.argument("service", type=click.Choice(["netvisor", "ropo24", "einvoice"]))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
def sandbox(service: str, host: str, port: int) -> None:
    """Run a service's sandbox on loopback: it speaks the protocol, checks auth and holds what it gets."""
    if service == "netvisor":
        from adapters.netvisor.sandbox import run_sandbox
    elif service == "ropo24":
        from adapters.ropo24.sandbox import run_sandbox
    else:
        from adapters.einvoice.sandbox import run_sandbox
    click.echo(f"{service} sandbox on http://{host}:{port} (Ctrl-C stops it)")
    run_sandbox(host=host, port=port)


@main.command("sync-payments")
@click.option("--tenant", "tenant_ref", help="Only this tenant (slug or id).")
def sync_payments_command(tenant_ref: str | None) -> None:
    """Poll Netvisor's payment list and Ropo24's status updates now (workers also do it on a schedule)."""
    from webhooks.polling import sync_payments

    app = _app()
    tenant_id = _run(app, lambda session: tenants.find_tenant(session, tenant_ref).id) if tenant_ref else None
    report = sync_payments(plugin_state(app).session_factory, tenant_id)
    click.echo("\n".join(report.lines) or "nothing to poll")


@main.command("set-webhook-secret")
@click.option("--tenant", "tenant_ref", required=True)
@click.option("--provider", required=True, help="ropo24 or generic")
@click.option("--secret", help="The provider's secret, if it gives one (default: generate one).")
def set_webhook_secret(tenant_ref: str, provider: str, secret: str | None) -> None:
    """Set the secret a provider signs its callbacks with (the previous one stays valid); prints it last."""
    from .services import webhook_setup

    def work(session):
        tenant = tenants.find_tenant(session, tenant_ref)
        return tenant.slug, webhook_setup.set_inbound_secret(session, cli_actor(tenant.id), tenant, provider, secret)

    slug, value = _run(_app(), work)
    click.echo(f"{provider} callbacks go to /webhooks/{provider}/{slug}, signed with (shown once):")
    click.echo(value)


@main.command("add-webhook-endpoint")
@click.option("--tenant", "tenant_ref", required=True)
@click.option("--url", required=True)
@click.option("--event", "events", multiple=True, required=True, help="e.g. --event invoice.paid (repeat)")
def add_webhook_endpoint(tenant_ref: str, url: str, events: tuple[str, ...]) -> None:
    """Send signed notifications to a shop's URL; prints the endpoint's signing secret last."""
    from .services import webhook_setup

    def work(session):
        tenant = tenants.find_tenant(session, tenant_ref)
        return webhook_setup.create_endpoint(session, cli_actor(tenant.id), tenant, url, list(events))[1]

    secret = _run(_app(), work)
    click.echo(f"notifications of {', '.join(events)} go to {url}, signed with (shown once):")
    click.echo(secret)


@main.command("purge-idempotency-keys")
def purge_idempotency_keys() -> None:
    """Delete stored Idempotency-Key responses older than the retention period."""
    app = _app()
    count = _run(app, lambda session: idempotency.purge_expired(
        session, plugin_state(app).settings.idempotency_retention))
    click.echo(f"purged {count} expired idempotency keys")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int,
              help="gunicorn worker processes; about one per core (numbering serialises on a row lock).")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn.")
def serve(host: str, port: int, workers: int, dev: bool) -> None:
    """Serve the API (gunicorn), on the database INVOICING_DATABASE_URL names."""
    if dev:
        _app().run(host=host, port=port, threaded=True)
        return
    try:
        require("gunicorn", "server", "invoicing serve")
    except MissingExtra as error:
        raise click.ClickException(f"{error} (or `invoicing serve --dev` for Flask's development server)") from None
    os.execvp(sys.executable, [  # noqa: S606 - our own interpreter and arguments, no shell
        sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
        "--access-logfile", "-", "invoicing_plugin.wsgi:app",
    ])


@main.command()
@click.option("--port", default=8000, show_default=True, type=int, help="Port of the API (0: any free port).")
@click.option("--serve/--no-serve", default=False, help="Keep the API running after the demo.")
def demo(port: int, serve: bool) -> None:
    """Migrate, set up a demo shop with keys, start the API, send a web shop and a POS order, show the invoices."""
    from .demo import run_demo

    run_demo(_app(), port=port, keep_serving=serve)


if __name__ == "__main__":
    main()
