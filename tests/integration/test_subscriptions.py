"""Subscriptions API: created once per external id, listed, changed from the next period, paused, cancelled."""

import copy

from invoicing_plugin.examples import CUSTOMER

COFFEE_SERVICE = {"description": "Office coffee service", "sku": "COF-SRV", "billing_type": "recurring_prorated",
                  "unit_price": "49.90", "vat_rate": "25.5"}
CALLS = {"description": "Espresso shots", "unit": "pcs", "billing_type": "usage", "unit_price": "0.20",
         "vat_rate": "25.5", "included_units": "100",
         "tiers": [{"up_to": "500", "unit_price": "0.20"}, {"unit_price": "0.10"}]}


def subscription_payload(external_id="SUB-1", **overrides):
    payload = {"external_id": external_id, "customer": copy.deepcopy(CUSTOMER), "buyer_reference": "PO-778",
               "start_date": "2026-01-15", "billing_period": "monthly", "timing": "arrears",
               "items": [dict(COFFEE_SERVICE), copy.deepcopy(CALLS)]}
    payload.update(overrides)
    return payload


def create(client, shop, **overrides):
    response = client.post("/api/v1/subscriptions", json=subscription_payload(**overrides),
                           headers=shop.auth("backoffice"))
    assert response.status_code == 201, response.json
    return response.json


def test_a_subscription_is_created_once_per_external_id(client, shop):
    office = shop.auth("backoffice")
    first = create(client, shop)
    assert first["status"] == "active" and first["period_months"] == 1
    assert first["next_period_start"] == "2026-01-15" and first["next_bill_on"] == "2026-01-31"
    assert [item["billing_type"] for item in first["items"]] == ["recurring_prorated", "usage"]
    assert first["items"][0]["unit_price"] == "49.90" and first["items"][1]["included_units"] == "100"

    again = client.post("/api/v1/subscriptions", json=subscription_payload(), headers=office)
    assert again.status_code == 200 and again.json["id"] == first["id"]
    other = client.post("/api/v1/subscriptions", json=subscription_payload(start_date="2026-02-01"), headers=office)
    assert other.status_code == 409 and other.json["code"] == "subscription_exists_with_other_content"

    assert client.get(f"/api/v1/subscriptions/{first['id']}", headers=office).json["external_id"] == "SUB-1"
    listed = client.get("/api/v1/subscriptions?status=active", headers=office).json["items"]
    assert [item["id"] for item in listed] == [first["id"]]
    assert client.get("/api/v1/subscriptions?status=cancelled", headers=office).json["items"] == []
    assert client.get(f"/api/v1/subscriptions?customer_id={first['customer_id']}",
                      headers=office).json["items"][0]["id"] == first["id"]


def test_bad_subscriptions_get_every_problem_at_once_and_nothing_is_stored(client, shop):
    office = shop.auth("backoffice")
    bad = subscription_payload(end_date="2026-01-01", timing="advance", items=[
        {**COFFEE_SERVICE, "vat_rate": "24", "unit_price": "-1"},
        {**CALLS, "tiers": [{"up_to": "500", "unit_price": "0.2"}, {"up_to": "100", "unit_price": "0.1"}]},
        {**COFFEE_SERVICE, "included_units": "5"}])
    response = client.post("/api/v1/subscriptions", json=bad, headers=office)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json["errors"]}
    assert {"items[0].unit_price", "items[1].tiers", "items[2].included_units"} <= fields
    good_shape = subscription_payload(end_date="2026-01-01", timing="advance",
                                      items=[{**COFFEE_SERVICE, "vat_rate": "24"}, copy.deepcopy(CALLS)])
    response = client.post("/api/v1/subscriptions", json=good_shape, headers=office)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json["errors"]}
    assert fields == {"end_date", "items[0].vat_rate", "items[1].billing_type"}
    assert client.get("/api/v1/subscriptions", headers=office).json["items"] == []
    assert client.post("/api/v1/subscriptions", json=subscription_payload(),
                       headers=shop.auth("checkout")).status_code == 403


def test_a_change_applies_from_the_next_service_period_and_keeps_the_history(client, shop):
    office = shop.auth("backoffice")
    subscription = create(client, shop)
    item = subscription["items"][0]["id"]
    response = client.patch(f"/api/v1/subscriptions/{subscription['id']}", headers=office, json={
        "effective_from": "2026-03-10", "items": [{"id": item, "unit_price": "59.90", "quantity": "2"}],
        "buyer_reference": "PO-900"})
    assert response.status_code == 200, response.json
    changed = response.json["items"][0]
    assert changed["history"] == [
        {"effective_from": "2026-01-15", "quantity": "1", "unit_price": "49.90"},
        {"effective_from": "2026-04-01", "quantity": "2", "unit_price": "59.90"}]
    assert response.json["buyer_reference"] == "PO-900"
    wrong = client.patch(f"/api/v1/subscriptions/{subscription['id']}", headers=office, json={
        "effective_from": "2026-03-10", "items": [{"id": subscription["id"], "unit_price": "1"},
                                                 {"id": subscription["items"][1]["id"], "quantity": "3"}]})
    assert wrong.status_code == 422
    assert {error["field"] for error in wrong.json["errors"]} == {"items[0].id", "items[1].quantity"}


def test_pause_resume_and_cancel_move_what_is_billed_next(client, shop):
    office = shop.auth("backoffice")
    subscription = create(client, shop)
    base = f"/api/v1/subscriptions/{subscription['id']}"
    paused = client.post(f"{base}/pause", json={"on": "2026-01-20"}, headers=office).json
    assert paused["status"] == "paused" and paused["next_bill_on"] == "2026-01-19"
    assert client.post(f"{base}/pause", json={"on": "2026-01-21"}, headers=office).status_code == 409
    resumed = client.post(f"{base}/resume", json={"on": "2026-01-10"}, headers=office)
    assert resumed.status_code == 422 and resumed.json["errors"][0]["field"] == "on"
    resumed = client.post(f"{base}/resume", json={"on": "2026-02-03"}, headers=office).json
    assert resumed["status"] == "active" and resumed["paused_from"] is None
    cancelled = client.post(f"{base}/cancel", json={"at": "period_end", "on": "2026-06-20"}, headers=office).json
    assert cancelled["status"] == "cancelled" and cancelled["end_date"] == "2026-06-30"
    again = client.post(f"{base}/cancel", json={"at": "date", "on": "2026-06-20"}, headers=office)
    assert again.status_code == 200 and again.json["end_date"] == "2026-06-30", "cancelling again changes nothing"
    assert client.patch(base, json={"effective_from": "2026-03-01", "buyer_reference": "x"},
                        headers=office).status_code == 409


def test_cancelling_on_a_date_ends_the_service_that_day(client, shop):
    office = shop.auth("backoffice")
    subscription = create(client, shop, external_id="SUB-2")
    done = client.post(f"/api/v1/subscriptions/{subscription['id']}/cancel", json={"at": "date", "on": "2026-06-20"},
                       headers=office).json
    assert done["end_date"] == "2026-06-20" and done["status"] == "cancelled"


def test_subscription_and_usage_events_go_to_the_shops_endpoints(client, shop, session):
    from sqlalchemy import select

    from invoicing_plugin.db import Delivery

    endpoint = client.post("/api/v1/webhook-endpoints", json={
        "url": "https://shop.example/hook", "event_types": [
            "subscription.created", "subscription.updated", "subscription.cancelled", "usage.recorded"]},
        headers=shop.auth("admin"))
    assert endpoint.status_code == 201, endpoint.json
    subscription = create(client, shop)
    base = f"/api/v1/subscriptions/{subscription['id']}"
    office = shop.auth("backoffice")
    client.patch(base, json={"effective_from": "2026-02-01", "buyer_reference": "PO-1"}, headers=office)
    item = subscription["items"][1]["id"]
    readings = {"records": [{"transaction_id": f"e-{i}", "subscription_item_id": item, "quantity": "2",
                             "timestamp": "2026-02-03T10:00:00Z"} for i in range(300)]}
    client.post("/api/v1/usage-records", json=readings, headers=shop.auth())
    client.post("/api/v1/usage-records", json=readings, headers=shop.auth())  # a retry: no new event
    client.post(f"{base}/cancel", json={"at": "period_end", "on": "2026-03-05"}, headers=office)

    events = [delivery.payload["event"] for delivery in session.scalars(
        select(Delivery).where(Delivery.channel == "webhook").order_by(Delivery.created_at))]
    assert [event["type"] for event in events] == [
        "subscription.created", "subscription.updated", "usage.recorded", "subscription.cancelled"]
    assert events[0]["data"]["subscription"]["external_id"] == "SUB-1"
    assert events[2]["data"]["usage"] == {"records": 300, "items": [{"subscription_item_id": item,
                                                                      "quantity": "600"}]}
    assert events[3]["data"]["subscription"]["end_date"] == "2026-03-31"


def test_cancelling_a_paused_subscription_ends_the_service_when_the_pause_began(client, shop):
    office = shop.auth("backoffice")
    subscription = create(client, shop, external_id="SUB-3")
    base = f"/api/v1/subscriptions/{subscription['id']}"
    client.post(f"{base}/pause", json={"on": "2026-03-10"}, headers=office)
    done = client.post(f"{base}/cancel", json={"at": "period_end", "on": "2026-05-05"}, headers=office).json
    assert done["end_date"] == "2026-03-09" and done["next_bill_on"] == "2026-01-31"


def test_concurrent_first_sends_of_one_subscription_make_one(live_server, shop, session):
    from concurrent.futures import ThreadPoolExecutor

    import requests
    from sqlalchemy import func, select

    from invoicing_plugin.db import Subscription

    def send(_):
        return requests.post(f"{live_server}/api/v1/subscriptions", json=subscription_payload("SUB-RACE"),
                             headers=shop.auth("backoffice"), timeout=60)

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(send, range(10)))
    assert sorted(response.status_code for response in responses) == [200] * 9 + [201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert session.scalar(select(func.count()).select_from(Subscription)) == 1
