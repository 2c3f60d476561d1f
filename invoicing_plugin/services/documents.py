"""The documents of a finalised invoice: made on first need (by the worker, or a reader), stored with their
SHA-256 and never made again. Rendering is deterministic, so a second rendering that differs from the
stored bytes is a bug, and is logged as one; the stored document always wins.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Invoice, InvoiceDocument, Order
from ..domain.errors import InvalidState, ValidationFailed
from ..domain.invoice_data import InvoiceData
from ..domain.lifecycle import InvoiceStatus
from .idempotency import dialect_insert
from .invoice_data import invoice_data

log = logging.getLogger(__name__)

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "finvoice": "application/xml; charset=ISO-8859-15",
    "finvoice_soap": "application/xml; charset=ISO-8859-15",
    "ubl": "application/xml",
}
EMAIL_LAYOUT_KEY = "email"  # the layout's email texts; the rest of the layout is the PDF's


def render(kind: str, data: InvoiceData, layout: Mapping | None, finalized_at: datetime) -> bytes:
    """One document of an invoice, the same bytes for the same invoice every time."""
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


def pdf_layout(layout: Mapping | None) -> dict:
    return {key: value for key, value in (layout or {}).items() if key != EMAIL_LAYOUT_KEY}


def check_layout(layout: Mapping) -> None:
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


def stored_document(session: Session, invoice: Invoice, kind: str, layout: Mapping | None) -> InvoiceDocument:
    """The stored document, made now if this is its first need (in the caller's transaction)."""
    if kind not in MEDIA_TYPES:
        raise ValidationFailed({"kind": [f"must be one of {', '.join(MEDIA_TYPES)}"]})
    found = _find(session, invoice.id, kind)
    if found is not None:
        return found
    if invoice.status != InvoiceStatus.FINALIZED:
        raise InvalidState("documents are made of finalised invoices; this one is " + str(invoice.status))
    content = render(kind, load_invoice_data(session, invoice), layout, invoice.finalized_at)
    digest = hashlib.sha256(content).hexdigest()
    table = InvoiceDocument.__table__
    session.execute(
        dialect_insert(session, table)
        .values(id=uuid.uuid4(), tenant_id=invoice.tenant_id, invoice_id=invoice.id, kind=kind,
                media_type=MEDIA_TYPES[kind], content=content, sha256=digest, size=len(content),
                created_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["invoice_id", "kind"])
    )
    stored = _find(session, invoice.id, kind)
    if stored.sha256 != digest:  # someone else stored it first, and our rendering came out different
        log.error("re-rendering %s of invoice %s gave other bytes than the stored ones (a bug)", kind, invoice.id)
    return stored


def _find(session: Session, invoice_id: uuid.UUID, kind: str) -> InvoiceDocument | None:
    return session.scalars(select(InvoiceDocument).where(InvoiceDocument.invoice_id == invoice_id,
                                                         InvoiceDocument.kind == kind)).first()


def load_invoice_data(session: Session, invoice: Invoice) -> InvoiceData:
    """The invoice as plain data, with the first order's external id as the order reference."""
    first_order = session.scalars(select(Order.external_id).where(Order.invoice_id == invoice.id)
                                  .order_by(Order.created_at).limit(1)).first()
    return invoice_data(invoice, order_reference=first_order)
