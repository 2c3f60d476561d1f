"""`invoicing export --all`: everything of one tenant, in open formats, so a merchant can leave with its books.

Each table is written twice, as `<table>.csv` (a header of the column names, one row per record) and as
`<table>.json` (an array of objects with the same names and values), plus `tenant.json` (the settings, secrets
masked), the stored documents under `documents/`, and `manifest.json` with each file's SHA-256. Values are
written exactly: amounts as decimal text with a point ("12.40", never a float), dates and times as ISO 8601
(times in UTC), ids as UUID text, JSON columns as JSON text in the CSV.

Which tables: `TABLES` below, one line each; a table a later part of the product adds is one more line there,
or, named in `OPTIONAL_TABLES` (the dunning part's `reminders`, `dunning_settings`, `reference_rates`), exported
whenever the installed models have it. Never exported: API key hashes, webhook signing secrets, channel credentials, the
outbox and inbox (operational records, not books).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from ..channels import SECRET_NAME, redacted
from ..db import (
    Allocation,
    AuditEvent,
    Base,
    Customer,
    Invoice,
    InvoiceDocument,
    InvoiceEvent,
    InvoiceLine,
    InvoiceRun,
    NumberSeries,
    Order,
    OrderLine,
    Payment,
    Refund,
    ReminderFile,
    Tenant,
    VatRateRow,
    WebhookEndpoint,
)
from ..db.tables import table_of
from ..domain.lifecycle import ISSUED
from .actors import Actor
from .export_bundle import KINDS, BundleReport
from .export_zip import ExportZip, document_name
from .invoices import tenant_today
from .unit_of_work import Database

BATCH = 1000
MASK = "********"


@dataclass(frozen=True)
class ExportTable:
    name: str  # the file name: <name>.csv and <name>.json
    table: Table
    leave_out: tuple[str, ...] = ()  # columns never exported (secrets, document bytes)


def _table(model: type, name: str | None = None, leave_out: tuple[str, ...] = ()) -> ExportTable:
    table = table_of(model)
    return ExportTable(name or table.name, table, leave_out)


# One line per table. Each has a tenant_id column: only the tenant's own rows are read.
TABLES: tuple[ExportTable, ...] = (
    _table(NumberSeries),
    _table(VatRateRow),
    _table(Customer),
    _table(Order),
    _table(OrderLine),
    _table(InvoiceRun),
    _table(Invoice),
    _table(InvoiceLine),
    _table(Payment),
    _table(Allocation),
    _table(Refund),
    _table(InvoiceEvent),
    _table(AuditEvent),
    _table(InvoiceDocument, "documents", leave_out=("content",)),  # the bytes are the files in documents/
    _table(ReminderFile, "reminder_documents", leave_out=("content",)),  # bytes in documents/reminders/
    _table(WebhookEndpoint, leave_out=("secret",)),
)
# Exported when the installed models have them (the dunning part: its settings with the levels and texts, the
# reference rates the penalty interest was claimed at, the reminders with their fees and interest, and the runs).
OPTIONAL_TABLES: tuple[str, ...] = ("dunning_settings", "reference_rates", "reminders", "dunning_runs")


def tables_to_export() -> list[ExportTable]:
    named = {export.table.name for export in TABLES}
    extra = [ExportTable(name, Base.metadata.tables[name]) for name in OPTIONAL_TABLES
             if name in Base.metadata.tables and name not in named
             and "tenant_id" in Base.metadata.tables[name].c]
    return [*TABLES, *extra]


def scrub(value: Any) -> Any:
    """JSON with every secret-looking key masked (channel passwords, API keys, signing secrets), at any depth."""
    if isinstance(value, dict):
        return {key: (MASK if SECRET_NAME.search(str(key)) and item not in (None, "") and
                      not isinstance(item, dict | list) else scrub(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value


def plain(value: Any) -> Any:
    """A value as JSON holds it exactly: Decimal as text, dates ISO 8601, UUIDs as text."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict | list):
        return scrub(value)
    return value


def csv_cell(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def tenant_settings(tenant: Tenant) -> dict[str, Any]:
    """The tenant's settings as the admin sees them, secrets masked."""
    row = {column.name: getattr(tenant, column.key) for column in table_of(Tenant).c}
    row["channels"] = redacted(tenant.channels or {})
    return {key: plain(value) for key, value in row.items()}


def _batches(db: Database, export: ExportTable, tenant_id: uuid.UUID) -> Iterator[list[dict[str, Any]]]:
    """The tenant's rows of one table in primary key order, a short read per batch."""
    table = export.table
    columns = [column for column in table.c if column.name not in export.leave_out]
    key = list(table.primary_key.columns)[0]
    after: Any = None
    while True:
        def read(session: Session, after: Any = after) -> list[dict[str, Any]]:
            query = select(*columns).where(table.c.tenant_id == tenant_id).order_by(key).limit(BATCH)
            if after is not None:
                query = query.where(key > after)
            return [dict(row._mapping) for row in session.execute(query)]

        rows = db.read(read)
        if not rows:
            return
        yield rows
        after = rows[-1][key.name]


def _csv_chunks(export: ExportTable, batches: Iterator[list[dict[str, Any]]]) -> Iterator[bytes]:
    names = [column.name for column in export.table.c if column.name not in export.leave_out]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    yield out.getvalue().encode("utf-8")
    for rows in batches:
        out.seek(0)
        out.truncate()
        writer.writerows([csv_cell(row[name]) for name in names] for row in rows)
        yield out.getvalue().encode("utf-8")


def _json_chunks(batches: Iterator[list[dict[str, Any]]]) -> Iterator[bytes]:
    first = True
    yield b"["
    for rows in batches:
        for row in rows:
            text = json.dumps({name: plain(value) for name, value in row.items()}, ensure_ascii=False)
            yield (("\n" if first else ",\n") + text).encode("utf-8")
            first = False
    yield b"\n]\n"


def write_everything(db: Database, actor: Actor, tenant_id: uuid.UUID, out_dir: Path,
                     progress: Callable[[int], None] = lambda _: None) -> BundleReport:
    """The ZIP of everything the tenant has in `out_dir`; `progress(n)` as tables and invoices are done."""
    from .export_bundle import add_documents, add_reminder_documents, sent_reminders

    tenant = db.read(lambda session: session.get(Tenant, tenant_id))
    assert tenant is not None
    path = out_dir / f"{tenant.slug}-all-{tenant_today(tenant).isoformat()}.zip"
    report = BundleReport(path)
    bundle = ExportZip(path)
    # Every issued invoice's documents first (made now where missing), so that documents.csv lists them all.
    issued = db.read(lambda session: [(row.id, row.number) for row in session.execute(
        select(Invoice.id, Invoice.number).where(Invoice.tenant_id == tenant_id, Invoice.status.in_(ISSUED))
        .order_by(Invoice.invoice_date, Invoice.series, Invoice.sequence_number))])
    layout = dict(tenant.layout or {})
    for invoice_id, number in issued:
        add_documents(bundle, db, actor, invoice_id, number, layout, report)
        report.invoices += 1
        progress(1)
    for reminder_id in sent_reminders(db, tenant_id):  # before the tables, so reminder_documents lists them all
        add_reminder_documents(bundle, db, reminder_id, report)
        progress(1)
    bundle.add("tenant.json", json.dumps(tenant_settings(tenant), indent=2, ensure_ascii=False).encode("utf-8"),
               "application/json")
    exported = tables_to_export()
    for export in exported:
        bundle.add(f"{export.name}.csv", _csv_chunks(export, _batches(db, export, tenant_id)), "text/csv")
        bundle.add(f"{export.name}.json", _json_chunks(_batches(db, export, tenant_id)), "application/json")
        progress(1)
    bundle.close({"tenant": {"id": str(tenant.id), "slug": tenant.slug, "name": tenant.name},
                  "everything": True, "tables": [export.name for export in exported],
                  "document_kinds": list(KINDS), "invoices": report.invoices, "reminders": report.reminders,
                  "not_exported": report.not_exported})
    return report


def step_count(db: Database, tenant_id: uuid.UUID) -> int:
    """How many progress steps `write_everything` makes (for the progress bar's length)."""
    from sqlalchemy import func

    invoices = db.read(lambda session: session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.tenant_id == tenant_id, Invoice.status.in_(ISSUED)))) or 0
    from .export_bundle import sent_reminders

    return invoices + len(sent_reminders(db, tenant_id)) + len(tables_to_export())


__all__ = ["OPTIONAL_TABLES", "TABLES", "document_name", "step_count", "write_everything"]
