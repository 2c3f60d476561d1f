"""Netvisor accounting channel: signed XML client, invoice mapping, and a sandbox that speaks the protocol."""

from .adapter import NetvisorChannel, netvisor_channel
from .client import NetvisorClient, SalesInvoiceSummary, SalesPayment
from .config import DEFAULT_HOST, DEFAULT_VAT_CODES, NetvisorConfig

__all__ = [
    "DEFAULT_HOST", "DEFAULT_VAT_CODES", "NetvisorChannel", "NetvisorClient", "NetvisorConfig",
    "SalesInvoiceSummary", "SalesPayment", "netvisor_channel",
]
