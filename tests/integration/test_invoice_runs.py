"""Invoice runs: orders left ready for invoicing become invoices per customer and period, each order once."""

from datetime import timedelta
from decimal import Decimal

import pytest

from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload

OTHER = {"type": "organisation", "name": "Toinen Asiakas Oy", "business_id": "2077474-0",
         "email": "laskut@toinen.fi", "address": {"street": "Kauppakatu 2", "postcode": "33100", "city": "Tampere",
                                                  "country": "FI"}}
PERSON = {"type": "person", "name": "Esimerkki Oy", "email": "esimerkki@example.fi",
          "address": {"street": "Kotikatu 1", "postcode": "00100", "city": "Helsinki", "country": "FI"}}


def collect(client, shop, external_id, day, **overrides):
    payload = order_payload(external_id, delivery_date=day.isoformat(), **overrides)
    payload["invoicing"] = {"mode": "collect", **overrides.pop("invoicing", {})}
    response = client.post("/api/v1/orders", json=payload, headers=shop.auth())
    assert response.status_code == 201, response.json
    return response.json["order"]


def worker(app, name="run-worker") -> Worker:
    return Worker(plugin_state(app).session_factory,
                  WorkerSettings(batch_size=10, lease=timedelta(seconds=30), poll_interval=0.01), name=name)


def run_to_end(app, client, shop, run, name="run-worker"):
    work = worker(app, name)
    for _ in range(200):
        if not work.run_once():
            break
    return client.get(f"/api/v1/invoice-runs/{run['id']}", headers=shop.auth("backoffice")).json


def start(client, shop, **body):
    response = client.post("/api/v1/invoice-runs", json=body, headers=shop.auth("backoffice"))
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def last_month(shop):
    today = shop.today()
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def test_a_run_invoices_the_periods_orders_per_customer_and_leaves_the_rest(app, client, shop, last_month):
    first, last = last_month
    collect(client, shop, "C-1", first)
    collect(client, shop, "C-2", first + timedelta(days=3), notes="Leave at the door")
    collect(client, shop, "C-3", last, customer=OTHER)
    later = collect(client, shop, "C-4", last + timedelta(days=1))

    run = start(client, shop, period_from=first.isoformat(), period_to=last.isoformat())
    assert run["status"] == "queued" and run["progress"]["invoices_made"] == 0
    done = run_to_end(app, client, shop, run)

    assert done["status"] == "completed"
    assert done["progress"]["orders_invoiced"] == 3 and done["progress"]["invoices_made"] == 2
    # One invoice of C-1 and C-2: VAT on the sum of their nets (99.60 x 13.5 % = 13.45), plus C-3's 56.52.
    assert done["totals"] == {"EUR": "169.57"}
    office = shop.auth("backoffice")
    invoices = [client.get(f"/api/v1/invoices/{item['id']}", headers=office).json for item in done["invoices"]]
    mine = next(invoice for invoice in invoices if invoice["buyer"]["name"] == "Esimerkki Oy")
    assert mine["status"] == "draft" and len(mine["lines"]) == 2 and len(mine["order_ids"]) == 2
    assert mine["invoice_date"] == shop.today().isoformat()
    assert "C-1 (" in mine["notes"] and "C-2 (" in mine["notes"] and "Leave at the door" in mine["notes"]
    assert client.get(f"/api/v1/orders/{later['id']}", headers=office).json["order"]["status"] == (
        "ready_for_invoicing")
    again = run_to_end(app, client, shop, start(client, shop, period_from=first.isoformat(),
                                                period_to=last.isoformat()))
    assert again["progress"]["invoices_made"] == 0, "nothing is invoiced twice"


def test_grouping_splits_by_currency_terms_and_reference_and_never_merges_a_person_with_a_company(
        app, client, shop, last_month):
    day, _ = last_month
    collect(client, shop, "G-1", day)
    collect(client, shop, "G-2", day)  # with G-1
    collect(client, shop, "G-3", day, currency="SEK", exchange_rate="11.2345")
    collect(client, shop, "G-4", day, invoicing={"payment_terms_days": 30})
    collect(client, shop, "G-5", day, buyer_reference="PO-999")
    collect(client, shop, "G-6", day, customer=PERSON)

    done = run_to_end(app, client, shop, start(client, shop, period_from=day.isoformat(),
                                               period_to=day.isoformat()))

    assert done["progress"]["invoices_made"] == 5
    # G-1 and G-2 on one invoice: 113.05 (VAT on the sum); G-4, G-5 and the person's G-6 alone: 3 x 56.52.
    assert done["totals"] == {"EUR": "282.61", "SEK": "56.52"}
    by_customer = client.get("/api/v1/customers?q=esimerkki", headers=shop.auth("backoffice")).json["items"]
    assert sorted(customer["type"] for customer in by_customer) == ["organisation", "person"]

    fewer = start(client, shop, period_from=day.isoformat(), period_to=day.isoformat(), group_by=["customer"])
    assert fewer["group_by"] == ["customer", "currency", "pricing"], "these three always separate invoices"


def test_net_and_gross_priced_orders_of_one_customer_are_separate_invoices(app, client, shop, last_month):
    day, _ = last_month
    collect(client, shop, "P-1", day)
    collect(client, shop, "P-2", day, prices_include_vat=True)
    done = run_to_end(app, client, shop, start(client, shop, period_from=day.isoformat(), period_to=day.isoformat(),
                                               group_by=["customer"]))
    assert done["progress"]["invoices_made"] == 2
    # Net: 49.80 + 13.5 % = 56.52; gross: the till's 49.80 exactly.
    assert sorted(invoice["total_gross"] for invoice in done["invoices"]) == ["49.80", "56.52"]


def test_one_invoice_per_order_when_asked(app, client, shop, last_month):
    day, _ = last_month
    for i in range(3):
        collect(client, shop, f"O-{i}", day)
    done = run_to_end(app, client, shop, start(client, shop, period_from=day.isoformat(), period_to=day.isoformat(),
                                               group_by=["order"]))
    assert done["progress"]["invoices_made"] == 3


def test_finalising_a_run_numbers_its_drafts_in_customer_order_without_gaps(app, client, shop, last_month):
    day, _ = last_month
    collect(client, shop, "F-1", day, customer=OTHER)
    collect(client, shop, "F-2", day)
    done = run_to_end(app, client, shop, start(client, shop, period_from=day.isoformat(), period_to=day.isoformat()))

    finalized = client.post(f"/api/v1/invoice-runs/{done['id']}/finalize", headers=shop.auth("backoffice"))

    assert finalized.status_code == 200, finalized.json
    numbered = sorted((invoice["number"], invoice["buyer_name"]) for invoice in finalized.json["invoices"])
    assert numbered == [("1", "Esimerkki Oy"), ("2", "Toinen Asiakas Oy")]
    assert all(invoice["status"] == "finalized" for invoice in finalized.json["invoices"])
    again = client.post(f"/api/v1/invoice-runs/{done['id']}/finalize", headers=shop.auth("backoffice"))
    assert sorted(invoice["number"] for invoice in again.json["invoices"]) == ["1", "2"]


def test_a_discarded_draft_leaves_its_orders_remaining_and_a_rerun_invoices_them_as_before(
        app, client, shop, last_month):
    first, last = last_month
    office = shop.auth("backoffice")
    collect(client, shop, "R-1", first)
    collect(client, shop, "R-2", first, customer=OTHER)
    earlier = (shop.today() - timedelta(days=1)).isoformat()
    done = run_to_end(app, client, shop, start(client, shop, period_from=first.isoformat(),
                                               period_to=last.isoformat(), invoice_date=earlier))
    theirs = next(invoice for invoice in done["invoices"] if invoice["buyer_name"] == "Toinen Asiakas Oy")
    client.post(f"/api/v1/invoices/{theirs['id']}/discard", json={"return_orders": True}, headers=office)

    remaining = client.get(f"/api/v1/invoice-runs/{done['id']}/remaining", headers=office).json["items"]
    assert [order["external_id"] for order in remaining] == ["R-2"]
    rerun = client.post(f"/api/v1/invoice-runs/{done['id']}/rerun",
                        json={"customer_ids": [remaining[0]["customer_id"]]}, headers=office)
    assert rerun.status_code == 200 and rerun.json["status"] == "queued"
    redone = run_to_end(app, client, shop, done)

    assert redone["status"] == "completed"
    fresh = [invoice for invoice in redone["invoices"] if invoice["status"] == "draft"]
    assert len(fresh) == 2 and all(invoice["invoice_date"] == earlier for invoice in fresh)
    assert client.get(f"/api/v1/invoice-runs/{done['id']}/remaining", headers=office).json["items"] == []
    newer = start(client, shop, period_from=first.isoformat(), period_to=last.isoformat())
    run_to_end(app, client, shop, newer)
    refused = client.post(f"/api/v1/invoice-runs/{done['id']}/rerun", headers=office)
    assert refused.status_code == 409 and "later run" in refused.json["detail"]


def test_an_order_that_cannot_be_invoiced_is_reported_and_the_rest_carry_on(app, client, shop, last_month):
    day, _ = last_month
    collect(client, shop, "V-1", day)
    broken = collect(client, shop, "V-2", day, customer=OTHER)
    # The 13.5 % rate is taken out of the table for the month: V-2's (and V-1's) lines no longer fit.
    rates = [{"rate": "25.5", "valid_from": "2024-09-01"}, {"rate": "10"}, {"rate": "0"}]
    assert client.put("/api/v1/tenant/vat-rates", json={"vat_rates": rates},
                      headers=shop.auth("admin")).status_code == 200
    done = run_to_end(app, client, shop, start(client, shop, period_from=day.isoformat(), period_to=day.isoformat()))

    assert done["status"] == "completed" and done["progress"]["invoices_made"] == 0
    failures = done["progress"]["failures"]
    assert {failure["external_id"] for failure in failures} == {"V-1", "V-2"}
    assert "13.5" in failures[0]["reason"]
    order = client.get(f"/api/v1/orders/{broken['id']}", headers=shop.auth("backoffice")).json["order"]
    assert order["status"] == "ready_for_invoicing"


def test_a_cancelled_run_makes_nothing_more(app, client, shop, last_month):
    day, _ = last_month
    collect(client, shop, "X-1", day)
    run = start(client, shop, period_from=day.isoformat(), period_to=day.isoformat())
    cancelled = client.post(f"/api/v1/invoice-runs/{run['id']}/cancel", headers=shop.auth("backoffice"))
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    done = run_to_end(app, client, shop, run)
    assert done["status"] == "cancelled" and done["invoices"] == []


def test_a_run_with_finalize_numbers_and_delivers_each_invoice_once(app, client, shop, last_month, memory_channel):
    client.put("/api/v1/tenant/channels/memory", json={"default": True, "settings": {"password": "right"}},
               headers=shop.auth("admin"))
    day, _ = last_month
    collect(client, shop, "D-1", day)
    collect(client, shop, "D-2", day, customer=OTHER)
    done = run_to_end(app, client, shop, start(client, shop, period_from=day.isoformat(), period_to=day.isoformat(),
                                               finalize=True))
    assert sorted(invoice["number"] for invoice in done["invoices"]) == ["1", "2"]
    run_to_end(app, client, shop, done)
    assert dict(memory_channel.sends) == {"1": 1, "2": 1}


def test_bad_runs_are_refused_with_every_problem(client, shop):
    today = shop.today()
    response = client.post("/api/v1/invoice-runs", json={
        "period_from": today.isoformat(), "period_to": (today - timedelta(days=1)).isoformat(),
        "invoice_date": (today + timedelta(days=1)).isoformat(), "group_by": ["colour"],
        "filters": {"planet": "mars"}}, headers=shop.auth("backoffice"))
    assert response.status_code == 422
    assert {error["field"] for error in response.json["errors"]} == {"filters.planet", "group_by[0]"}
    response = client.post("/api/v1/invoice-runs", json={
        "period_from": today.isoformat(), "period_to": (today - timedelta(days=1)).isoformat(),
        "invoice_date": (today + timedelta(days=1)).isoformat()}, headers=shop.auth("backoffice"))
    assert {error["field"] for error in response.json["errors"]} == {"period_to", "invoice_date"}
    assert client.get("/api/v1/invoice-runs", headers=shop.auth("backoffice")).json["items"] == []
    assert client.post("/api/v1/invoice-runs", json={"period_from": today.isoformat(), "period_to": today.isoformat()},
                       headers=shop.auth()).status_code == 403


def test_invoices_carry_the_orders_line_amounts_to_the_cent_per_rate(app, client, shop, last_month):
    """Line amounts (net, or gross for VAT-inclusive prices) are the orders' own; VAT is computed per rate
    on each invoice's sums (DESIGN §4), so it may differ by a cent from adding up per-order VAT."""
    day, _ = last_month
    lines = [{"description": "Beans", "quantity": "3", "unit_price": "7.33", "vat_rate": "13.5"},
             {"description": "Mug", "quantity": "1", "unit_price": "9.99", "vat_rate": "25.5", "discount_percent": "5"}]
    for i in range(6):
        collect(client, shop, f"S-{i}", day, lines=lines, prices_include_vat=bool(i % 2))
    done = run_to_end(app, client, shop, start(client, shop, period_from=day.isoformat(), period_to=day.isoformat()))
    assert done["progress"]["orders_invoiced"] == 6 and done["progress"]["invoices_made"] == 2
    office = shop.auth("backoffice")
    invoices = [client.get(f"/api/v1/invoices/{invoice['id']}", headers=office).json for invoice in done["invoices"]]
    by_pricing = {invoice["prices_include_vat"]: invoice for invoice in invoices}
    # 3 x 7.33 = 21.99 and 9.99 - 5 % = 9.49, three orders of each pricing.
    net = {group["vat_rate"]: group["taxable_amount"] for group in by_pricing[False]["vat_breakdown"]}
    gross = {group["vat_rate"]: group["gross_amount"] for group in by_pricing[True]["vat_breakdown"]}
    assert net == gross == {"13.5": "65.97", "25.5": "28.47"}
    total = sum(Decimal(invoice["total_gross"]) for invoice in invoices)
    assert str(total) == done["totals"]["EUR"]


def test_a_customers_many_orders_become_one_invoice_with_every_line_in_order(app, client, shop, last_month):
    """Enough lines in one batch to be written in bulk (COPY on PostgreSQL): each line the order's own."""
    first, _ = last_month
    lines = [{"description": "Beans", "quantity": "3", "unit_price": "7.33", "vat_rate": "13.5"},
             {"description": "Mug", "quantity": "1", "unit_price": "9.99", "vat_rate": "25.5", "discount_percent": "5"}]
    orders = [collect(client, shop, f"M-{i:02d}", first + timedelta(days=i), lines=lines) for i in range(26)]
    done = run_to_end(app, client, shop, start(client, shop, period_from=first.isoformat(),
                                               period_to=(first + timedelta(days=25)).isoformat()))
    assert done["progress"]["orders_invoiced"] == 26 and done["progress"]["invoices_made"] == 1

    office = shop.auth("backoffice")
    invoice = client.get(f"/api/v1/invoices/{done['invoices'][0]['id']}", headers=office).json
    assert [(line["description"], line["net_amount"]) for line in invoice["lines"]] == [
        ("Beans", "21.99"), ("Mug", "9.49")] * 26
    assert invoice["order_ids"] == [order["id"] for order in orders]
    # VAT per rate on the sums: 571.74 x 13.5 % = 77.18 and 246.74 x 25.5 % = 62.92.
    assert invoice["total_net"] == "818.48" and invoice["total_vat"] == "140.10"
    assert done["totals"] == {"EUR": "958.58"}

    finalized = client.post(f"/api/v1/invoice-runs/{done['id']}/finalize", headers=office).json
    assert [item["number"] for item in finalized["invoices"]] == ["1"]
    assert {client.get(f"/api/v1/orders/{order['id']}", headers=office).json["order"]["status"]
            for order in orders} == {"invoiced"}
