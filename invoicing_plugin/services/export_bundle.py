"""`invoicing export --from --to`: a period's CSVs and every invoice's PDF, Finvoice and UBL in one ZIP.

The documents are the stored ones (made now, outside any transaction, where an invoice has not needed one
yet), so the ZIP holds the same bytes as the archive and the API, and the manifest's SHA-256 of each is the
stored document's. An invoice whose data one format cannot carry (e.g. Finvoice for a buyer it cannot
address) is listed in the manifest under `not_exported` with the reason, never silently left out. The reminders
sent in the period are in it too (`documents/reminders/`), as stored when they went out.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..db import Invoice, Reminder, Tenant
from ..domain.errors import DomainError
from . import csv_export, documents, reminder_documents
from .actors import Actor
from .export_zip import ExportZip, document_name
from .unit_of_work import Database

KINDS = ("pdf", "finvoice", "ubl")
REMINDER_KINDS = ("pdf", "finvoice")  # what a reminder is sent as (the SOAP frame is only the operator's wrapping)


@dataclass
class BundleReport:
    path: Path
    invoices: int = 0
    documents: int = 0
    reminders: int = 0
    not_exported: list[dict[str, str]] = field(default_factory=list)


def invoices_of(db: Database, period: csv_export.Period) -> list[tuple[uuid.UUID, str | None]]:
    """(id, number) of the period's issued invoices and credit notes, in the CSV's order (ids only: small)."""
    return db.read(lambda session: [(row.id, row.number) for row in session.execute(
        select(Invoice.id, Invoice.number).where(*csv_export.issued_in(period))
        .order_by(*csv_export.order_key()))])


def add_documents(bundle: ExportZip, db: Database, actor: Actor, invoice_id: uuid.UUID, number: str | None,
                  layout: dict[str, Any], report: BundleReport) -> None:
    for kind in KINDS:
        try:
            stored = documents.invoice_document(db, actor, invoice_id, kind, layout)
        except DomainError as error:
            report.not_exported.append({"invoice": number or str(invoice_id), "kind": kind, "reason": error.detail})
            continue
        bundle.add(document_name(number, str(invoice_id), kind), stored.content, stored.media_type, stored.sha256)
        report.documents += 1


def sent_reminders(db: Database, tenant_id: uuid.UUID, period: csv_export.Period | None = None) -> list[uuid.UUID]:
    """The ids of the tenant's sent reminders (dated in the period, when one is given), in number order."""
    where = [Reminder.tenant_id == tenant_id, Reminder.sent_at.is_not(None)]
    if period is not None:
        where += [Reminder.reminder_date >= period.first, Reminder.reminder_date <= period.last]
    return db.read(lambda session: list(session.scalars(
        select(Reminder.id).where(*where).order_by(Reminder.sequence_number))))


def add_reminder_documents(bundle: ExportZip, db: Database, reminder_id: uuid.UUID, report: BundleReport) -> None:
    """A sent reminder's stored PDF and Finvoice (stored now where it never needed one)."""
    loaded = db.read(lambda session: reminder_documents.load(session, session.get_one(Reminder, reminder_id)))
    number = loaded.data.number
    for kind in REMINDER_KINDS:
        try:
            stored = reminder_documents.stored(db, kind, loaded)
        except DomainError as error:
            report.not_exported.append({"invoice": f"reminder {number}", "reminder": number, "kind": kind,
                                        "reason": error.detail})
            continue
        bundle.add(document_name(number, str(reminder_id), kind, folder="documents/reminders"), stored.content,
                   stored.media_type, stored.sha256)
        report.documents += 1
    report.reminders += 1


def write_period_zip(db: Database, actor: Actor, period: csv_export.Period, out_dir: Path, fmt: csv_export.CsvFormat,
                     progress: Callable[[int], None] = lambda _: None) -> BundleReport:
    """The ZIP of the period in `out_dir`; `progress(n)` after each invoice's documents."""
    tenant = db.read(lambda session: session.get(Tenant, period.tenant_id))
    assert tenant is not None
    path = out_dir / f"{tenant.slug}-{period.first.isoformat()}-{period.last.isoformat()}.zip"
    report = BundleReport(path)
    bundle = ExportZip(path)
    bundle.add("invoices.csv", csv_export.invoices_csv(db, period, fmt), "text/csv")
    bundle.add("invoice-lines.csv", csv_export.lines_csv(db, period, fmt), "text/csv")
    layout = dict(tenant.layout or {})
    for invoice_id, number in invoices_of(db, period):
        add_documents(bundle, db, actor, invoice_id, number, layout, report)
        report.invoices += 1
        progress(1)
    for reminder_id in sent_reminders(db, period.tenant_id, period):
        add_reminder_documents(bundle, db, reminder_id, report)
    bundle.close({"tenant": {"id": str(tenant.id), "slug": tenant.slug, "name": tenant.name},
                  "period": {"from": period.first.isoformat(), "to": period.last.isoformat()},
                  "csv": {"delimiter": fmt.delimiter, "decimal": fmt.decimal}, "invoices": report.invoices,
                  "reminders": report.reminders, "not_exported": report.not_exported})
    return report
