"""Money is stored exactly on both engines, and the schema is what the migrations make."""

from decimal import Decimal

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update
from sqlalchemy.exc import StatementError

from invoicing_plugin.db import AuditEvent, Invoice, InvoiceLine
from invoicing_plugin.db.migrate import alembic_config
from tests.conftest import order_payload

money = st.decimals(min_value=Decimal("-999999999999.9999"), max_value=Decimal("999999999999.9999"), places=4)
quantity = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=6)
price = st.decimals(min_value=Decimal("-1000000000"), max_value=Decimal("1000000000"), places=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(total=money, line_quantity=quantity, unit_price=price)
def test_amounts_quantities_and_prices_round_trip_exactly(client, shop, session, total, line_quantity, unit_price):
    invoice_id = _one_invoice(client, shop, session)
    session.execute(update(Invoice).where(Invoice.id == invoice_id).values(total_gross=total))
    session.execute(update(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)
                    .values(quantity=line_quantity, unit_price=unit_price))
    session.commit()
    session.expire_all()

    invoice = session.get(Invoice, invoice_id)
    assert invoice.total_gross == total and isinstance(invoice.total_gross, Decimal)
    assert invoice.lines[0].quantity == line_quantity
    assert invoice.lines[0].unit_price == unit_price


_invoices: dict = {}  # one invoice per test database, reused by the examples of a hypothesis test


def _one_invoice(client, shop, session):
    key = (str(session.get_bind().url), shop.tenant_id)
    if key not in _invoices:
        _invoices[key] = __import__("uuid").UUID(
            client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]["id"])
    return _invoices[key]


def test_a_float_never_reaches_a_money_column(client, shop, session):
    invoice_id = _one_invoice(client, shop, session)
    with pytest.raises(StatementError, match="Decimal"):
        session.execute(update(Invoice).where(Invoice.id == invoice_id).values(total_gross=12.4))
    session.rollback()
    with pytest.raises(StatementError, match="more than 4 decimals"):
        session.execute(update(Invoice).where(Invoice.id == invoice_id).values(total_gross=Decimal("1.00001")))
    session.rollback()


def test_the_migrated_schema_matches_the_models(database_url):
    command.check(alembic_config(database_url))


def test_the_audit_trail_is_append_only_in_the_database(client, shop, session):
    client.post("/api/v1/orders", json=order_payload(), headers=shop.auth())
    with pytest.raises(Exception, match="append-only"):
        session.execute(update(AuditEvent).values(actor="someone else"))
    session.rollback()
    with pytest.raises(Exception, match="append-only"):
        session.execute(text("DELETE FROM audit_events"))
    session.rollback()
