"""The `invoicing` command: migrate, set up tenants and keys, serve the API, run the demo.

Every command reads INVOICING_DATABASE_URL (default: SQLite in the instance folder). Commands that
print a new tenant's slug or a new key print it alone on their last line, so scripts can capture it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import NoReturn

import click
from flask import Flask
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from . import create_app
from .db import faults
from .db.migrate import upgrade
from .domain.errors import DomainError, summarize
from .domain.vat import VatRate, VatTable
from .extras import MissingExtra, require
from .plugin import plugin_state
from .services import console_users, tenant_admin, tenants
from .services.actors import ROLES, Actor, cli_actor
from .services.commands import (
    AddWebhookEndpoint,
    ChangeTenantSettings,
    CreateApiKey,
    CreateTenant,
    ReplaceVatRates,
    SaveChannel,
    SaveNumberSeries,
    SetInboundSecret,
)
from .services.unit_of_work import Database


def _app() -> Flask:
    return create_app()


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _run(app: Flask, work):
    """Run `work(db)`, which calls use cases (each its own unit of work); errors become clear messages."""
    with app.app_context():
        try:
            return work(plugin_state(app).database)
        except DomainError as error:
            errors = getattr(error, "errors", None)
            _fail(summarize(errors) if errors else error.detail)
        except (OperationalError, ProgrammingError) as error:
            if _no_schema(error):
                _fail("the database has no schema yet: run `invoicing migrate` first")
            raise


def _admin(db: Database, tenant_ref: str) -> Actor:
    """The command line acting as the admin of the tenant named by slug or id."""
    return cli_actor(db.read(lambda session: tenants.find_tenant(session, tenant_ref).id))


def _validated(schema, values: dict) -> dict:
    from marshmallow import ValidationError

    from .api.problems import flatten

    try:
        return schema.load({key: value for key, value in values.items() if value is not None})
    except ValidationError as error:
        _fail(summarize(flatten(error.messages), limit=20))


class _Commands(click.Group):
    """The command group: a database that is down or busy is one clear line on stderr, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DomainError as error:  # from a service's own unit of work (e.g. `purge`)
            _fail(error.detail)
        except SQLAlchemyError as error:
            if _no_schema(error):
                _fail("the database has no schema yet: run `invoicing migrate` first")
            fault = faults.classify(error)
            if fault is None:
                raise
            _fail(f"{fault.title.lower()}: {faults.describe(error)}")


def _no_schema(error: SQLAlchemyError) -> bool:
    message = str(error)  # SQLite's words, or PostgreSQL's undefined table (not a missing database)
    return isinstance(error, OperationalError | ProgrammingError) and (
        "no such table" in message or 'relation "' in message and "does not exist" in message)


@click.group(cls=_Commands, help=__doc__)
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
    from .api.tenant import delivery_warnings

    values = _validated(TenantCreateSchema(), options)
    command = CreateTenant(values.pop("name"), values.pop("business_id"), values.pop("slug", None), values)
    tenant = _run(_app(), lambda db: tenant_admin.create_tenant(db, command))
    click.echo(f"created tenant {tenant.name} ({tenant.id})")
    for warning in delivery_warnings(tenant, f"`invoicing set-channel --tenant {tenant.slug} --channel <name> ...`"):
        click.echo(f"warning: {warning}")
    click.echo(tenant.slug)


@main.command("list-tenants")
def list_tenants() -> None:
    """List the tenants: slug (for --tenant), name, business ID and enabled channels (* the defaults)."""
    from . import channels

    def work(session):
        return [(t.slug, t.name, t.business_id, channels.enabled_channels(t.channels or {}),
                 channels.default_channels(t.channels or {})) for t in tenants.list_tenants(session)]

    rows = [(slug, name, business_id, ", ".join(c + ("*" if c in defaults else "") for c in enabled) or "none")
            for slug, name, business_id, enabled, defaults in _run(_app(), lambda db: db.read(work))]
    if not rows:
        click.echo("no tenants yet: create one with `invoicing create-tenant`")
        return
    table = [("slug", "name", "business ID", "channels"), *rows]
    widths = [max(len(row[column]) for row in table) for column in range(3)]
    for row in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[3])


@main.command("create-api-key")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant slug or id.")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", default="", help="What the key is for, e.g. 'web shop'.")
def create_api_key(tenant_ref: str, role: str, name: str) -> None:
    """Create an API key; the key is printed once, alone on the last line, and stored only hashed."""

    secret = _run(_app(), lambda db: tenant_admin.create_api_key(db, _admin(db, tenant_ref),
                                                                 CreateApiKey(role, name)).secret)
    click.echo(f"{role} key for {tenant_ref} (shown once, store it now):")
    click.echo(secret)


@main.command("create-user")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant slug or id.")
@click.option("--email", required=True, help="The person's email: what they sign in to the console with.")
@click.option("--role", required=True, type=click.Choice(console_users.CONSOLE_ROLES))
@click.option("--language", type=click.Choice(console_users.LANGUAGES), help="The console's language for them.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given (a password in the command line stays in the shell's history).")
def create_user(tenant_ref: str, email: str, role: str, language: str | None, password: str) -> None:
    """Create a console user of a tenant (the back-office pages); the password is stored only hashed."""
    command = console_users.CreateConsoleUser(email, password, role, language)
    user = _run(_app(), lambda db: console_users.create_user(db, _admin(db, tenant_ref), command))
    click.echo(f"console user {user.email} ({role}) of {tenant_ref} created")


@main.command("show-tenant")
@click.option("--tenant", "tenant_ref", required=True)
def show_tenant(tenant_ref: str) -> None:
    """Print a tenant's settings, VAT rates and number series as JSON."""
    from .api.tenant import tenant_view

    view = _run(_app(), lambda db: db.read(lambda session: tenant_view(session, tenants.find_tenant(session,
                                                                                                 tenant_ref))))
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

    _run(_app(), lambda db: tenant_admin.change_settings(db, _admin(db, tenant_ref), ChangeTenantSettings(changes)))
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

    command = ReplaceVatRates(tuple(VatRate(Decimal(r["rate"]), r.get("valid_from"), r.get("valid_to"))
                                    for r in parsed))
    table = VatTable(command.rates)
    _run(_app(), lambda db: tenant_admin.replace_vat_rates(db, _admin(db, tenant_ref), command))
    click.echo("VAT rates: " + ", ".join(f"{r.rate} % ({r.period()})" for r in table.rates))


@main.command("import-rates")
@click.option("--tenant", "tenant_ref", required=True)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only the days from this date on.")
@click.option("--currency", "currencies", multiple=True, help="Only these currencies (default: all).")
@click.argument("file", type=click.File("rb"))
def import_rates(tenant_ref: str, since, currencies: tuple[str, ...], file) -> None:
    """Import the ECB's reference rates (eurofxref-hist.xml or eurofxref-daily.xml) for a tenant."""
    from .services import exchange_rates

    def work(db: Database):
        rates = list(exchange_rates.parse_ecb(file, since=since.date() if since else None,
                                              currencies=currencies or None))
        return exchange_rates.import_rates(db, _admin(db, tenant_ref), rates), rates

    result, rates = _run(_app(), work)
    days = sorted({rate.rate_date for rate in rates})
    span = f" from {days[0].isoformat()} to {days[-1].isoformat()}" if days else ""
    click.echo(f"{result.total} rates{span}: {result.inserted} new, {result.updated} corrected, "
               f"{result.unchanged} unchanged")


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

    def work(db: Database) -> str:
        tenant = tenant_admin.save_number_series(db, _admin(db, tenant_ref), SaveNumberSeries(name, **values))
        series = db.read(lambda session: tenants.series_by_name(session, tenant.id)[name])
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

    command = SaveChannel(name, enabled=not disable, default=default, settings=settings)
    _run(_app(), lambda db: tenant_admin.save_channel(db, _admin(db, tenant_ref), command))
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
        try:
            while runner.run_once():
                pass
        finally:
            runner.close()  # its rendering processes
    else:
        runner.run()


@main.command()
@click.argument("service", type=click.Choice(["netvisor", "ropo24", "einvoice", "maventa", "vies"]))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
def sandbox(service: str, host: str, port: int) -> None:
    """Run a service's sandbox on loopback: it speaks the protocol, checks auth and holds what it gets."""
    run_sandbox: Callable[..., None]  # the sandboxes take different account arguments
    if service == "vies":
        from adapters.vies.sandbox import SERVICE_PATH, run_sandbox

        click.echo(f"vies sandbox on http://{host}:{port}{SERVICE_PATH} (INVOICING_VIES_URL; Ctrl-C stops it)")
        run_sandbox(host=host, port=port)
        return
    if service == "netvisor":
        from adapters.netvisor.sandbox import run_sandbox
    elif service == "ropo24":
        from adapters.ropo24.sandbox import run_sandbox
    elif service == "maventa":
        from adapters.maventa.sandbox import run_sandbox
    else:
        from adapters.einvoice.sandbox import run_sandbox
    click.echo(f"{service} sandbox on http://{host}:{port} (Ctrl-C stops it)")
    run_sandbox(host=host, port=port)


@main.command("check-vat")
@click.argument("vat_id")
@click.option("--tenant", "tenant_ref", help="Ask as this tenant (its VAT ID is the requester) and keep the "
              "answer as its proof; a fresh answer of the last hours is shown instead of asking again.")
@click.option("--requester", help="The requester's VAT ID without --tenant (for a consultation number).")
@click.option("--url", help="The VIES service (default INVOICING_VIES_URL; 'official' for the EU's).")
def check_vat(vat_id: str, tenant_ref: str | None, requester: str | None, url: str | None) -> None:
    """Ask the EU VIES service whether a VAT ID is valid: status, name, address, consultation number."""
    from adapters.vies import vies_checker
    from adapters.vies.answer import normalize_vat_id

    from .services import vat_checks

    app = _app()
    settings = plugin_state(app).settings
    checker = vies_checker(url or settings.vies_url, settings.vies_timeout_seconds)
    if checker is None:
        _fail("VIES is not configured: set INVOICING_VIES_URL (official, or a sandbox's URL) or give --url")
    if tenant_ref:
        verdict = _run(app, lambda db: vat_checks.check_vat_id(
            db, db.read(lambda session: tenants.find_tenant(session, tenant_ref)), vat_id, checker,
            vat_checks.policy_of(settings)))
        rows = [("status", verdict.status), ("vat_id", verdict.vat_id), ("name", verdict.name),
                ("consultation number", verdict.consultation_number), ("fault", verdict.fault),
                ("kept as", str(verdict.check_id))]
    else:
        answer = checker(normalize_vat_id(vat_id), requester)
        rows = [("status", answer.status), ("vat_id", answer.vat_id), ("name", answer.name),
                ("address", (answer.address or "").replace("\n", ", ") or None),
                ("consultation number", answer.consultation_number),
                ("request date", answer.request_date.isoformat() if answer.request_date else None),
                ("fault", answer.fault)]
    for label, value in rows:
        if value is not None:
            click.echo(f"{label + ':':21}{value}")
    if rows[0][1] != "valid":
        sys.exit(1)


@main.command("sync-payments")
@click.option("--tenant", "tenant_ref", help="Only this tenant (slug or id).")
def sync_payments_command(tenant_ref: str | None) -> None:
    """Poll Netvisor's payment list and Ropo24's status updates now (workers also do it on a schedule)."""
    from webhooks.polling import sync_payments

    app = _app()
    tenant_id = _run(app, lambda db: _admin(db, tenant_ref).tenant_id) if tenant_ref else None
    report = sync_payments(plugin_state(app).session_factory, tenant_id)
    click.echo("\n".join(report.lines) or "nothing to poll")


@main.command("set-webhook-secret")
@click.option("--tenant", "tenant_ref", required=True)
@click.option("--provider", required=True, help="ropo24 or generic")
@click.option("--secret", help="The provider's secret, if it gives one (default: generate one).")
def set_webhook_secret(tenant_ref: str, provider: str, secret: str | None) -> None:
    """Set the secret a provider signs its callbacks with (the previous one stays valid); prints it last."""
    app = _app()
    result = _run(app, lambda db: tenant_admin.set_inbound_secret(db, _admin(db, tenant_ref),
                                                                  SetInboundSecret(provider, secret)))
    prefix = plugin_state(app).settings.webhooks_prefix
    click.echo(f"{provider} callbacks go to {prefix}/{provider}/{result.tenant_slug}, signed with (shown once):")
    click.echo(result.secret)


@main.command("set-webhook-client")
@click.option("--tenant", "tenant_ref", required=True)
@click.option("--provider", required=True, help="ropo24")
@click.option("--base-url", default="", help="This server's public address, e.g. https://invoicing.example.fi")
def set_webhook_client(tenant_ref: str, provider: str, base_url: str) -> None:
    """Set the OAuth2 client id and secret a provider authenticates its callbacks with (Ropo24: a token
    from the token URL, or Basic auth); the previous client stays valid; prints the secret last."""
    from .services import provider_credentials

    app = _app()
    result = _run(app, lambda db: provider_credentials.set_client(db, _admin(db, tenant_ref), provider))
    url = f"{base_url.rstrip('/')}{plugin_state(app).settings.webhooks_prefix}/{provider}/{result.tenant_slug}"
    click.echo(f"{provider} callbacks go to {url}")
    click.echo(f"token URL: {url}/token")
    click.echo(f"client id: {result.client_id}")
    click.echo("client secret (shown once):")
    click.echo(result.client_secret)


@main.command("add-webhook-endpoint")
@click.option("--tenant", "tenant_ref", required=True)
@click.option("--url", required=True)
@click.option("--event", "events", multiple=True, required=True, help="e.g. --event invoice.paid (repeat)")
def add_webhook_endpoint(tenant_ref: str, url: str, events: tuple[str, ...]) -> None:
    """Send signed notifications to a shop's URL; prints the endpoint's signing secret last."""
    command = AddWebhookEndpoint(url, tuple(events))
    secret = _run(_app(), lambda db: tenant_admin.add_webhook_endpoint(db, _admin(db, tenant_ref), command).secret)
    click.echo(f"notifications of {', '.join(events)} go to {url}, signed with (shown once):")
    click.echo(secret)


@main.command()
@click.option("--older-than-days", type=click.IntRange(min=1),
              help="Retention period in days (default: INVOICING_RETENTION_DAYS, 90).")
def purge(older_than_days: int | None) -> None:
    """Delete old operational records: delivered deliveries with their attempts, processed and ignored
    inbox events, and expired Idempotency-Key responses.

    Deliveries and inbox events go when older than --older-than-days (INVOICING_RETENTION_DAYS, default 90);
    Idempotency-Key responses after INVOICING_IDEMPOTENCY_RETENTION_HOURS. Never purged: invoices, payments,
    audit events and stored documents, which are accounting vouchers (kept at least 6 years in Finland,
    Kirjanpitolaki 2:10), nor dead, failed or pending deliveries and unmatched inbox events, which still need
    someone. Run it daily from cron or a scheduler; batches are short transactions.
    """
    from datetime import timedelta

    from .services import retention

    state = plugin_state(_app())
    days = older_than_days or state.settings.retention_days
    report = retention.purge(state.database, older_than=timedelta(days=days),
                             idempotency_retention=state.settings.idempotency_retention)
    click.echo(f"purged {report.deliveries} delivered deliveries ({report.attempts} attempts) and "
               f"{report.inbox_events} processed or ignored inbox events older than {days} days "
               f"(before {report.cutoff:%Y-%m-%d %H:%M} UTC)")
    click.echo(f"purged {report.idempotency_keys} expired idempotency keys")


@main.command("purge-idempotency-keys", hidden=True)
@click.pass_context
def purge_idempotency_keys(ctx: click.Context) -> None:
    """The former name of `purge`, which now also purges old deliveries and inbox events."""
    ctx.invoke(purge)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int,
              help="gunicorn worker processes; about one per core (numbering serialises on a row lock).")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn.")
def serve(host: str, port: int, workers: int, dev: bool) -> None:
    """Serve the API (gunicorn, worker timeout INVOICING_SERVER_TIMEOUT_SECONDS), on INVOICING_DATABASE_URL."""
    from .serving import gunicorn_command, with_console_secret

    app = _app()
    if dev:
        app.run(host=host, port=port, threaded=True)
        return
    try:
        require("gunicorn", "server", "invoicing serve")
    except MissingExtra as error:
        raise click.ClickException(f"{error} (or `invoicing serve --dev` for Flask's development server)") from None
    command = gunicorn_command(host, port, workers, plugin_state(app).settings)
    if not os.environ.get("INVOICING_CONSOLE_SECRET_KEY") and not app.config.get("SECRET_KEY"):
        click.echo("note: INVOICING_CONSOLE_SECRET_KEY is not set; back-office console logins end when the "
                   "server restarts", err=True)
    os.execvpe(command[0], command, with_console_secret(os.environ))  # noqa: S606 - our own interpreter and arguments



@main.command()
@click.option("--port", default=8000, show_default=True, type=int, help="Port of the API (0: any free port).")
@click.option("--serve/--no-serve", default=False, help="Keep the API running after the demo.")
def demo(port: int, serve: bool) -> None:
    """Migrate, set up a demo shop with keys, start the API, send a web shop and a POS order, show the invoices."""
    from .demo import run_demo

    run_demo(_app(), port=port, keep_serving=serve)


@main.command("credit-note")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant slug or id.")
@click.option("--invoice", "number", required=True, help="The invoice's number, as printed on it.")
@click.option("--series", help="The invoice's number series, when the number is in more than one.")
@click.option("--full", is_flag=True, help="Credit everything not yet credited.")
@click.option("--line", "line_specs", multiple=True, metavar="LINE:QTY",
              help="Units to take back from a line: its position on the invoice (1, 2, ...) or its id, then the "
                   "quantity, e.g. --line 2:1 (repeat).")
@click.option("--reason", required=True, help="Why: printed on the credit note.")
def credit_note(tenant_ref: str, number: str, series: str | None, full: bool, line_specs: tuple[str, ...],
                reason: str) -> None:
    """Credit a finalised invoice in full or by lines; prints the credit note's number and total."""
    from .cli_reports import credit_lines, find_invoice, renamed_line_problems
    from .domain.currency import quantum
    from .services import credit_notes
    from .services.commands import CreateCreditNote

    if full == bool(line_specs):
        _fail("give either --full or one or more --line LINE:QTY")
    if not reason.strip():
        _fail("--reason: say why the invoice is credited (it is printed on the credit note)")

    def work(db: Database) -> str:
        actor = _admin(db, tenant_ref)

        def read(session):
            found = find_invoice(session, actor.tenant_id, number, series)
            return found.id, credit_lines(found, line_specs)

        invoice_id, lines = db.read(read)
        command = CreateCreditNote(invoice_id, reason.strip(), lines=lines, full=full)
        with renamed_line_problems(line_specs):
            result = credit_notes.create_credit_note(db, actor, command)
        note = result.invoice
        total = note.total_gross.quantize(quantum(note.currency))
        return f"credit note {note.number} for invoice {number}: total {total} {note.currency}"

    click.echo(_run(_app(), work))


@main.command()
@click.option("--tenant", "tenant_ref", required=True, help="Tenant slug or id.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day (YYYY-MM-DD) the report is as of; default: the tenant's today.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV (comma-delimited, header row) instead of a table.")
def aging(tenant_ref: str, as_of, as_csv: bool) -> None:
    """Open receivables per customer by days past due; the buckets add up to the total open."""
    from .api.reports import aging_csv
    from .cli_reports import aging_table
    from .services.aging import receivables_aging
    from .services.invoices import tenant_today

    def work(db: Database):
        def read(session):
            tenant = tenants.find_tenant(session, tenant_ref)
            day = as_of.date() if as_of else tenant_today(tenant)
            return tenant.name, receivables_aging(session, tenant.id, day)

        return db.read(read)

    name, report = _run(_app(), work)
    if as_csv:
        click.echo(aging_csv(report), nl=False)
        return
    click.echo(f"Receivables aging of {name} as of {report.as_of.isoformat()}")
    click.echo("\n".join(aging_table(report)))


if __name__ == "__main__":
    main()


def _register_run_commands() -> None:
    from .cli_dunning import remind_command
    from .cli_runs import run_command, runs_command

    main.add_command(run_command)
    main.add_command(runs_command)
    main.add_command(remind_command)
    from .cli_exports import archive_command, export_command

    main.add_command(archive_command)
    main.add_command(export_command)


_register_run_commands()
