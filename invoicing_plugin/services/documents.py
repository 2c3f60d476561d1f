"""The documents of a finalised invoice: made on first need (by the worker, or a reader), stored with their
SHA-256 and never made again. Rendering is deterministic, so a second rendering that differs from the
stored bytes is a bug, and is logged as one; the stored document always wins.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..db import Invoice, InvoiceDocument, Order, Tenant, guard
from ..db.tables import table_of
from ..domain.errors import InvalidState, ValidationFailed
from ..domain.invoice_data import InvoiceData
from ..domain.lifecycle import ISSUED
from .actors import Actor
from .idempotency import dialect_insert
from .invoice_data import invoice_data
from .queries import get_invoice
from .unit_of_work import Database

log = logging.getLogger(__name__)

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "finvoice": "application/xml; charset=ISO-8859-15",
    "finvoice_soap": "application/xml; charset=ISO-8859-15",
    "ubl": "application/xml",
}
EMAIL_LAYOUT_KEY = "email"  # the layout's email texts; the rest of the layout is the PDF's


def render(kind: str, data: InvoiceData, layout: Mapping[str, Any] | None, finalized_at: datetime) -> bytes:
    """One document of an invoice, the same bytes for the same invoice every time (never in a transaction:
    a PDF takes long enough to hold up every checkout waiting for the lock)."""
    guard.refuse_inside_transaction(f"rendering the {kind} of invoice {data.number}")
    from ..documents.finvoice import finvoice_xml
    from ..documents.finvoice_soap import finvoice_soap_frame
    from ..documents.pdf import render_invoice_pdf
    from ..documents.ubl import ubl_xml

    if kind == "pdf":
        return render_invoice_pdf(data, pdf_layout(layout))
    if kind in ("finvoice", "finvoice_soap"):
        # Fixed by the invoice, not by the moment of rendering: the message is the same on every send.
        message_id, stamp = f"{data.number}-{data.id[:8]}", finalized_at.astimezone(UTC)
        document = finvoice_xml(data, message_id=message_id, timestamp=stamp)
        return document if kind == "finvoice" else finvoice_soap_frame(data, document, message_id=message_id,
                                                                       timestamp=stamp)
    if kind == "ubl":
        return ubl_xml(data)
    raise ValueError(f"no document kind {kind!r}")


def pdf_layout(layout: Mapping[str, Any] | None) -> dict[str, Any]:
    return {key: value for key, value in (layout or {}).items() if key != EMAIL_LAYOUT_KEY}


def check_layout(layout: Mapping[str, Any]) -> None:
    """Refuse a layout the PDF or the email texts cannot use, naming every problem."""
    from adapters.email import check_email_texts

    from ..documents.pdf import LayoutError, parse_layout

    problems = check_email_texts(layout)
    try:
        parse_layout(pdf_layout(layout))
    except LayoutError as error:
        problems.insert(0, str(error))
    if problems:
        raise ValidationFailed({"layout": problems})


@dataclass(frozen=True)
class StoredDocument:
    kind: str
    media_type: str
    content: bytes
    sha256: str
    invoice_number: str | None


def invoice_document(db: Database, actor: Actor, invoice_id: uuid.UUID, kind: str,
                     layout: Mapping[str, Any] | None) -> StoredDocument:
    """The stored document of a finalised invoice the actor may see; made now if this is its first need.

    Read, render, store: the rendering runs with no transaction open, and the document stored first wins
    (a concurrent first reader renders the same bytes, since rendering is deterministic).
    """
    if kind not in MEDIA_TYPES:
        raise ValidationFailed({"kind": [f"must be one of {', '.join(MEDIA_TYPES)}"]})

    def read(session: Session) -> tuple[StoredDocument | None, InvoiceData | None, datetime | None, uuid.UUID]:
        invoice = get_invoice(session, actor, invoice_id)
        found = _find(session, invoice.id, kind)
        if found is not None:
            return _plain(found, invoice.number), None, None, invoice.tenant_id
        if invoice.status not in ISSUED:
            raise InvalidState("documents are made of finalised invoices; this one is " + str(invoice.status))
        return None, load_invoice_data(session, invoice), invoice.finalized_at, invoice.tenant_id

    found, data, finalized_at, tenant_id = db.read(read)
    if found is not None:
        return found
    assert data is not None and finalized_at is not None
    content = render(kind, data, layout, finalized_at)
    return db.run(lambda session: _store(session, tenant_id, invoice_id, kind, content, data.number))


@dataclass(frozen=True)
class ToRender:
    """A finalised invoice's document not stored yet, with all its rendering needs (read in one transaction)."""

    tenant_id: uuid.UUID
    invoice_id: uuid.UUID
    kind: str
    data: InvoiceData
    layout: dict[str, Any]
    finalized_at: datetime

    @property
    def job(self) -> tuple[str, InvoiceData, dict[str, Any], datetime]:
        """The arguments of `render`: plain data, so that another process can render it."""
        return self.kind, self.data, self.layout, self.finalized_at


def documents_to_render(session: Session, wanted: Iterable[tuple[uuid.UUID, str]]) -> list[ToRender]:
    """Of these (invoice id, kind), the documents of finalised invoices that are not stored yet, in order.

    For the worker, which renders a claimed batch's documents side by side before delivering them (each
    invoice with its own tenant's layout, as its delivery would); `store_rendered` keeps them.
    """
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        return []
    stored = {(row.invoice_id, row.kind) for row in session.execute(
        select(InvoiceDocument.invoice_id, InvoiceDocument.kind)
        .where(InvoiceDocument.invoice_id.in_({invoice_id for invoice_id, _ in wanted})))}
    found = []
    for invoice_id, kind in wanted:
        invoice = session.get(Invoice, invoice_id)
        if (invoice_id, kind) in stored or invoice is None or invoice.status not in ISSUED:
            continue
        tenant = session.get(Tenant, invoice.tenant_id)
        assert tenant is not None and invoice.finalized_at is not None  # an issued invoice's own (foreign key)
        found.append(ToRender(invoice.tenant_id, invoice.id, kind, load_invoice_data(session, invoice),
                              dict(tenant.layout or {}), invoice.finalized_at))
    return found


def store_rendered(db: Database, rendered: ToRender, content: bytes) -> StoredDocument:
    """Keep a document rendered ahead; one stored meanwhile (by a reader, another worker) wins."""
    return db.run(lambda session: _store(session, rendered.tenant_id, rendered.invoice_id, rendered.kind,
                                         content, rendered.data.number))


def _store(session: Session, tenant_id: uuid.UUID, invoice_id: uuid.UUID, kind: str, content: bytes,
           number: str | None) -> StoredDocument:
    digest = hashlib.sha256(content).hexdigest()
    table = table_of(InvoiceDocument)
    session.execute(
        dialect_insert(session, table)
        .values(id=uuid.uuid4(), tenant_id=tenant_id, invoice_id=invoice_id, kind=kind,
                media_type=MEDIA_TYPES[kind], content=content, sha256=digest, size=len(content),
                created_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["invoice_id", "kind"])
    )
    stored = _find(session, invoice_id, kind)
    assert stored is not None
    if stored.sha256 != digest:  # someone else stored it first, and our rendering came out different
        log.error("re-rendering %s of invoice %s gave other bytes than the stored ones (a bug)", kind, invoice_id)
    return _plain(stored, number)


def _plain(row: InvoiceDocument, number: str | None) -> StoredDocument:
    return StoredDocument(row.kind, row.media_type, row.content, row.sha256, number)


def _find(session: Session, invoice_id: uuid.UUID, kind: str) -> InvoiceDocument | None:
    return session.scalars(select(InvoiceDocument).where(InvoiceDocument.invoice_id == invoice_id,
                                                         InvoiceDocument.kind == kind)).first()


def load_invoice_data(session: Session, invoice: Invoice) -> InvoiceData:
    """The invoice as plain data, with the first order's external id as the order reference.

    The orders are those its lines came from as well as those it claims: a credit note claims none (they
    stay with the credited invoice), and a cancelled invoice may have released its own, yet both still
    name the order (the Peppol documents need it when the buyer gave no reference, PEPPOL-EN16931-R003).
    """
    line_orders = {line.order_id for line in invoice.lines if line.order_id is not None}
    first_order = session.scalars(
        select(Order.external_id)
        .where(Order.tenant_id == invoice.tenant_id, or_(Order.invoice_id == invoice.id, Order.id.in_(line_orders)))
        .order_by(Order.created_at, Order.id).limit(1)).first()
    credited = session.get(Invoice, invoice.credited_invoice_id) if invoice.credited_invoice_id else None
    return invoice_data(invoice, order_reference=first_order, credited=credited)
