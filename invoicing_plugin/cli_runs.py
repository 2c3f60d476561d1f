"""`invoicing run` and `invoicing runs`: invoice runs from a terminal, with a progress bar until the run ends."""

from __future__ import annotations

import os
import socket
import sys
import uuid
from datetime import date, timedelta

import click

from .services import invoice_runs
from .services.unit_of_work import Database

LEASE = timedelta(minutes=2)


def _pairs(values: tuple[str, ...], what: str) -> dict[str, object]:
    result: dict[str, object] = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r}: give {what} as KEY=VALUE")
        if key == "customer_ids":
            result[key] = [uuid.UUID(part) for part in item.split(",") if part]
        else:
            result[key] = item
    return result


@click.command("run")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant slug or id.")
@click.option("--from", "period_from", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First delivery date of the period.")
@click.option("--to", "period_to", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Last delivery date of the period.")
@click.option("--invoice-date", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
@click.option("--finalize", is_flag=True, help="Finalise and deliver the invoices at once (default: drafts).")
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE",
              help="source, store_id, terminal_id, customer_ids (comma-separated), customer_type, currency, series.")
@click.option("--group-by", "group_by", multiple=True, type=click.Choice(invoice_runs.GROUP_KEYS),
              help="Repeat for each key (default: customer, currency, terms, reference, pricing, series).")
@click.option("--no-wait", is_flag=True, help="Only queue the run for the worker.")
def run_command(tenant_ref: str, period_from, period_to, invoice_date, finalize: bool, filters: tuple[str, ...],
                group_by: tuple[str, ...], no_wait: bool) -> None:
    """Invoice the orders waiting in a period, and show the run's progress until it ends."""
    from .cli import _admin, _app, _run

    command = invoice_runs.CreateInvoiceRun(
        period_from=period_from.date(), period_to=period_to.date(), invoice_date=_day(invoice_date),
        filters=_pairs(filters, "a filter"), group_by=group_by or None, finalize=finalize)

    def work(db: Database) -> None:
        actor = _admin(db, tenant_ref)
        run = invoice_runs.create_run(db, actor, command)
        click.echo(f"run {run.id} queued: orders delivered {run.period_from} to {run.period_to}")
        if no_wait:
            return
        waiting = db.read(lambda session: invoice_runs.waiting_count(session, run))
        me = f"cli:{socket.gethostname()}:{os.getpid()}"
        with click.progressbar(length=waiting, label="invoicing", show_pos=True, file=sys.stderr) as bar:
            done = 0
            while db.run(lambda session: invoice_runs.claim_run(session, me, LEASE, run.id)) is not None:
                more = invoice_runs.work_on_run(db, run.id, me, LEASE)
                now = db.read(lambda session: invoice_runs.get_run(session, actor, run.id))
                bar.update(now.orders_seen - done)
                done = now.orders_seen
                if not more:
                    break
        ended = db.read(lambda session: invoice_runs.get_run(session, actor, run.id))
        totals = ", ".join(f"{amount} {currency}" for currency, amount in ended.totals.items()) or "nothing"
        click.echo(f"{ended.status}: {ended.invoices_made} invoices of {ended.orders_invoiced} orders, {totals}"
                   + (f"; {len(ended.failures)} orders could not be invoiced:" if ended.failures else ""))
        for failure in ended.failures:
            click.echo(f"  {failure['external_id']}: {failure['reason']}")

    _run(_app(), work)


@click.command("runs")
@click.option("--tenant", "tenant_ref", required=True)
@click.option("--limit", default=20, show_default=True)
def runs_command(tenant_ref: str, limit: int) -> None:
    """The tenant's invoice runs, newest first."""
    from .cli import _admin, _app, _run

    def work(db: Database) -> None:
        actor = _admin(db, tenant_ref)
        for run in db.read(lambda session: invoice_runs.list_runs(session, actor, limit=limit)):
            totals = ", ".join(f"{amount} {currency}" for currency, amount in (run.totals or {}).items())
            click.echo(f"{run.id}  {run.status:<9}  {run.period_from} .. {run.period_to}  "
                       f"{run.invoices_made:>6} invoices  {run.orders_invoiced:>7} orders  {totals}")

    _run(_app(), work)


def _day(value) -> date | None:
    return value.date() if value is not None else None
