"""Reminders for late invoices: 60 days of a late B2B invoice day by day, with three levels (the run's clock
injected for each day), read through the API.

The example order is 2 × 24.90 coffee at 13.5 % VAT: 56.52 gross, due 14 days after the invoice date. The
levels: 7 days after the due date (5.00 fee), 14 days after that (10.00 fee and interest), 14 days after that
(12.00 fee, interest, and the 40 € compensation, which the fees already charged are deducted from).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from invoicing_plugin.db import Invoice
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services import dunning
from invoicing_plugin.services.actors import system_actor
from invoicing_plugin.services.unit_of_work import Database
from tests.conftest import order_payload

GROSS = Decimal("56.52")
CENT = Decimal("0.01")
# Every half-year a different rate, so a reminder across 1 January or 1 July counts each at its own rate
# (whatever year the machine's clock says it is).
RATES = {date(year, month, 1): Decimal(f"{(year * 2 + month) % 7}.5")
         for year in range(2024, 2041) for month in (1, 7)}
LEVELS = [
    {"days": 7, "fee": "5.00"},
    {"days": 14, "fee": "10.00", "interest": True},
    {"days": 14, "fee": "12.00", "interest": True, "compensation": True},
]


def set_up_dunning(client, shop, *, auto_send=True, levels=None):
    saved = client.put("/api/v1/tenant/dunning", json={
        "auto_send": auto_send, "levels": levels or LEVELS,
        "reference_rates": [{"valid_from": day.isoformat(), "rate": str(rate)} for day, rate in RATES.items()]},
        headers=shop.auth("admin"))
    assert saved.status_code == 200, saved.json
    return saved.json


def sell(client, shop, external_id="WS-1", **overrides):
    created = client.post("/api/v1/orders", json=order_payload(external_id, **overrides), headers=shop.auth())
    assert created.status_code == 201, created.json
    return created.json["invoice"]


def dun(client, shop, day: date) -> dict:
    """The tenant's dunning run on `day`, its clock injected at noon of that day there (never the machine's);
    what it made, as the API shows each reminder."""
    db = Database(plugin_state(client.application).session_factory)
    now = datetime.combine(day, time(12), tzinfo=ZoneInfo(shop.timezone))
    run = dunning.run_dunning(db, system_actor(shop.tenant_id, "test"), dunning.RunDunning(), now=now)
    office = shop.auth("backoffice")
    return {"created": len(run.created), "sent": run.sent, "skipped_in_collection": run.skipped_in_collection,
            "reminders": [client.get(f"/api/v1/reminders/{r.id}", headers=office).json for r in run.created]}


def interest_oracle(principal: Decimal, first: date, last: date, business: bool = True) -> Decimal:
    """Day by day: each day's interest at its half-year's reference rate + 8 (or 7) points, over 365."""
    total, day = Decimal(0), first
    while day <= last:
        half = date(day.year, 1 if day.month <= 6 else 7, 1)
        total += principal * (RATES[half] + (8 if business else 7)) / 100 / 365
        day += timedelta(days=1)
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def test_sixty_days_of_a_late_invoice_bring_three_reminders_on_their_days_with_fees_and_interest(client, shop):
    set_up_dunning(client, shop)
    invoice = sell(client, shop)
    issued = date.fromisoformat(invoice["invoice_date"])
    due = date.fromisoformat(invoice["due_date"])
    made = {}
    for offset in range(61):
        for reminder in dun(client, shop, issued + timedelta(days=offset))["reminders"]:
            made[issued + timedelta(days=offset)] = reminder
    assert sorted(made) == [due + timedelta(days=7), due + timedelta(days=21), due + timedelta(days=35)]
    first, second, third = (made[day] for day in sorted(made))
    assert [r["level"] for r in (first, second, third)] == [1, 2, 3]
    assert all(r["status"] == "sent" and r["invoice_id"] == invoice["id"] for r in (first, second, third))
    assert [r["number"] for r in (first, second, third)] == ["M1", "M2", "M3"], "their own gapless series"

    assert (first["fee"], first["interest"], first["compensation"]) == ("5.00", "0.00", "0.00")
    assert second["fee"] == "10.00"
    assert Decimal(second["interest"]) == interest_oracle(GROSS, due + timedelta(days=1), due + timedelta(days=21))
    assert second["interest_from"] == (due + timedelta(days=1)).isoformat()
    # The third claims the 40 € less the 15 € of fees already charged; its own 12 € fee is within the 40 €.
    assert (third["fee"], third["compensation"]) == ("0.00", "25.00")
    assert Decimal(third["interest"]) == interest_oracle(GROSS, due + timedelta(days=22), due + timedelta(days=35))
    assert Decimal(third["total_due"]) == GROSS + 25 + Decimal(third["interest"])

    listed = client.get(f"/api/v1/reminders?invoice_id={invoice['id']}", headers=shop.auth("backoffice")).json
    assert len(listed["items"]) == 3


def test_a_payment_the_day_before_a_level_is_due_stops_the_reminders(client, shop):
    set_up_dunning(client, shop)
    invoice = sell(client, shop)
    due = date.fromisoformat(invoice["due_date"])
    for offset in range(1, 21):  # level 2 is due on day 21 after the due date: the payment comes on day 20
        dun(client, shop, due + timedelta(days=offset))
    paid = client.post(f"/api/v1/invoices/{invoice['id']}/payments", json={"amount": "56.52"},
                       headers=shop.auth("backoffice"))
    assert paid.status_code in (200, 201), paid.json
    later = [dun(client, shop, due + timedelta(days=offset)) for offset in range(21, 61)]
    assert all(run["created"] == 0 for run in later)
    reminders = client.get("/api/v1/reminders", headers=shop.auth("backoffice")).json["items"]
    assert [r["level"] for r in reminders] == [1]


def test_a_draft_approved_after_the_invoice_was_paid_is_cancelled_not_sent(client, shop):
    set_up_dunning(client, shop, auto_send=False)
    invoice = sell(client, shop)
    due = date.fromisoformat(invoice["due_date"])
    [draft] = dun(client, shop, due + timedelta(days=7))["reminders"]
    assert draft["status"] == "draft" and draft["number"] is None
    assert dun(client, shop, due + timedelta(days=30))["created"] == 0, "a waiting draft holds the next level"
    client.post(f"/api/v1/invoices/{invoice['id']}/payments", json={"amount": "56.52"}, headers=shop.auth("backoffice"))
    sent = client.post(f"/api/v1/reminders/{draft['id']}/send", headers=shop.auth("backoffice"))
    assert sent.status_code == 200, sent.json
    assert sent.json["status"] == "cancelled" and sent.json["number"] is None
    assert "paid" in sent.json["cancel_reason"]
    deliveries = client.get("/api/v1/deliveries", headers=shop.auth("backoffice")).json["items"]
    assert not [d for d in deliveries if d["channel"].startswith("reminder:")]


def test_an_approved_draft_is_numbered_and_put_in_the_outbox(client, shop):
    set_up_dunning(client, shop, auto_send=False)
    invoice = sell(client, shop)
    [draft] = dun(client, shop, date.fromisoformat(invoice["due_date"]) + timedelta(days=8))["reminders"]
    sent = client.post(f"/api/v1/reminders/{draft['id']}/send", headers=shop.auth("backoffice")).json
    assert (sent["status"], sent["number"]) == ("sent", "M1")
    again = client.post(f"/api/v1/reminders/{draft['id']}/send", headers=shop.auth("backoffice"))
    assert again.status_code == 409
    deliveries = client.get("/api/v1/deliveries", headers=shop.auth("backoffice")).json["items"]
    assert [d["channel"] for d in deliveries if d["channel"].startswith("reminder:")] == ["reminder:email"]


def test_an_invoice_handed_to_ropo24_is_never_reminded(client, shop):
    client.put("/api/v1/tenant/channels/ropo24", json={"default": False, "settings": {
        "base_url": "http://127.0.0.1:9/rest", "cid": "1", "apicode": "x"}}, headers=shop.auth("admin"))
    set_up_dunning(client, shop)
    payload = order_payload("WS-ROPO")
    payload["invoicing"] = {**payload["invoicing"], "channels": ["ropo24"]}
    created = client.post("/api/v1/orders", json=payload, headers=shop.auth())
    assert created.status_code == 201, created.json
    due = date.fromisoformat(created.json["invoice"]["due_date"])
    runs = [dun(client, shop, due + timedelta(days=offset)) for offset in (7, 21, 35, 60)]
    assert all(run["created"] == 0 and run["skipped_in_collection"] == 1 for run in runs)


def test_a_consumer_pays_at_most_5_euros_and_no_compensation(client, shop):
    set_up_dunning(client, shop, levels=[{"days": 7, "fee": "12.00", "compensation": True, "interest": True}])
    payload = order_payload("WS-P")
    payload["customer"] = {"type": "person", "name": "Maija Meikäläinen", "email": "maija@esimerkki.fi",
                           "language": "fi", "address": payload["customer"]["address"]}
    created = client.post("/api/v1/orders", json=payload, headers=shop.auth())
    assert created.status_code == 201, created.json
    due = date.fromisoformat(created.json["invoice"]["due_date"])
    [reminder] = dun(client, shop, due + timedelta(days=7))["reminders"]
    assert (reminder["fee"], reminder["compensation"]) == ("5.00", "0.00")
    assert Decimal(reminder["interest"]) == interest_oracle(GROSS, due + timedelta(days=1), due + timedelta(days=7),
                                                            business=False)


@pytest.mark.parametrize(("levels", "field"), [
    ([{"days": 7, "fee": "12.01"}], "levels[0].fee"),
    ([{"days": 7, "fee": "5.00"}, {"days": 9, "fee": "5.00"}], "levels[1].days"),
    ([{"days": 0}], "levels[0].days"),
    ([{"days": 7, "channels": ["fax"]}], "levels[0].channels[0]"),
    ([{"days": 7, "texts": {"fi": {"subject": "Muistutus {numero}"}}}], "levels[0].texts.fi.subject"),
])
def test_levels_the_law_does_not_allow_are_refused_with_the_field(client, shop, levels, field):
    refused = client.put("/api/v1/tenant/dunning", json={"levels": levels}, headers=shop.auth("admin"))
    assert refused.status_code == 422, refused.json
    assert field in [error["field"] for error in refused.json["errors"]]
    assert client.get("/api/v1/tenant/dunning", headers=shop.auth("admin")).json["levels"] == []


def test_another_merchant_sees_none_of_the_reminders(client, shop, other_shop):
    set_up_dunning(client, shop)
    invoice = sell(client, shop)
    [reminder] = dun(client, shop, date.fromisoformat(invoice["due_date"]) + timedelta(days=7))["reminders"]
    office = other_shop.auth("backoffice")
    assert client.get(f"/api/v1/reminders/{reminder['id']}", headers=office).status_code == 404
    assert client.post(f"/api/v1/reminders/{reminder['id']}/send", headers=office).status_code == 404
    assert client.get("/api/v1/reminders", headers=office).json["items"] == []


def test_two_workers_dunning_at_the_same_moment_make_each_reminder_once(app, client, shop):
    from concurrent.futures import ThreadPoolExecutor

    set_up_dunning(client, shop)
    invoices = [sell(client, shop, f"WS-{n}") for n in range(3)]
    due = date.fromisoformat(invoices[0]["due_date"])
    db = Database(plugin_state(app).session_factory)
    # Noon of the tenant's day a week after the due date; the worker's clock is injected, not the machine's.
    noon = datetime.combine(due + timedelta(days=7), time(12), tzinfo=ZoneInfo(shop.timezone))
    with ThreadPoolExecutor(2) as pool:
        ran = list(pool.map(lambda _: dunning.start_due(db, now=noon), range(2)))
    assert sorted(len(tenants) for tenants in ran) == [0, 1], "the day's dunning ran once, in one worker"
    assert dunning.start_due(db, now=noon + timedelta(hours=6)) == [], "not again that day"

    # Two runs by hand at once (past the day's claim): the second waits for the first and finds its reminders.
    actor = system_actor(shop.tenant_id, "test")
    later = noon + timedelta(days=14)
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: dunning.run_dunning(db, actor, dunning.RunDunning(), now=later), range(2)))
    assert sorted(len(run.created) for run in runs) == [0, 3]
    reminders = client.get("/api/v1/reminders?limit=200", headers=shop.auth("backoffice")).json["items"]
    assert sorted((r["invoice_id"], r["level"]) for r in reminders) == sorted(
        (invoice["id"], level) for invoice in invoices for level in (1, 2))
    numbers = sorted(int(r["number"][1:]) for r in reminders)
    assert numbers == list(range(1, 7)), "gapless, each number once"


def test_remind_from_the_terminal_makes_the_due_reminders_and_says_so(invoke, client, shop, session):
    code, lines = invoke("remind", "--tenant", shop.slug)
    assert code != 0 and "dunning is not set up" in lines[-1]
    set_up_dunning(client, shop, auto_send=False)
    invoice = sell(client, shop)
    # An invoice due a week ago (arranged in the database: its date is the tenant's today otherwise).
    today = shop.today()
    session.execute(update(Invoice).where(Invoice.id == uuid.UUID(invoice["id"])).values(
        invoice_date=today - timedelta(days=21), due_date=today - timedelta(days=7)))
    session.commit()
    code, lines = invoke("remind", "--tenant", shop.slug, "--date", (today + timedelta(days=1)).isoformat())
    assert code != 0 and "date: must not be after the merchant's today" in lines[-1]
    code, lines = invoke("remind", "--tenant", shop.slug, "--date", today.isoformat())
    assert code == 0, lines
    assert lines[0] == f"dunning of {today.isoformat()}: 1 reminders, 0 sent"
    assert "level 1" in lines[1] and "draft" in lines[1] and "claimed 5.00 EUR" in lines[1]
    code, lines = invoke("remind", "--tenant", shop.slug)
    assert lines[0] == f"dunning of {today.isoformat()}: 0 reminders, 0 sent", "nothing twice"


def test_a_run_by_hand_is_for_today_or_an_earlier_day_never_ahead(client, shop):
    office = shop.auth("backoffice")
    assert client.post("/api/v1/dunning-runs", json={}, headers=office).status_code == 409, "not set up yet"
    set_up_dunning(client, shop)
    ahead = (shop.today() + timedelta(days=1)).isoformat()
    refused = client.post("/api/v1/dunning-runs", json={"date": ahead}, headers=office)
    assert refused.status_code == 422 and [e["field"] for e in refused.json["errors"]] == ["date"]
    ran = client.post("/api/v1/dunning-runs", headers=office)
    assert ran.status_code == 201 and ran.json["date"] == shop.today().isoformat() and ran.json["created"] == 0


_examples = iter(range(1, 10**6))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(price=st.decimals(min_value=Decimal("0.50"), max_value=Decimal("20000"), places=2),
       quantity=st.integers(1, 40), terms=st.integers(0, 60), late=st.integers(0, 30))
def test_reminders_claim_to_the_cent_whatever_the_amount_and_the_dates(client, shop, price, quantity, terms, late):
    """Any amount and payment terms; the reminders on their days (and none the day before), each level's fee,
    the 40 € less the fees, and the interest counted day by day at each half-year's rate."""
    set_up_dunning(client, shop, levels=[
        {"days": 7 + late, "fee": "5.00"},
        {"days": 14, "fee": "10.00", "interest": True},
        {"days": 14, "fee": "12.00", "interest": True, "compensation": True}])
    line = {"description": "Palvelu", "quantity": str(quantity), "unit_price": str(price), "vat_rate": "25.5"}
    payload = order_payload(f"H-{next(_examples)}", lines=[line])
    payload["invoicing"] = {"mode": "immediate", "payment_terms_days": terms}
    created = client.post("/api/v1/orders", json=payload, headers=shop.auth())
    assert created.status_code == 201, created.json
    invoice = created.json["invoice"]
    gross, due = Decimal(invoice["total_gross"]), date.fromisoformat(invoice["due_date"])
    days = [due + timedelta(days=7 + late), due + timedelta(days=21 + late), due + timedelta(days=35 + late)]
    got = []
    for day in days:
        assert not [r for r in dun(client, shop, day - timedelta(days=1))["reminders"]
                    if r["invoice_id"] == invoice["id"]], "not a day early"
        [reminder] = [r for r in dun(client, shop, day)["reminders"] if r["invoice_id"] == invoice["id"]]
        got.append(reminder)
    first, second, third = got
    assert (first["fee"], first["interest"]) == ("5.00", "0.00")
    assert second["fee"] == "10.00"
    assert Decimal(second["interest"]) == interest_oracle(gross, due + timedelta(days=1), days[1])
    assert (third["fee"], third["compensation"]) == ("0.00", "25.00")
    assert Decimal(third["interest"]) == interest_oracle(gross, days[1] + timedelta(days=1), days[2])
    assert Decimal(third["total_due"]) == gross + Decimal("25.00") + Decimal(third["interest"])


def test_fees_and_interest_claimed_are_receivables_in_the_balance_statement_and_aging(client, shop):
    set_up_dunning(client, shop, levels=[{"days": 7, "fee": "5.00"}, {"days": 14, "fee": "7.50", "interest": True}])
    invoice = sell(client, shop)
    customer_id, due = invoice["customer_id"], date.fromisoformat(invoice["due_date"])
    office = shop.auth("backoffice")
    dun(client, shop, due + timedelta(days=7))
    [second] = dun(client, shop, due + timedelta(days=21))["reminders"]
    claimed = Decimal("12.50") + Decimal(second["interest"])

    [standing] = client.get(f"/api/v1/customers/{customer_id}", headers=office).json["balances"]
    assert Decimal(standing["balance"]) == GROSS + claimed
    assert Decimal(standing["open_amount"]) == GROSS + claimed

    as_of = (due + timedelta(days=21)).isoformat()
    statement = client.get(f"/api/v1/customers/{customer_id}/statement?from={invoice['invoice_date']}&to={as_of}",
                           headers=office).json
    reminders = [m for m in statement["movements"] if m["kind"] == "reminder"]
    assert [m["document"] for m in reminders] == ["M1", "M2"]
    assert Decimal(statement["closing_balance"]) == GROSS + claimed
    aging = client.get(f"/api/v1/reports/receivables-aging?as_of={as_of}", headers=office).json
    [row] = [r for r in aging["rows"] if r["customer"]["id"] == customer_id]
    assert Decimal(row["total"]) == GROSS + claimed and Decimal(row["unapplied_credit"]) == 0

    # Paying what the reminder asks, on the invoice's reference, settles the invoice and its claims alike.
    client.post(f"/api/v1/invoices/{invoice['id']}/payments", json={"amount": str(GROSS + claimed)}, headers=office)
    [standing] = client.get(f"/api/v1/customers/{customer_id}", headers=office).json["balances"]
    assert Decimal(standing["balance"]) == 0 and Decimal(standing["credit_available"]) == 0
    today = shop.today().isoformat()
    aging = client.get(f"/api/v1/reports/receivables-aging?as_of={max(today, as_of)}", headers=office).json
    assert not [r for r in aging["rows"] if r["customer"]["id"] == customer_id]


def test_each_dunning_run_is_remembered_with_its_summary_newest_first_and_per_tenant(client, shop, other_shop):
    set_up_dunning(client, shop, auto_send=False)
    invoice = sell(client, shop)
    due = date.fromisoformat(invoice["due_date"])
    assert dun(client, shop, due + timedelta(days=7))["created"] == 1
    assert dun(client, shop, due + timedelta(days=8))["created"] == 0  # level 2 is not due yet
    ran = client.post("/api/v1/dunning-runs", json={}, headers=shop.auth("backoffice"))
    assert ran.status_code == 201, ran.json

    listed = client.get("/api/v1/dunning-runs", headers=shop.auth("backoffice"))
    assert listed.status_code == 200
    runs = listed.json["items"]
    assert [(r["date"], r["created"], r["sent"], r["run_by"]) for r in runs[1:]] == [
        ((due + timedelta(days=8)).isoformat(), 0, 0, "test"), ((due + timedelta(days=7)).isoformat(), 1, 0, "test")]
    assert runs[0]["date"] == ran.json["date"] and runs[0]["created"] == ran.json["created"]
    assert runs[0]["run_by"] != "test"  # the API key's label
    assert client.get("/api/v1/dunning-runs", query_string={"limit": 1, "offset": 2},
                      headers=shop.auth("backoffice")).json["items"] == runs[2:]
    assert client.get("/api/v1/dunning-runs", headers=other_shop.auth("backoffice")).json["items"] == []
    assert client.get("/api/v1/dunning-runs", headers=shop.auth()).status_code == 403
