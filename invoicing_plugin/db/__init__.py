"""SQLAlchemy 2 models and the engine/session plumbing; schema changes go through Alembic."""

from . import guard
from .balances import Allocation, Refund
from .base import Base
from .console import ConsoleUser
from .deliveries import Delivery, DeliveryAttempt
from .documents import InvoiceDocument
from .dunning import DunningRunRecord, DunningSettings, ReferenceRate, Reminder, ReminderFile
from .external import AccessToken, ExchangeRate, ExternalRef, VatCheck
from .invoices import Invoice, InvoiceLine
from .payments import InboxEvent, InvoiceEvent, Payment, SyncCursor, WebhookEndpoint
from .records import AuditEvent, IdempotencyRecord
from .runs import InvoiceRun, RunSchedule
from .sales import Customer, Order, OrderLine
from .subscriptions import Subscription, SubscriptionCharge, SubscriptionItem, SubscriptionItemTerm, UsageRecord
from .tenants import ApiKey, NumberSeries, Tenant, VatRateRow

__all__ = [
    "guard",
    "DunningRunRecord", "DunningSettings", "ReferenceRate", "Reminder", "ReminderFile",
    "AccessToken", "ExchangeRate", "ExternalRef", "VatCheck",
    "Allocation", "ApiKey", "AuditEvent", "Base", "ConsoleUser", "Customer", "Delivery", "DeliveryAttempt",
    "IdempotencyRecord",
    "InboxEvent",
    "Invoice", "InvoiceDocument", "InvoiceEvent", "InvoiceLine", "InvoiceRun", "NumberSeries", "Order", "OrderLine",
    "Payment",
    "Refund", "RunSchedule", "SyncCursor", "Tenant", "VatRateRow", "WebhookEndpoint",
    "Subscription", "SubscriptionCharge", "SubscriptionItem", "SubscriptionItemTerm", "UsageRecord",
]
