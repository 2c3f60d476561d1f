"""`invoicing archive` and `invoicing export`: the document archive's backfill, and a tenant's data as a ZIP."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from .db import Delivery
from .plugin import plugin_state
from .services import archive


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
