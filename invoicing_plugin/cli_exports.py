"""`invoicing archive` and `invoicing export`: the document archive's backfill, and a tenant's data as a ZIP."""

from __future__ import annotations

import sys

import click
from sqlalchemy import func, select

from .db import Delivery, Tenant
from .plugin import plugin_state
from .services import archive
from .services.csv_export import DELIMITERS


def _app():
    from .cli import _app as app

    return app()


@click.command("archive")
@click.option("--backfill", is_flag=True, help="Give every stored document not archived yet to the archive.")
@click.option("--tenant", "tenant_ref", help="Only this tenant's documents (slug or id).")
def archive_command(backfill: bool, tenant_ref: str | None) -> None:
    """The archive of stored documents in S3-compatible storage (INVOICING_ARCHIVE_*): how far it is, or
    --backfill to send the documents stored before it was configured. The workers copy them, once each."""
    from .cli import _admin, _fail, _run

    app = _app()
    state = plugin_state(app)
    if not state.settings.archive_bucket:
        _fail("the archive is not configured: set INVOICING_ARCHIVE_BUCKET (and its endpoint and credentials)")
    tenant_id = _run(app, lambda db: _admin(db, tenant_ref).tenant_id) if tenant_ref else None
    if backfill:
        given = archive.backfill(state.database, tenant_id=tenant_id)
        click.echo(f"gave {given} stored documents to the archive; the workers copy them (GET /deliveries)")

    def counts(session):
        query = select(Delivery.status, func.count()).where(Delivery.channel == archive.CHANNEL)
        if tenant_id is not None:
            query = query.where(Delivery.tenant_id == tenant_id)
        return dict(session.execute(query.group_by(Delivery.status)).all())

    found = state.database.read(counts)
    click.echo("archive deliveries: " + (", ".join(f"{count} {status}" for status, count in sorted(found.items()))
                                         or "none"))


@click.command("export")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant slug or id.")
@click.option("--from", "period_from", type=click.DateTime(["%Y-%m-%d"]),
              help="First invoice date (default: the first day of --to's month).")
@click.option("--to", "period_to", type=click.DateTime(["%Y-%m-%d"]), help="Last invoice date (default: today).")
@click.option("--all", "everything", is_flag=True,
              help="Everything of the tenant (settings, customers, orders, invoices, payments, credits, audit "
                   "events, documents) as CSV and JSON, for leaving or for a copy of the books.")
@click.option("--delimiter", type=click.Choice(list(DELIMITERS)), default=",", show_default=True,
              help="The period CSVs' cell delimiter (`;` for Finnish Excel).")
@click.option("--decimal", type=click.Choice([".", ","]), default=".", show_default=True,
              help="The period CSVs' decimal mark (`,` for Finnish Excel).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, writable=True),
              help="The folder the ZIP is written to (made if missing).")
def export_command(tenant_ref: str, period_from, period_to, everything: bool, delimiter: str, decimal: str,
                   out_dir: str) -> None:
    """Write a ZIP: the period's invoices.csv and invoice-lines.csv and every invoice's PDF, Finvoice and UBL,
    or with --all everything of the tenant; manifest.json gives each file's SHA-256. The last line is the ZIP."""
    from pathlib import Path

    from .cli import _admin, _fail, _run
    from .services import csv_export, export_all, export_bundle
    from .services.invoices import tenant_today

    app = _app()
    db = plugin_state(app).database
    actor = _run(app, lambda db: _admin(db, tenant_ref))
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if everything:
        if period_from or period_to:
            _fail("--all exports every period: leave out --from and --to")
        steps = export_all.step_count(db, actor.tenant_id)
        with click.progressbar(length=steps, label="exporting everything", file=sys.stderr) as bar:
            report = _run(app, lambda db: export_all.write_everything(db, actor, actor.tenant_id, folder, bar.update))
    else:
        if delimiter == decimal:
            _fail("--decimal cannot be the delimiter too: with --decimal , use --delimiter ';'")
        tenant = db.read(lambda session: session.get(Tenant, actor.tenant_id))
        assert tenant is not None  # the actor's own
        last = period_to.date() if period_to else tenant_today(tenant)
        first = period_from.date() if period_from else last.replace(day=1)
        if first > last:
            _fail("--from must be on or before --to")
        period = csv_export.Period(actor.tenant_id, first, last)
        fmt = csv_export.CsvFormat(delimiter=csv_export.DELIMITERS[delimiter], decimal=decimal)
        steps = len(export_bundle.invoices_of(db, period))
        with click.progressbar(length=steps, label=f"exporting {first}..{last}",
                               file=sys.stderr) as bar:
            report = _run(app, lambda db: export_bundle.write_period_zip(db, actor, period, folder, fmt, bar.update))
    for skipped in report.not_exported:
        click.echo(f"not exported: {skipped['kind']} of {skipped['invoice']}: {skipped['reason']}")
    reminders = f", {report.reminders} reminders" if report.reminders else ""
    click.echo(f"{report.invoices} invoices{reminders}, {report.documents} documents")
    click.echo(str(report.path))
