"""Usage records: once per transaction id under retries, refused with a reason when unbillable, summed per item."""

from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from invoicing_plugin.db import UsageRecord
from tests.integration.test_subscriptions import create


def usage_item(subscription):
    return next(item["id"] for item in subscription["items"] if item["billing_type"] == "usage")


def batch(item, count=3, prefix="tx", quantity="10", day="2026-02-10"):
    return {"records": [{"transaction_id": f"{prefix}-{i}", "subscription_item_id": item, "quantity": quantity,
                         "timestamp": f"{day}T12:00:00+02:00"} for i in range(count)]}


def test_a_batch_is_recorded_once_and_summed_per_item(client, shop):
    subscription = create(client, shop)
    item = usage_item(subscription)
    first = client.post("/api/v1/usage-records", json=batch(item), headers=shop.auth())
    assert first.status_code == 201, first.json
    assert first.json == {"recorded": 3, "duplicates": 0, "refused": []}
    again = client.post("/api/v1/usage-records", json=batch(item), headers=shop.auth("backoffice"))
    assert again.json == {"recorded": 0, "duplicates": 3, "refused": []}
    client.post("/api/v1/usage-records", json=batch(item, 1, "march", "2.5", "2026-03-01"), headers=shop.auth())

    base = f"/api/v1/subscriptions/{subscription['id']}/usage"
    office = shop.auth("backoffice")
    assert client.get(base, headers=office).json["items"] == [
        {"subscription_item_id": item, "description": "Espresso shots", "quantity": "32.5", "records": 4}]
    february = client.get(f"{base}?from=2026-02-01&to=2026-02-28", headers=office).json["items"][0]
    assert (february["quantity"], february["records"]) == ("30", 3)


def test_a_transaction_id_reused_with_another_quantity_is_a_conflict_and_nothing_is_written(client, shop, session):
    item = usage_item(create(client, shop))
    client.post("/api/v1/usage-records", json=batch(item, 1), headers=shop.auth())
    mixed = batch(item, 3, quantity="11")
    response = client.post("/api/v1/usage-records", json=mixed, headers=shop.auth())
    assert response.status_code == 409
    assert response.json["code"] == "usage_exists_with_other_content" and response.json["transaction_ids"] == ["tx-0"]
    assert session.scalar(select(func.count()).select_from(UsageRecord)) == 1
    twice = {"records": batch(item, 1, "dup")["records"] + batch(item, 1, "dup", quantity="3")["records"]}
    response = client.post("/api/v1/usage-records", json=twice, headers=shop.auth())
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "records[1].transaction_id"


def test_unbillable_records_are_refused_with_their_reason_and_the_rest_recorded(client, shop, other_shop):
    office = shop.auth("backoffice")
    subscription = create(client, shop)
    item, fixed = usage_item(subscription), subscription["items"][0]["id"]
    client.post(f"/api/v1/subscriptions/{subscription['id']}/cancel", json={"at": "date", "on": "2026-03-31"},
                headers=office)
    theirs = create(client, other_shop, external_id="THEIRS")
    records = [
        {"transaction_id": "ok", "subscription_item_id": item, "quantity": "1", "timestamp": "2026-03-31T20:59:00Z"},
        {"transaction_id": "early", "subscription_item_id": item, "quantity": "1",
         "timestamp": "2026-01-14T12:00:00Z"},
        {"transaction_id": "late", "subscription_item_id": item, "quantity": "1",
         "timestamp": "2026-03-31T21:00:00Z"},  # April 1st in Helsinki (EEST): after the last day of service
        {"transaction_id": "fixed", "subscription_item_id": fixed, "quantity": "1",
         "timestamp": "2026-02-01T12:00:00Z"},
        {"transaction_id": "theirs", "subscription_item_id": usage_item(theirs), "quantity": "1",
         "timestamp": "2026-02-01T12:00:00Z"},
    ]
    response = client.post("/api/v1/usage-records", json={"records": records}, headers=shop.auth())
    assert response.status_code == 201
    assert response.json["recorded"] == 1
    reasons = {refused["transaction_id"]: refused["reason"] for refused in response.json["refused"]}
    assert set(reasons) == {"early", "late", "fixed", "theirs"}
    assert "before the subscription starts" in reasons["early"]
    assert "was cancelled on 2026-03-31" in reasons["late"]
    assert "not by usage" in reasons["fixed"] and reasons["theirs"] == "no such subscription item"


def test_bad_batches_get_every_problem_at_once(client, shop):
    item = usage_item(create(client, shop))
    bad = {"records": [{"transaction_id": "", "subscription_item_id": item, "quantity": "-1",
                        "timestamp": "2026-02-01T12:00:00"}]}
    response = client.post("/api/v1/usage-records", json=bad, headers=shop.auth())
    assert response.status_code == 422
    assert {error["field"] for error in response.json["errors"]} == {
        "records[0].transaction_id", "records[0].quantity", "records[0].timestamp"}
    too_many = client.post("/api/v1/usage-records", json=batch(item, 1001), headers=shop.auth())
    assert too_many.status_code == 422 and too_many.json["errors"][0]["field"] == "records"


def test_fifty_concurrent_retries_of_one_batch_record_it_once(live_server, shop, session, client):
    subscription = create(client, shop)
    item = usage_item(subscription)
    body = batch(item, 20, "meter")

    def send(_):
        return requests.post(f"{live_server}/api/v1/usage-records", json=body, headers=shop.auth(), timeout=120)

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(send, range(50)))
    assert [response.status_code for response in responses] == [201] * 50
    assert sum(response.json()["recorded"] for response in responses) == 20
    assert all(response.json()["recorded"] + response.json()["duplicates"] == 20 for response in responses)
    assert session.scalar(select(func.count()).select_from(UsageRecord)) == 20
    usage = client.get(f"/api/v1/subscriptions/{subscription['id']}/usage", headers=shop.auth("backoffice")).json
    assert usage["items"][0]["quantity"] == "200"
