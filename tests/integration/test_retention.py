"""Retention: `invoicing purge` removes old delivered deliveries and handled inbox events, never vouchers."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from invoicing_plugin.cli import main
from invoicing_plugin.db import (
    AuditEvent,
    Delivery,
    DeliveryAttempt,
    InboxEvent,
    Invoice,
    InvoiceDocument,
    Payment,
)
from invoicing_plugin.db.engine import unit_of_work
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services import retention
from tests.conftest import order_payload

# A fixed "now", later than anything the machine writes: every row the API made is old by then.
NOW = datetime(2100, 1, 1, tzinfo=UTC)
OLD, RECENT = NOW - timedelta(days=400), NOW - timedelta(days=2)
VOUCHERS = (Invoice, Payment, AuditEvent, InvoiceDocument)


def count(session, model, *where) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def add_delivery(session, tenant_id, invoice_id, status, when, attempts=1) -> uuid.UUID:
    delivery = Delivery(tenant_id=tenant_id, invoice_id=invoice_id, channel="memory", status=status, attempts=attempts,
                        next_attempt_at=when, created_at=when, updated_at=when,
                        delivered_at=when if status == "delivered" else None)
    session.add(delivery)
    session.flush()
    for number in range(1, attempts + 1):
        session.add(DeliveryAttempt(tenant_id=tenant_id, delivery_id=delivery.id, attempt=number, worker="w",
                                    started_at=when, duration_ms=5, outcome="delivered", http_status=200))
    return delivery.id


def add_event(session, tenant_id, status, when) -> int:
    event = InboxEvent(tenant_id=tenant_id, provider="generic", event_id=f"evt-{uuid.uuid4()}",
                       event_type="payment.received", received_at=when, payload={}, status=status)
    session.add(event)
    session.flush()
    return event.id


@pytest.fixture
def history(app, client, shop, session):
    """An invoice with a payment, a stored document and an audit trail, and old and recent operational rows."""
    invoice = client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]
    paid = client.post(f"/api/v1/invoices/{invoice['id']}/payments", headers=shop.auth("backoffice"),
                       json={"amount": "10.00", "paid_on": "2026-11-20", "payment_id": "cash-1"})
    assert paid.status_code in (200, 201), paid.json
    assert client.get(f"/api/v1/invoices/{invoice['id']}/finvoice", headers=shop.auth("backoffice")).status_code == 200
    invoice_id = uuid.UUID(invoice["id"])
    with unit_of_work(session):
        rows = {
            "old delivered": add_delivery(session, shop.tenant_id, invoice_id, "delivered", OLD, attempts=2),
            "recent delivered": add_delivery(session, shop.tenant_id, invoice_id, "delivered", RECENT),
            "old dead": add_delivery(session, shop.tenant_id, invoice_id, "dead", OLD, attempts=3),
            "old pending": add_delivery(session, shop.tenant_id, invoice_id, "pending", OLD, attempts=0),
            "old failed": add_delivery(session, shop.tenant_id, invoice_id, "failed", OLD),
            "old processed": add_event(session, shop.tenant_id, "processed", OLD),
            "old ignored": add_event(session, shop.tenant_id, "ignored", OLD),
            "old unmatched": add_event(session, shop.tenant_id, "unmatched", OLD),
            "recent processed": add_event(session, shop.tenant_id, "processed", RECENT),
        }
    return rows


@pytest.mark.parametrize("batch_size", [500, 1])
def test_purge_removes_old_delivered_deliveries_and_handled_inbox_events_only(app, session, history, batch_size):
    vouchers = {model.__name__: count(session, model) for model in VOUCHERS}
    assert all(vouchers.values()), vouchers

    report = retention.purge(plugin_state(app).database, older_than=timedelta(days=90), now=NOW,
                             batch_size=batch_size)

    assert (report.deliveries, report.attempts, report.inbox_events) == (1, 2, 2)
    session.rollback()  # a fresh snapshot after the purge's own transactions
    remaining_deliveries = set(session.scalars(select(Delivery.id)))
    assert remaining_deliveries == {history[k] for k in ("recent delivered", "old dead", "old pending", "old failed")}
    assert count(session, DeliveryAttempt, DeliveryAttempt.delivery_id == history["old delivered"]) == 0
    assert count(session, DeliveryAttempt) == 1 + 3 + 1
    assert set(session.scalars(select(InboxEvent.id))) == {history["old unmatched"], history["recent processed"]}
    assert {model.__name__: count(session, model) for model in VOUCHERS} == vouchers


def test_a_second_purge_finds_nothing_and_a_longer_period_keeps_more(app, session, history):
    factory = plugin_state(app).database
    kept = retention.purge(factory, older_than=timedelta(days=500), now=NOW)
    assert (kept.deliveries, kept.inbox_events) == (0, 0)
    retention.purge(factory, older_than=timedelta(days=90), now=NOW)
    again = retention.purge(factory, older_than=timedelta(days=90), now=NOW)
    assert (again.deliveries, again.attempts, again.inbox_events) == (0, 0, 0)


def test_the_purge_command_says_what_it_removed_and_what_it_never_touches(database_url, monkeypatch, app, session,
                                                                         shop):
    monkeypatch.setenv("INVOICING_DATABASE_URL", database_url)
    with unit_of_work(session):
        ancient = add_delivery(session, shop.tenant_id, None, "delivered", datetime(2000, 1, 1, tzinfo=UTC))
        add_event(session, shop.tenant_id, "processed", datetime(2000, 1, 1, tzinfo=UTC))
    runner = CliRunner()

    help_text = " ".join(runner.invoke(main, ["purge", "--help"]).output.split())
    assert "Never purged: invoices, payments, audit events and stored documents" in help_text
    assert "6 years" in help_text

    result = runner.invoke(main, ["purge", "--older-than-days", "30"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "purged 1 delivered deliveries (1 attempts) and 1 processed or ignored inbox events older than 30 days" \
        in result.output
    assert count(session, Delivery, Delivery.id == ancient) == 0

    alias = runner.invoke(main, ["purge-idempotency-keys"], catch_exceptions=False)
    assert alias.exit_code == 0 and "purged 0 expired idempotency keys" in alias.output
    assert runner.invoke(main, ["purge", "--older-than-days", "0"]).exit_code == 2
