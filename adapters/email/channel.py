"""The email delivery channel: the invoice PDF (and, if configured, its Finvoice XML) to the buyer over SMTP.

SMTP cannot be asked afterwards whether a message arrived, so `lookup` always returns None. After an
unknown outcome (the connection broke after the message was sent but before the server's reply, or
the worker died mid-send) the worker therefore sends again. Every attempt of one delivery carries the
same Message-ID, derived from the delivery id: a mail store that keeps one message per Message-ID drops
the repeat, and anywhere else the customer sees one message twice, recognisably the same (same
Message-ID, number and PDF), never two different invoices. A deliberate "send again" by a person should
be a new delivery, with a new id and so a new Message-ID, or a mail store may drop it as that duplicate.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping

from adapters.base import AdapterError, DeliveryContext, DeliveryResult, InvoiceData

from .config import EmailConfig
from .message import MessageError, build_message
from .smtp import SmtpSender
from .texts import EmailTextError, email_texts


class EmailChannel:
    """Channel "email" (adapters.base.Channel): one message per delivery, to the buyer's email address."""

    name = "email"

    def __init__(self, config: EmailConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.sender = SmtpSender(config, ssl_context=ssl_context)
        # The documents every message attaches (context.documents): a worker may render them ahead.
        self.documents_needed = ("pdf", "finvoice") if config.attach_finvoice else ("pdf",)

    def deliver(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult:
        try:
            texts = email_texts(invoice, context.layout)
            outgoing = build_message(invoice, context, self.config, texts)
        except EmailTextError as error:
            raise AdapterError(str(error), retryable=False, code="email_text") from None
        except MessageError as error:
            raise AdapterError(str(error), retryable=False, code="not_sendable") from None
        sent = self.sender.send(outgoing)
        details = {"recipient": outgoing.recipient, "message_id": outgoing.message_id,
                   "attachments": ", ".join(outgoing.attachments)}
        if outgoing.bcc:
            details["bcc"] = outgoing.bcc
        if sent.refused:
            # The customer has the invoice; only the archive copy is missing. Not a reason to send again.
            details["bcc_refused"] = "; ".join(f"{address}: {reply}"
                                               for address, reply in sent.refused.items())
        return DeliveryResult(external_id=outgoing.message_id, response_excerpt=sent.reply, details=details)

    def lookup(self, invoice: InvoiceData, context: DeliveryContext) -> DeliveryResult | None:
        return None  # SMTP has no way to ask; see the module docstring for what a re-send means


def email_channel(settings: Mapping[str, object]) -> EmailChannel:
    """ChannelFactory: settings `host`, `from_address` (required), `port`, `security` (starttls, ssl,
    none), `username` and `password`, `from_name`, `reply_to`, `bcc`, `attach_finvoice`, `timeout`;
    ValueError names every problem (see EmailConfig.from_settings)."""
    return EmailChannel(EmailConfig.from_settings(settings))
