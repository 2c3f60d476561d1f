"""The documents of a finalised invoice (PDF, Finvoice, UBL): made once, stored with their SHA-256, never changed."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, tenant_fk, uuid_pk
from .types import UtcDateTime, utcnow


class InvoiceDocument(Base):
    __tablename__ = "invoice_documents"
    __table_args__ = (
        UniqueConstraint("invoice_id", "kind"),
        # What the archive's sweep looks for: documents not yet given to the archive, oldest first.
        Index("ix_invoice_documents_unarchived", "created_at",
              postgresql_where=text("archive_delivery_id IS NULL"), sqlite_where=text("archive_delivery_id IS NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"))
    kind: Mapped[str] = mapped_column(String(20))  # pdf, finvoice, finvoice_soap, ubl
    media_type: Mapped[str] = mapped_column(String(60))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The outbox delivery that copies it to the archive (S3-compatible storage), set once when that delivery is
    # written; None: not given to the archive yet. No foreign key: purging old deliveries keeps the mark.
    archive_delivery_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
