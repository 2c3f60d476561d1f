"""E-invoice operator channel: posts Finvoice 3.0 or Peppol UBL documents; a sandbox speaks its protocol."""

from .channel import EInvoiceChannel, einvoice_channel
from .config import EInvoiceConfig
from .protocol import FORMATS

__all__ = ["FORMATS", "EInvoiceChannel", "EInvoiceConfig", "einvoice_channel"]
