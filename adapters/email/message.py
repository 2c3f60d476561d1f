"""The MIME message of one invoice delivery: who gets it, its headers, its text and its attachments."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from adapters.base import DeliveryContext, InvoiceData
from invoicing_plugin.domain.errors import DomainError

from .config import EmailConfig, checked_address
from .texts import EmailTexts

ATTACHMENT_STEMS = {"fi": "lasku", "sv": "faktura", "en": "invoice"}
# A credit note's PDF is named as what it is, so that nobody files it as a bill to pay.
CREDIT_NOTE_STEMS = {"fi": "hyvityslasku", "sv": "kreditnota", "en": "credit-note"}
REMINDER_STEMS = {"fi": "maksumuistutus", "sv": "betalningspaminnelse", "en": "payment-reminder"}
_ID_SAFE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]|\.(?!\.)){0,99}")
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class MessageError(ValueError):
    """The message cannot be made from this invoice (no recipient, no document); retrying cannot help."""


@dataclass(frozen=True)
class Outgoing:
    message: EmailMessage
    sender: str  # the envelope sender (MAIL FROM), where bounces go
    recipient: str  # the customer
    bcc: str | None  # the archive copy: an envelope recipient only, never a header
    message_id: str
    attachments: tuple[str, ...]  # file names


def recipient_of(invoice: InvoiceData) -> tuple[str, str | None]:
    """(address, display name): the buyer's billing address, else the ordering person's."""
    contact = invoice.contact
    for who, address, name in (("buyer", invoice.buyer.email, invoice.buyer.name),
                               ("contact person", contact.email if contact else None,
                                contact.name if contact else None)):
        if address and address.strip():
            checked = checked_address(address)
            if checked is None:
                # Not a fall-back to the contact: a typo in the billing address is for a person to fix,
                # or the invoice would quietly go to someone the customer did not name for invoices.
                raise MessageError(f"the {who}'s email address {address.strip()!r} is not valid")
            return checked, name
    raise MessageError("the buyer has no email address (and the contact person has none either)")


def message_id(delivery_id: str, domain: str) -> str:
    """The Message-ID of every attempt of one delivery, so that a re-sent message is the same message."""
    if _ID_SAFE.fullmatch(delivery_id):
        local = delivery_id
    else:  # a character a Message-ID cannot hold: a digest is just as stable
        local = hashlib.sha256(delivery_id.encode()).hexdigest()
    return f"<invoice.{local}@{domain}>"


def attachment_name(stem: str, number: str, extension: str) -> str:
    # Invoice numbers are digits today; a series prefix with a slash or a space must not make a path.
    return f"{stem}-{_FILENAME_UNSAFE.sub('-', number).strip('-') or 'document'}.{extension}"


def build_message(invoice: InvoiceData, context: DeliveryContext, config: EmailConfig,
                  texts: EmailTexts) -> Outgoing:
    recipient, recipient_name = recipient_of(invoice)
    documents = context.documents
    if documents is None:
        raise MessageError("the delivery has no documents to attach (the worker gave no PDF)")
    mid = message_id(context.delivery_id, config.from_domain)

    message = EmailMessage()
    message["Message-ID"] = mid
    message["Date"] = formatdate(usegmt=True)
    sender_name = _one_line(config.from_name or invoice.seller.name)
    message["From"] = Address(sender_name, addr_spec=config.from_address)
    message["To"] = Address(_one_line(recipient_name or ""), addr_spec=recipient)
    reply_to = config.reply_to or checked_address(invoice.seller.email)
    if reply_to and reply_to != config.from_address:
        # A shared sending address (noreply@...) must not swallow the customer's questions about the
        # invoice: without a reply_to setting, answers go to the seller's own address on the invoice.
        message["Reply-To"] = reply_to
    message["Subject"] = texts.subject
    # Quoted-printable keeps the message 7-bit, so that no relay on the way needs 8BITMIME.
    message.set_content(texts.body, cte="quoted-printable")
    message["Content-Language"] = texts.language  # after set_content, which clears Content-* headers

    stems = {"credit_note": CREDIT_NOTE_STEMS, "reminder": REMINDER_STEMS}.get(invoice.kind, ATTACHMENT_STEMS)
    stem = stems[texts.language]
    names = [attachment_name(stem, invoice.number, "pdf")]
    message.add_attachment(_document(documents, "pdf"), maintype="application", subtype="pdf",
                           filename=names[0])
    if config.attach_finvoice:
        names.append(attachment_name("finvoice", invoice.number, "xml"))
        message.add_attachment(_document(documents, "finvoice"), maintype="application", subtype="xml",
                               filename=names[1])
    return Outgoing(message, config.from_address, recipient, config.bcc, mid, tuple(names))


def _document(documents: Callable[[str], bytes], kind: str) -> bytes:
    try:
        content = documents(kind)
    except (DomainError, ValueError, LookupError) as error:  # e.g. Finvoice needs the seller's IBAN
        raise MessageError(f"the {kind} document could not be made: {error}") from None
    if not content:
        raise MessageError(f"the {kind} document is empty")
    return content


def _one_line(text: str) -> str:
    return " ".join(text.split())
