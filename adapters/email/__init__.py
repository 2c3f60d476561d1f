"""Email channel: the invoice PDF (and optionally its Finvoice) to the buyer over SMTP, in their language."""

from .channel import EmailChannel, email_channel
from .config import EmailConfig
from .texts import PLACEHOLDERS, TEXT_KEYS, check_email_texts, email_texts

__all__ = ["PLACEHOLDERS", "TEXT_KEYS", "EmailChannel", "EmailConfig", "check_email_texts", "email_channel",
           "email_texts"]
