"""A reminder as plain document data (its invoice's parties, its own number, dates and claim lines), its texts,
and its PDF and Finvoice, rendered outside any transaction; a sent reminder's are stored once (`stored`).

The reminder asks for the invoice's open amount plus what it claims; it is paid with the invoice's own
reference, so the bank payment finds the invoice. Fees, the 40 € compensation and penalty interest are not
consideration for a supply: no VAT (category O, "not subject to VAT"; JustOn: the dunning fee is a separate
line "always calculated without tax", back-office.md §(d) 2).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Invoice, Reminder, ReminderFile, Tenant, guard
from ..db.tables import table_of
from ..documents.formats import formats_for
from ..domain.invoice_data import InvoiceData, LineData, VatGroupData
from .documents import MEDIA_TYPES, StoredDocument, load_invoice_data, pdf_layout
from .dunning_settings import levels_of, settings_of
from .idempotency import dialect_insert
from .unit_of_work import Database

log = logging.getLogger(__name__)
KINDS = ("pdf", "finvoice", "finvoice_soap")

ZERO = Decimal(0)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
TITLES = {"fi": "Maksumuistutus", "sv": "Betalningspåminnelse", "en": "Payment reminder"}
NUMBER_LABELS = {"fi": "Muistutuksen numero", "sv": "Påminnelsens nummer", "en": "Reminder number"}
_LINES = {
    "fi": {"open": "Lasku {number} ({date}, eräpäivä {due}), avoinna", "fee": "Muistutusmaksu",
           "compensation": "Perintäkulujen vakiokorvaus 40 € (laki 30/2013), josta vähennetty aiemmat maksut",
           "interest": "Viivästyskorko {rate} % {start}–{end} ({days} pv)"},
    "sv": {"open": "Faktura {number} ({date}, förfallodag {due}), obetalt", "fee": "Påminnelseavgift",
           "compensation": "Schablonersättning för indrivningskostnader 40 € (lag 30/2013), med tidigare avgifter "
                           "avdragna",
           "interest": "Dröjsmålsränta {rate} % {start}–{end} ({days} d)"},
    "en": {"open": "Invoice {number} ({date}, due {due}), unpaid", "fee": "Reminder fee",
           "compensation": "Fixed compensation for recovery costs 40 € (Act 30/2013), less fees charged before",
           "interest": "Penalty interest {rate} % {start}–{end} ({days} days)"},
}
DEFAULT_TEXTS = {
    "fi": ("Maksumuistutus {number}: lasku {invoice} – {seller}",
           "Hei,\n\nlaskumme {invoice} eräpäivä oli {invoice_due}, emmekä ole vielä saaneet maksua. Liitteenä on "
           "maksumuistutus {number}.\n\nMaksettava: {total}\nEräpäivä: {due_date}\nViitenumero: {reference}\n\n"
           "Jos olette jo maksaneet, tämä viesti on aiheeton.\n\nYstävällisin terveisin\n{seller}\n"),
    "sv": ("Betalningspåminnelse {number}: faktura {invoice} – {seller}",
           "Hej,\n\nvår faktura {invoice} förföll {invoice_due} och vi har inte fått betalningen. Bifogat finns "
           "betalningspåminnelse {number}.\n\nAtt betala: {total}\nFörfallodag: {due_date}\n"
           "Referensnummer: {reference}\n\nOm ni redan har betalat kan ni bortse från detta.\n\n"
           "Med vänliga hälsningar\n{seller}\n"),
    "en": ("Payment reminder {number}: invoice {invoice} from {seller}",
           "Hello,\n\nour invoice {invoice} was due on {invoice_due} and we have not received payment. Please find "
           "attached payment reminder {number}.\n\nAmount due: {total}\nDue date: {due_date}\n"
           "Reference: {reference}\n\nIf you have paid already, please disregard this message.\n\n"
           "Kind regards\n{seller}\n"),
}


@dataclasses.dataclass(frozen=True)
class ReminderDocument:
    """What the worker and a reader need to render and send a reminder, read in one short transaction."""

    data: InvoiceData
    layout: dict[str, Any]  # the PDF's layout with the reminder's titles, and the email texts
    channels: dict[str, Any]
    status: str
    invoice_open: Decimal
    finalized_at: datetime
    reminder_id: uuid.UUID
    tenant_id: uuid.UUID
    invoice_id: uuid.UUID


def load(session: Session, reminder: Reminder) -> ReminderDocument:
    from .balances import invoice_open_amount

    tenant = session.get_one(Tenant, reminder.tenant_id)
    invoice = session.get_one(Invoice, reminder.invoice_id)
    original = load_invoice_data(session, invoice)
    language = original.language if original.language in TITLES else "en"
    data = reminder_data(original, reminder, language)
    levels = levels_of(settings_of(session, reminder.tenant_id))
    texts = dict(levels[reminder.level - 1].texts.get(language) or {}) if reminder.level <= len(levels) else {}
    subject, body = DEFAULT_TEXTS[language]
    values = _placeholders(data, original, language)
    subject, body = _fill(texts.get("subject") or subject, values), _fill(texts.get("body") or body, values)
    layout = pdf_layout(tenant.layout)
    overrides = dict((layout.get("texts") or {}).get(language) or {})
    overrides.update(doc_invoice=TITLES[language], invoice_number=NUMBER_LABELS[language])
    layout["texts"] = {**(layout.get("texts") or {}), language: overrides}
    layout["email"] = {language: {"subject": subject.replace("{", "(").replace("}", ")"),
                                  "body": body.replace("{", "(").replace("}", ")")}}
    return ReminderDocument(data, layout, dict(tenant.channels or {}), reminder.status, invoice_open_amount(invoice),
                            reminder.sent_at or reminder.created_at, reminder.id, reminder.tenant_id, invoice.id)


def reminder_data(original: InvoiceData, reminder: Reminder, language: str) -> InvoiceData:
    """The reminder as InvoiceData: kind "reminder", its own number and dates, the invoice's parties and
    reference, one line for the open amount and one per claim."""
    f, words = formats_for(language), _LINES[language]
    opening = words["open"].format(number=original.number, date=f.date(original.invoice_date),
                                   due=f.date(original.due_date))
    lines: list[tuple[str, Decimal | None]] = [(opening, reminder.open_amount)]
    if reminder.fee:
        lines.append((words["fee"], reminder.fee))
    if reminder.compensation:
        lines.append((words["compensation"], reminder.compensation))
    if reminder.interest:
        for period in reminder.interest_periods or ():
            lines.append((words["interest"].format(rate=period["rate"].replace(".", ",") if language != "en"
                                                   else period["rate"], start=period["start"], end=period["end"],
                                                   days=period["days"]), None))
        lines[-1] = (lines[-1][0], reminder.interest)  # the interest rounded once, on its last period's line
    items = tuple(
        LineData(position=index, description=text, quantity=Decimal(1), unit=None,
                 unit_price=amount or ZERO, discount_percent=ZERO, vat_rate=ZERO, vat_category="O",
                 net_amount=amount or ZERO, vat_amount=ZERO, gross_amount=amount or ZERO)
        for index, (text, amount) in enumerate(lines, start=1))
    total = sum((line.net_amount for line in items), ZERO)
    return dataclasses.replace(
        original, id=str(reminder.id), kind="reminder", number=reminder.number or "draft",
        sequence_number=reminder.sequence_number or 0, invoice_date=reminder.reminder_date,
        tax_date=reminder.reminder_date, due_date=reminder.due_date,
        payment_terms_days=(reminder.due_date - reminder.reminder_date).days, prices_include_vat=False,
        lines=items, vat_breakdown=(VatGroupData("O", ZERO, total, ZERO, total),), total_net=total, total_vat=ZERO,
        total_gross=total, prepaid_amount=ZERO, credited_invoice_number=original.number,
        credited_invoice_date=original.invoice_date, credited_invoice_id=original.id,
        credited_invoice_reference=original.reference, credit_reason=None, tax_currency=None, exchange_rate=None,
        total_vat_in_tax_currency=None)


def _fill(text: str, values: dict[str, str]) -> str:
    # A plain replacement, as the invoice texts do: a tenant's text never reaches str.format.
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def _placeholders(data: InvoiceData, original: InvoiceData, language: str) -> dict[str, str]:
    from ..domain.identifiers import format_finnish_reference

    f = formats_for(language)
    return {"number": data.number, "invoice": original.number, "invoice_due": f.date(original.due_date),
            "seller": data.seller.name, "buyer": data.buyer.name, "total": f.money(data.total_gross, data.currency),
            "due_date": f.date(data.due_date), "reference": format_finnish_reference(data.reference)}


def render(kind: str, document: ReminderDocument) -> bytes:
    """The reminder's PDF or Finvoice (never inside a transaction: rendering takes its time)."""
    guard.refuse_inside_transaction(f"rendering the {kind} of reminder {document.data.number}")
    if kind == "pdf":
        from ..documents.pdf import render_invoice_pdf

        return render_invoice_pdf(document.data, {k: v for k, v in document.layout.items() if k != "email"})
    if kind in ("finvoice", "finvoice_soap"):
        from ..documents.finvoice import finvoice_xml
        from ..documents.finvoice_soap import finvoice_soap_frame

        data = document.data
        message_id, stamp = f"{data.number}-{data.id[:8]}", document.finalized_at.astimezone(UTC)
        xml = finvoice_xml(data, message_id=message_id, timestamp=stamp)
        return xml if kind == "finvoice" else finvoice_soap_frame(data, xml, message_id=message_id, timestamp=stamp)
    raise ValueError(f"a reminder has no {kind!r} document")


def stored(db: Database, kind: str, document: ReminderDocument) -> StoredDocument:
    """The document of a sent reminder, as stored: made and stored on its first need (the rendering outside any
    transaction; the one stored first wins), the same bytes after. A draft's is rendered, never stored: its
    number, date and amounts are not fixed until it is sent."""
    from .dunning import SENT

    if kind not in KINDS:
        raise ValueError(f"a reminder has no {kind!r} document")
    if document.status != SENT:
        content = render(kind, document)
        return StoredDocument(kind, MEDIA_TYPES[kind], content, hashlib.sha256(content).hexdigest(),
                              document.data.number)
    found = db.read(lambda session: _find(session, document.reminder_id, kind))
    if found is not None:
        return _plain(found, document.data.number)
    content = render(kind, document)
    return db.run(lambda session: _store(session, document, kind, content))


def _store(session: Session, document: ReminderDocument, kind: str, content: bytes) -> StoredDocument:
    digest = hashlib.sha256(content).hexdigest()
    session.execute(
        dialect_insert(session, table_of(ReminderFile))
        .values(id=uuid.uuid4(), tenant_id=document.tenant_id, reminder_id=document.reminder_id,
                invoice_id=document.invoice_id, kind=kind, media_type=MEDIA_TYPES[kind], content=content,
                sha256=digest, size=len(content), created_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["reminder_id", "kind"]))
    row = _find(session, document.reminder_id, kind)
    assert row is not None
    if row.sha256 != digest:  # another worker or reader stored it first, and our rendering came out different
        log.error("re-rendering %s of reminder %s gave other bytes than the stored ones (a bug)", kind,
                  document.reminder_id)
    return _plain(row, document.data.number)


def _find(session: Session, reminder_id: uuid.UUID, kind: str) -> ReminderFile | None:
    return session.scalars(select(ReminderFile).where(ReminderFile.reminder_id == reminder_id,
                                                      ReminderFile.kind == kind)).first()


def _plain(row: ReminderFile, number: str | None) -> StoredDocument:
    return StoredDocument(row.kind, row.media_type, row.content, row.sha256, number)
