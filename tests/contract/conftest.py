"""Fixtures of the contract tests: a shop whose ids lead somewhere (an invoice, a draft, a delivery, an inbox event)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.conftest import Shop, order_payload
from webhooks.signing import signed_headers


@dataclass
class Stocked:
    shop: Shop
    ids: dict[str, object]
    secret: str


@pytest.fixture
def stocked(client, shop, memory_channel) -> Stocked:
    """The shop after a day of business, made through the API itself."""
    admin = shop.auth("admin")
    assert client.put("/api/v1/tenant/channels/memory", json={"default": True, "settings": {"password": "right"}},
                      headers=admin).status_code == 200
    secret = client.post("/api/v1/tenant/inbound-webhooks/ropo24", headers=admin).json["secret"]
    created = client.post("/api/v1/orders", json=order_payload("ST-1"), headers=shop.auth()).json
    queued = client.post("/api/v1/orders", json=order_payload("ST-2", invoicing={"mode": "queue"}),
                         headers=shop.auth()).json
    callback = json.dumps({"messages": [{
        "id": "m-1", "event": "payment", "jobid": 1, "billnum": "99", "billcode": "9999", "status": 9,
        "statustext": "Paid", "date": "2026-11-20", "created_at": "2026-11-20T10:00:00+00:00",
        "paidamount": "1.00", "paydate": "2026-11-20"}]}).encode()
    answer = client.post(f"/webhooks/ropo24/{shop.slug}", data=callback,
                         headers={**signed_headers(secret, callback), "Content-Type": "application/json"})
    assert answer.json["unmatched"] == 1
    backoffice = shop.auth("backoffice")
    [event] = client.get("/api/v1/inbox", headers=backoffice).json["items"]
    [delivery] = client.get("/api/v1/deliveries", headers=backoffice).json["items"]
    from tests.integration.test_subscriptions import subscription_payload

    subscription = client.post("/api/v1/subscriptions", json=subscription_payload("ST-SUB"), headers=backoffice).json
    ids = {"order_id": created["order"]["id"], "invoice_id": created["invoice"]["id"], "event_id": event["id"],
           "delivery_id": delivery["id"], "draft_id": queued["invoice"]["id"], "subscription_id": subscription["id"]}
    return Stocked(shop, ids, secret)
