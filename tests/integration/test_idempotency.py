"""Idempotency-Key (DESIGN §8) and external-id retries: a retried checkout never makes a second invoice."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from invoicing_plugin.db import IdempotencyRecord, Invoice, NumberSeries, Order
from tests.conftest import order_payload


def count(session, model):
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def test_a_retry_with_the_same_key_replays_the_first_response_byte_for_byte(client, shop, session):
    headers = {**shop.auth(), "Idempotency-Key": "checkout-7f3a"}
    first = client.post("/api/v1/orders", json=order_payload(), headers=headers)
    retry = client.post("/api/v1/orders", json=order_payload(), headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.data == first.data
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count(session, Order) == 1 and count(session, Invoice) == 1


def test_key_order_and_white_space_do_not_make_another_request(client, shop):
    headers = {**shop.auth(), "Idempotency-Key": "k-1", "Content-Type": "application/json"}
    import json

    body = order_payload()
    first = client.post("/api/v1/orders", data=json.dumps(body), headers=headers)
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=4)
    retry = client.post("/api/v1/orders", data=reordered, headers=headers)
    assert retry.status_code == 201 and retry.data == first.data


def test_a_used_key_with_another_body_is_refused(client, shop, session):
    headers = {**shop.auth(), "Idempotency-Key": "checkout-7f3a"}
    client.post("/api/v1/orders", json=order_payload(), headers=headers)
    response = client.post("/api/v1/orders", json=order_payload("WS-other"), headers=headers)

    assert response.status_code == 422
    assert response.json["code"] == "idempotency_key_reused"
    assert count(session, Order) == 1


def test_a_rejected_request_does_not_use_up_its_key(client, shop):
    headers = {**shop.auth(), "Idempotency-Key": "fix-and-retry"}
    bad = order_payload()
    bad["customer"]["business_id"] = "2617416-5"
    assert client.post("/api/v1/orders", json=bad, headers=headers).status_code == 422
    assert client.post("/api/v1/orders", json=order_payload(), headers=headers).status_code == 201


def test_keys_are_scoped_to_their_tenant(client, shop, other_shop):
    key = {"Idempotency-Key": "same-key"}
    mine = client.post("/api/v1/orders", json=order_payload(), headers={**shop.auth(), **key})
    theirs = client.post("/api/v1/orders", json=order_payload(), headers={**other_shop.auth(), **key})

    assert mine.status_code == theirs.status_code == 201
    assert theirs.json["order"]["id"] != mine.json["order"]["id"]
    assert "Idempotent-Replayed" not in theirs.headers


def test_fifty_concurrent_retries_with_one_key_make_one_order_and_equal_responses(live_server, shop, session):
    headers = {**shop.auth(), "Idempotency-Key": "storm-1"}

    def send(_):
        import requests

        response = requests.post(f"{live_server}/api/v1/orders", json=order_payload(), headers=headers, timeout=60)
        return response.status_code, response.content

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(send, range(50)))

    assert {status for status, _ in results} == {201}
    assert len({body for _, body in results}) == 1
    assert count(session, Order) == 1 and count(session, Invoice) == 1
    assert count(session, IdempotencyRecord) == 1
    series = session.scalars(select(NumberSeries).where(NumberSeries.name == "default")).one()
    assert series.next_number == 2, "exactly one number was taken"


def test_concurrent_sends_of_one_external_id_without_a_key_make_one_order(live_server, shop, session):
    def send(_):
        import requests

        response = requests.post(f"{live_server}/api/v1/orders", json=order_payload(), headers=shop.auth(), timeout=60)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(send, range(20)))

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 19 + [201]
    assert len({body["invoice"]["number"] for _, body in results}) == 1
    assert count(session, Order) == 1 and count(session, Invoice) == 1


def test_concurrent_first_orders_of_a_new_customer_make_one_customer(live_server, shop, session):
    from invoicing_plugin.db import Customer

    def send(i):
        import requests

        return requests.post(f"{live_server}/api/v1/orders", json=order_payload(f"WS-{i}"),
                             headers=shop.auth(), timeout=60).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert set(pool.map(send, range(10))) == {201}
    assert count(session, Customer) == 1
    numbers = sorted(int(n) for n in session.scalars(select(Invoice.number)))
    assert numbers == list(range(1, 11))
