"""How the response schemas write values: money with its currency's decimals, numbers without padding, and the
same JSON from the fast dump as from marshmallow's own loop, for the data of every kind of response."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from invoicing_plugin.api import deliveries, payments, tenant, webhook_config
from invoicing_plugin.api.presenters import invoice_summary, order_result
from invoicing_plugin.api.responses import dump
from invoicing_plugin.api.schemas.deliveries import DeliveryDetailSchema, DeliveryPageSchema
from invoicing_plugin.api.schemas.output import InvoiceLineSchema, InvoicePageSchema, OrderResultSchema, OutputSchema
from invoicing_plugin.api.schemas.payments import (
    InboxPageSchema,
    PaymentListSchema,
    PaymentSchema,
    WebhookEndpointListSchema,
)
from invoicing_plugin.api.schemas.tenants import ApiKeyListSchema, TenantSchema
from invoicing_plugin.db import Delivery, InboxEvent, Invoice, Order, Payment, Tenant, WebhookEndpoint
from invoicing_plugin.services import tenants

LINE = {"position": 1, "order_id": None, "sku": None, "description": "Kahvi", "unit": None, "vat_category": "S",
        "quantity": Decimal("2.000000"), "unit_price": Decimal("24.900000"), "discount_percent": Decimal("0.0000"),
        "vat_rate": Decimal("25.500"), "net_amount": Decimal("49.8"), "vat_amount": Decimal("12.6990"),
        "gross_amount": Decimal("62.4990")}


@pytest.mark.parametrize(("currency", "unit_price", "amounts"), [
    ("EUR", "24.90", ("49.80", "12.70", "62.50")),
    ("JPY", "24.9", ("50", "13", "62")),  # a price keeps its own decimals beyond the currency's
    ("KWD", "24.900", ("49.800", "12.699", "62.499")),
])
def test_money_has_exactly_the_currencys_decimals(currency, unit_price, amounts):
    written = InvoiceLineSchema().dump({**LINE, "currency": currency})
    assert (written["net_amount"], written["vat_amount"], written["gross_amount"]) == amounts
    assert (written["quantity"], written["unit_price"], written["vat_rate"], written["discount_percent"]) == (
        "2", unit_price, "25.5", "0")
    assert "currency" not in written  # it tells the fields how to write money; the line does not show it


def test_small_prices_keep_their_decimals_and_nulls_stay_null():
    written = InvoiceLineSchema().dump({**LINE, "currency": "EUR", "unit_price": Decimal("0.012500"),
                                        "order_id": uuid.UUID(int=7)})
    assert written["unit_price"] == "0.0125" and written["order_id"] == str(uuid.UUID(int=7))
    assert written["sku"] is None and written["unit"] is None
    payment = PaymentSchema().dump({"id": uuid.UUID(int=1), "amount": Decimal("1000.0000"), "currency": "JPY",
                                    "paid_on": date(2026, 11, 20), "source": "manual", "source_payment_id": "p",
                                    "reference": None, "note": None, "recorded_by": "cli",
                                    "recorded_at": datetime(2026, 11, 20, 10, 0, tzinfo=UTC)})
    assert (payment["amount"], payment["paid_on"], payment["recorded_at"]) == (
        "1000", "2026-11-20", "2026-11-20T10:00:00+00:00")


def _in_app(app, make):
    with app.app_context():  # the tenant's warnings name the API's prefix, a setting of the app
        return make()


def both_ways(monkeypatch, schema, data) -> tuple[dict, dict]:
    fast = dump(schema, data)
    with monkeypatch.context() as patched:
        patched.setattr(OutputSchema, "fast_dump", False)
        slow = dump(schema, data)
    return fast, slow


def test_the_fast_dump_writes_what_marshmallow_writes(app, client, stocked, session, monkeypatch):
    shop = stocked.shop
    webhook = client.post("/api/v1/webhook-endpoints", headers=shop.auth("admin"),
                          json={"url": "https://shop.example/hooks", "event_types": ["invoice.paid"]})
    assert webhook.status_code == 201
    assert client.post(f"/api/v1/invoices/{stocked.ids['invoice_id']}/payments", headers=shop.auth("backoffice"),
                       json={"amount": "10.00"}).status_code == 201
    row = session.get(Tenant, shop.tenant_id)
    invoices = session.scalars(select(Invoice)).all()
    cases = [
        (InvoicePageSchema, {"items": [invoice_summary(invoice) for invoice in invoices], "next_cursor": "x"}),
        (TenantSchema, _in_app(app, lambda: tenant.tenant_data(session, row))),
        (ApiKeyListSchema, {"items": [tenant._key_view(key) for key in tenants.list_api_keys(session, row.id)]}),
        (WebhookEndpointListSchema, {"items": [webhook_config.endpoint_view(e)
                                               for e in session.scalars(select(WebhookEndpoint))]}),
        (PaymentListSchema, {"currency": "EUR", "payment_status": "partially_paid", "paid_amount": Decimal("10"),
                             "total_gross": Decimal("56.52"),
                             "items": [payments.payment_view(p) for p in session.scalars(select(Payment))]}),
        (InboxPageSchema, {"items": [payments.inbox_view(e) for e in session.scalars(select(InboxEvent))]}),
        (DeliveryPageSchema, {"items": [deliveries.delivery_view(d) for d in session.scalars(select(Delivery))]}),
        (DeliveryDetailSchema, deliveries.delivery_detail(session, session.scalars(select(Delivery)).first())),
    ]
    for order in session.scalars(select(Order)):
        invoice = session.get(Invoice, order.invoice_id) if order.invoice_id else None
        cases.append((OrderResultSchema, order_result(order, invoice, [order.id])))
    for schema, data in cases:
        fast, slow = both_ways(monkeypatch, schema, data)
        assert fast == slow and list(fast) == list(slow), schema.__name__
