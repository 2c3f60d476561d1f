"""Subscriptions billed by invoice runs: each (item, service period) once, prorated exactly, with orders."""

import copy
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from invoicing_plugin.db import Invoice, SubscriptionCharge
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services import run_schedules
from invoicing_plugin.services.unit_of_work import Database
from invoicing_plugin.worker import Worker
from tests.integration.test_run_schedules import collect, monthly, work
from tests.integration.test_subscriptions import CALLS, COFFEE_SERVICE, create
from tests.integration.test_usage_records import batch, usage_item

# Persons: one customer each, found again by name and email.
CUSTOMER_B = {"type": "person", "name": "Asiakas", "email": "asiakas@example.fi"}


def invoices_with_lines(session):
    session.rollback()
    invoices = session.scalars(select(Invoice).where(Invoice.kind == "invoice").order_by(Invoice.tax_date)).all()
    return [(invoice, sorted(invoice.lines, key=lambda line: line.position)) for invoice in invoices]


def run_over(client, shop, app, period_from, period_to, **body):
    response = client.post("/api/v1/invoice-runs", json={"period_from": period_from, "period_to": period_to,
                                                         **body}, headers=shop.auth("backoffice"))
    assert response.status_code == 201, response.json
    work(app, "manual")
    return client.get(f"/api/v1/invoice-runs/{response.json['id']}", headers=shop.auth("backoffice")).json


def test_a_prorated_monthly_subscription_is_billed_once_a_month_by_scheduled_runs(app, client, shop, session):
    """Started 2026-01-15, billed in arrears by monthly runs with two workers and a restart, cancelled 2026-06-20."""
    monthly(client, shop, finalize=True)
    subscription = create(client, shop, items=[dict(COFFEE_SERVICE)])
    db = Database(plugin_state(app).session_factory)
    for year, month in [(2026, m) for m in range(2, 13)] + [(2027, 1)]:
        if (year, month) == (2026, 6):
            cancelled = client.post(f"/api/v1/subscriptions/{subscription['id']}/cancel",
                                    json={"at": "date", "on": "2026-06-20"}, headers=shop.auth("backoffice"))
            assert cancelled.status_code == 200, cancelled.json
        now = datetime(year, month, 1, 7, tzinfo=UTC)
        with ThreadPoolExecutor(2) as pool:  # two workers look at the schedules at the same moment
            list(pool.map(lambda _, at=now: run_schedules.start_due(db, now=at), range(2)))
        if month == 4:
            work(app, "doomed", batches=1)  # a worker takes the run, does one batch and dies
            time.sleep(1.1)  # its lease ends; the others take over
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda name: work(app, name), ["worker-a", "worker-b"]))

    billed = invoices_with_lines(session)
    assert [invoice.status for invoice, _ in billed] == ["finalized"] * 6, "January to June, each once"
    assert [len(lines) for _, lines in billed] == [1] * 6
    nets = [lines[0].net_amount for _, lines in billed]
    # 49.90 x 17/31 = 27.3645... -> 27.36; June 1-20: 49.90 x 20/30 = 33.266... -> 33.27
    assert nets == [Decimal("27.36")] + [Decimal("49.90")] * 4 + [Decimal("33.27")]
    assert billed[0][1][0].description == (
        "Office coffee service (2026-01-15 – 2026-01-31), 1 × 49.90, 17/31 of the period")
    assert billed[1][1][0].description == "Office coffee service (2026-02-01 – 2026-02-28)"
    assert billed[5][1][0].description.startswith("Office coffee service (2026-06-01 – 2026-06-20)")
    assert [invoice.tax_date.isoformat() for invoice, _ in billed] == [
        "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-20"]
    charges = session.scalars(select(SubscriptionCharge)).all()
    assert len(charges) == 6 and len({charge.period_start for charge in charges}) == 6
    after = client.get(f"/api/v1/subscriptions/{subscription['id']}", headers=shop.auth("backoffice")).json
    assert after["next_bill_on"] is None and after["status"] == "cancelled"


def test_a_customers_orders_and_subscription_make_one_invoice_and_a_released_period_is_billed_again(
        app, client, shop, session):
    office = shop.auth("backoffice")
    create(client, shop, items=[dict(COFFEE_SERVICE), {**COFFEE_SERVICE, "description": "Setup",
                                                       "billing_type": "one_time", "unit_price": "100"}])
    collect(client, shop, "F-1", datetime(2026, 2, 10).date())
    done = run_over(client, shop, app, "2026-02-01", "2026-02-28")
    assert done["progress"]["invoices_made"] == 1 and done["status"] == "completed"
    [(invoice, lines)] = invoices_with_lines(session)
    assert sorted(line.description for line in lines) == [
        "Coffee beans 1 kg",
        "Office coffee service (2026-01-15 – 2026-01-31), 1 × 49.90, 17/31 of the period",
        "Office coffee service (2026-02-01 – 2026-02-28)",
        "Setup (2026-01-15 – 2026-01-31)",
    ]
    assert invoice.tax_date.isoformat() == "2026-02-28"
    assert run_over(client, shop, app, "2026-02-01", "2026-02-28")["progress"]["invoices_made"] == 0

    finalized = client.post(f"/api/v1/invoice-runs/{done['id']}/finalize", headers=office)
    assert finalized.status_code == 200, finalized.json
    cancel = client.post(f"/api/v1/invoices/{invoice.id}/cancel", json={"release_orders": True,
                                                                        "reason": "wrong address"}, headers=office)
    assert cancel.status_code in (200, 201), cancel.json
    again = run_over(client, shop, app, "2026-03-01", "2026-03-31")
    assert again["progress"]["invoices_made"] == 1
    newest = invoices_with_lines(session)[-1][1]
    descriptions = sorted(line.description for line in newest)
    assert descriptions.count("Setup (2026-01-15 – 2026-01-31)") == 1, "the released one-time item, once"
    assert "Office coffee service (2026-03-01 – 2026-03-31)" in descriptions
    # The released subscription periods wait from their billing day on, so the next run bills them; the
    # released order (delivered 2026-02-10) waits for a run over its own period, as orders always do.
    assert len(descriptions) == 4 and "Coffee beans 1 kg" not in descriptions


def test_usage_is_billed_by_its_tiers_and_late_usage_goes_to_the_next_invoice_with_its_period(
        app, client, shop, session):
    office = shop.auth("backoffice")
    subscription = create(client, shop, items=[copy.deepcopy(CALLS)], start_date="2026-02-01")
    item = usage_item(subscription)
    client.post("/api/v1/usage-records", json=batch(item, 15, "feb", "10", "2026-02-10"), headers=shop.auth())
    done = run_over(client, shop, app, "2026-02-01", "2026-02-28", finalize=True)
    assert done["progress"]["invoices_made"] == 1
    [(_, lines)] = invoices_with_lines(session)
    assert [(line.description, line.net_amount) for line in lines] == [
        ("Espresso shots (2026-02-01 – 2026-02-28), units 0–100 included", Decimal("0.00")),
        ("Espresso shots (2026-02-01 – 2026-02-28), units 100–150 at 0.20", Decimal("10.00"))]

    late = client.post("/api/v1/usage-records", json=batch(item, 1, "late", "500", "2026-02-20"), headers=shop.auth())
    assert late.json["recorded"] == 1
    client.post("/api/v1/usage-records", json=batch(item, 1, "mar", "5", "2026-03-03"), headers=shop.auth())
    run_over(client, shop, app, "2026-03-01", "2026-03-31")
    march = invoices_with_lines(session)[-1][1]
    assert [(line.description, line.quantity, line.net_amount) for line in march] == [
        ("Espresso shots (2026-03-01 – 2026-03-31), units 0–5 included", Decimal(5), Decimal("0.00")),
        # Tier 1 is 500 units after the 100 included: the late 500 go on from unit 150 of February.
        ("Espresso shots (2026-02-01 – 2026-02-28), recorded late, units 150–600 at 0.20", Decimal(450),
         Decimal("90.00")),
        ("Espresso shots (2026-02-01 – 2026-02-28), recorded late, units 600–650 at 0.10", Decimal(50),
         Decimal("5.00"))]
    usage = client.get(f"/api/v1/subscriptions/{subscription['id']}/usage?from=2026-02-01&to=2026-02-28",
                       headers=office).json["items"][0]
    assert usage["quantity"] == "650"


def test_an_open_draft_takes_in_late_usage_and_a_finalised_one_leaves_it_to_the_next_invoice(
        app, client, shop, session):
    office = shop.auth("backoffice")
    subscription = create(client, shop, items=[copy.deepcopy(CALLS)], start_date="2026-02-01")
    item = usage_item(subscription)
    client.post("/api/v1/usage-records", json=batch(item, 15, "feb", "10", "2026-02-10"), headers=shop.auth())
    done = run_over(client, shop, app, "2026-02-01", "2026-02-28")
    [draft] = done["invoices"]
    before = client.get(f"/api/v1/invoices/{draft['id']}", headers=office).json
    assert before["total_net"] == "10.00" and before["version"] == 1

    client.post("/api/v1/usage-records", json=batch(item, 3, "more", "10", "2026-02-20"), headers=shop.auth())
    assert client.get(f"/api/v1/invoices/{draft['id']}", headers=office).json["version"] == 1, "not in the request"
    worker = Worker(plugin_state(app).session_factory, name="drafts")
    assert worker.refresh_usage_drafts() == 1
    assert worker.refresh_usage_drafts() == 0, "each record once"
    after = client.get(f"/api/v1/invoices/{draft['id']}", headers=office).json
    assert after["version"] == 2 and after["updated_at"] > before["updated_at"]
    assert after["total_net"] == "16.00" and after["lines"][-1]["description"] == (
        "Espresso shots (2026-02-01 – 2026-02-28), units 150–180 at 0.20")

    assert client.post(f"/api/v1/invoice-runs/{done['id']}/finalize", headers=office).status_code == 200
    client.post("/api/v1/usage-records", json=batch(item, 1, "later", "20", "2026-02-25"), headers=shop.auth())
    assert worker.refresh_usage_drafts() == 0, "a finalised invoice is never changed"
    march = run_over(client, shop, app, "2026-03-01", "2026-03-31")
    lines = client.get(f"/api/v1/invoices/{march['invoices'][0]['id']}", headers=office).json["lines"]
    assert [line["description"] for line in lines] == [
        "Espresso shots (2026-02-01 – 2026-02-28), recorded late, units 180–200 at 0.20"]


def test_a_yearly_price_billed_monthly_quarterly_and_yearly_totals_the_same_to_the_cent(app, client, shop, session):
    for period in ("monthly", "quarterly", "yearly"):
        create(client, shop, external_id=f"LIC-{period}", start_date="2026-01-01", billing_period=period, items=[{
            "description": f"Licence {period}", "billing_type": "recurring", "unit_price": "100.00",
            "price_months": 12, "vat_rate": "25.5"}])
    done = run_over(client, shop, app, "2026-01-01", "2026-12-31")
    assert done["progress"]["invoices_made"] == 1
    [(_, lines)] = invoices_with_lines(session)
    totals = {period: [line.net_amount for line in lines if line.description.startswith(f"Licence {period}")]
              for period in ("monthly", "quarterly", "yearly")}
    assert [len(amounts) for amounts in totals.values()] == [12, 4, 1]
    assert {period: sum(amounts) for period, amounts in totals.items()} == {
        "monthly": Decimal("100.00"), "quarterly": Decimal("100.00"), "yearly": Decimal("100.00")}
    assert totals["monthly"][:3] == [Decimal("8.33"), Decimal("8.34"), Decimal("8.33")]
    second = next(line for line in lines if line.description.startswith("Licence quarterly (2026-04-01"))
    assert second.description == (
        "Licence quarterly (2026-04-01 – 2026-06-30), 1 × 100.00 per 12 months, months 4–6")


def test_usage_recorded_late_for_an_ended_subscription_is_still_billed_once(app, client, shop, session):
    subscription = create(client, shop, items=[copy.deepcopy(CALLS)], start_date="2026-02-01")
    item = usage_item(subscription)
    client.post(f"/api/v1/subscriptions/{subscription['id']}/cancel", json={"at": "date", "on": "2026-02-28"},
                headers=shop.auth("backoffice"))
    client.post("/api/v1/usage-records", json=batch(item, 15, "feb", "10", "2026-02-10"), headers=shop.auth())
    run_over(client, shop, app, "2026-02-01", "2026-02-28", finalize=True)
    client.post("/api/v1/usage-records", json=batch(item, 2, "late", "25", "2026-02-27"), headers=shop.auth())
    client.post("/api/v1/usage-records", json=batch(item, 1, "zero", "0", "2026-02-27"), headers=shop.auth())
    march = run_over(client, shop, app, "2026-03-01", "2026-03-31")
    assert march["progress"]["invoices_made"] == 1 and march["status"] == "completed"
    [line] = invoices_with_lines(session)[-1][1]
    assert (line.description, line.net_amount) == (
        "Espresso shots (2026-02-01 – 2026-02-28), recorded late, units 150–200 at 0.20", Decimal("10.00"))
    assert invoices_with_lines(session)[-1][0].tax_date.isoformat() == "2026-02-28"
    assert run_over(client, shop, app, "2026-04-01", "2026-04-30")["progress"]["invoices_made"] == 0


def test_two_runs_over_one_period_at_once_bill_each_period_once(app, client, shop, session):
    from invoicing_plugin.db import Order

    office = shop.auth("backoffice")
    for number in range(12):
        create(client, shop, external_id=f"PAR-{number}", items=[dict(COFFEE_SERVICE)], start_date="2026-02-01",
               customer={**copy.deepcopy(CUSTOMER_B), "name": f"Asiakas {number}"})
    period = {"period_from": "2026-02-01", "period_to": "2026-02-28"}
    runs = [client.post("/api/v1/invoice-runs", json=period, headers=office).json for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda name: work(app, name), ["one", "two"]))
    session.rollback()
    orders = session.scalars(select(Order).where(Order.source == "subscription")).all()
    assert len(orders) == 12 and all(order.invoice_id is not None for order in orders)
    assert len(session.scalars(select(SubscriptionCharge)).all()) == 12
    made = [client.get(f"/api/v1/invoice-runs/{run['id']}", headers=office).json["progress"]["invoices_made"]
            for run in runs]
    assert sum(made) == 12


def test_billing_in_advance_bills_a_period_from_its_first_day(app, client, shop, session):
    create(client, shop, external_id="ADV", timing="advance", billing_period="quarterly",
           items=[{**COFFEE_SERVICE, "billing_type": "recurring"}])
    done = run_over(client, shop, app, "2026-01-01", "2026-01-31")
    assert done["progress"]["invoices_made"] == 1
    [(invoice, [line])] = invoices_with_lines(session)
    assert invoice.tax_date.isoformat() == "2026-01-15", "the period's first day is its delivery date"
    assert (line.description, line.net_amount) == ("Office coffee service (2026-01-15 – 2026-03-31)",
                                                   Decimal("49.90"))
    assert run_over(client, shop, app, "2026-02-01", "2026-03-31")["progress"]["invoices_made"] == 0
    april = run_over(client, shop, app, "2026-04-01", "2026-04-30")
    assert april["progress"]["invoices_made"] == 1
    assert invoices_with_lines(session)[-1][1][0].description == "Office coffee service (2026-04-01 – 2026-06-30)"


def test_a_run_filtered_to_subscriptions_bills_only_them(app, client, shop, session):
    wanted = create(client, shop, external_id="ONLY", items=[dict(COFFEE_SERVICE)], start_date="2026-02-01")
    create(client, shop, external_id="OTHER", items=[dict(COFFEE_SERVICE)], start_date="2026-02-01",
           customer={**CUSTOMER_B})
    collect(client, shop, "F-2", datetime(2026, 2, 10).date())
    done = run_over(client, shop, app, "2026-02-01", "2026-02-28", filters={"subscription_ids": [wanted["id"]]})
    assert done["progress"]["invoices_made"] == 1 and done["filters"] == {"subscription_ids": [wanted["id"]]}
    [(invoice, [line])] = invoices_with_lines(session)
    assert line.description == "Office coffee service (2026-02-01 – 2026-02-28)"
    orders = run_over(client, shop, app, "2026-02-01", "2026-02-28", filters={"source": "webshop"})
    assert orders["progress"]["orders_invoiced"] == 1, "the order, and not the other subscription"
    rest = run_over(client, shop, app, "2026-02-01", "2026-02-28")
    assert rest["progress"]["orders_invoiced"] == 1
