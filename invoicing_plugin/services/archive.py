"""The document archive's side of the outbox: each stored document gets one delivery through channel "archive".

A document is given to the archive by writing its delivery and marking the document with it in one
transaction; the mark is set only where none was (`archive_delivery_id IS NULL`), so two workers sweeping at
once, or a backfill beside a worker, never write two deliveries for one document. The worker sends the
delivery like any other (retried with backoff, attempts recorded, dead ones retried by hand, all visible in
GET /deliveries), and the S3 side looks before it puts, so a retry never stores a document twice either.
A sent reminder's stored documents (`reminder_documents`) go the same way, under their invoice's key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ..db import Delivery, Invoice, InvoiceDocument, Reminder, ReminderFile
from ..db.tables import table_of
from .outbox import PENDING
from .rows import NewRow, insert_new
from .unit_of_work import Database

CHANNEL = "archive"
SWEEP_BATCH = 200


def give_to_archive(session: Session, *, limit: int = SWEEP_BATCH, tenant_id: uuid.UUID | None = None) -> int:
    """Write an archive delivery for up to `limit` stored documents (invoices', then reminders') that have none
    yet (the caller commits)."""
    made = _give(session, InvoiceDocument, "document_id", limit, tenant_id)
    if len(made) < limit:
        made += _give(session, ReminderFile, "reminder_document_id", limit - len(made), tenant_id)
    insert_new(session, Delivery, made)
    return len(made)


def _give(session: Session, model: type, id_key: str, limit: int, tenant_id: uuid.UUID | None) -> list[NewRow]:
    documents = table_of(model)
    query = (select(documents.c.id, documents.c.tenant_id, documents.c.invoice_id, documents.c.kind)
             .where(documents.c.archive_delivery_id.is_(None)).order_by(documents.c.created_at).limit(limit))
    if tenant_id is not None:
        query = query.where(documents.c.tenant_id == tenant_id)
    now = datetime.now(UTC)
    made: list[NewRow] = []
    for row in session.execute(query.with_for_update(skip_locked=True)).all():
        delivery_id = uuid.uuid4()
        marked = session.execute(update(documents).where(documents.c.id == row.id,
                                                         documents.c.archive_delivery_id.is_(None))
                                 .values(archive_delivery_id=delivery_id))
        if cast("CursorResult[Any]", marked).rowcount != 1:
            continue  # another sweep gave it to the archive first
        made.append(NewRow(
            id=delivery_id, tenant_id=row.tenant_id, invoice_id=row.invoice_id, channel=CHANNEL,
            payload={id_key: str(row.id), "kind": row.kind}, status=PENDING, attempts=0,
            attempts_at_manual_retry=0, next_attempt_at=now, locked_until=None, locked_by=None, last_error=None,
            external_id=None, created_at=now, updated_at=now, delivered_at=None))
    return made


def has_unarchived(session: Session) -> bool:
    """Whether any stored document waits for its archive delivery (a read: no write lock for an idle sweep)."""
    return any(session.execute(select(table_of(model).c.id).where(table_of(model).c.archive_delivery_id.is_(None))
                               .limit(1)).first() is not None for model in (InvoiceDocument, ReminderFile))


def backfill(db: Database, *, tenant_id: uuid.UUID | None = None) -> int:
    """Give every stored document that the archive has not had yet to it, in batches; how many were given."""
    total = 0
    while True:
        given = db.run(lambda session: give_to_archive(session, tenant_id=tenant_id))
        total += given
        if given == 0:
            return total


@dataclass(frozen=True)
class ArchiveItem:
    """One document as the archive receives it, read before the service is called."""

    tenant_id: str
    invoice_id: str
    invoice_number: str | None
    invoice_date: str | None
    kind: str
    media_type: str
    content: bytes
    sha256: str
    reminder_id: str | None = None  # a reminder's document: kept beside its invoice's, under its own id
    reminder_number: str | None = None


def load_item(session: Session, delivery_id: uuid.UUID) -> ArchiveItem | None:
    """The document an archive delivery copies (None when the delivery names none: a bug, made dead)."""
    delivery = session.get(Delivery, delivery_id)
    payload = delivery.payload if delivery is not None else None
    if delivery is None or not payload:
        return None
    if "reminder_document_id" in payload:
        return _reminder_item(session, delivery, uuid.UUID(payload["reminder_document_id"]))
    if "document_id" not in payload:
        return None
    document = session.get(InvoiceDocument, uuid.UUID(payload["document_id"]))
    if document is None or document.tenant_id != delivery.tenant_id:
        return None
    invoice = session.get(Invoice, document.invoice_id)
    return ArchiveItem(str(document.tenant_id), str(document.invoice_id), invoice.number if invoice else None,
                       invoice.invoice_date.isoformat() if invoice and invoice.invoice_date else None, document.kind,
                       document.media_type, document.content, document.sha256)


def _reminder_item(session: Session, delivery: Delivery, document_id: uuid.UUID) -> ArchiveItem | None:
    document = session.get(ReminderFile, document_id)
    if document is None or document.tenant_id != delivery.tenant_id:
        return None
    invoice = session.get(Invoice, document.invoice_id)
    reminder = session.get(Reminder, document.reminder_id)
    return ArchiveItem(str(document.tenant_id), str(document.invoice_id), invoice.number if invoice else None,
                       invoice.invoice_date.isoformat() if invoice and invoice.invoice_date else None, document.kind,
                       document.media_type, document.content, document.sha256, str(document.reminder_id),
                       reminder.number if reminder else None)
