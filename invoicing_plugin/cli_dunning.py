"""`invoicing remind`: the dunning run of one tenant from a terminal (what the worker does daily)."""

from __future__ import annotations

import click

from .domain.money import round_money
from .services import dunning
from .services.unit_of_work import Database


@click.command("remind")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant slug or id.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]),
              help="The day to dun for (default: the tenant's today, in its time zone).")
def remind_command(tenant_ref: str, day) -> None:
    """Make the reminders that are due: drafts, or sent at once if the tenant sends automatically."""
    from .cli import _admin, _app, _run

    def work(db: Database) -> None:
        actor = _admin(db, tenant_ref)
        run = dunning.run_dunning(db, actor, dunning.RunDunning(day.date() if day else None))
        click.echo(f"dunning of {run.day.isoformat()}: {len(run.created)} reminders, {run.sent} sent"
                   + (f", {run.skipped_in_collection} invoices left to the collection service"
                      if run.skipped_in_collection else ""))
        for reminder in run.created:
            click.echo(f"  level {reminder.level}  {reminder.status:<9}  {reminder.number or '-':<8}  "
                       f"claimed {round_money(reminder.claimed, reminder.currency)} {reminder.currency}")

    _run(_app(), work)
