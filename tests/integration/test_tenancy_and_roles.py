"""Tenants never see each other's data (every endpoint), and each key role may do only its part."""

import re

import pytest
from sqlalchemy import func, select

from invoicing_plugin.db import AuditEvent, Invoice
from invoicing_plugin.services import tenants
from invoicing_plugin.services.actors import cli_actor
from tests.conftest import order_payload
from tests.integration.test_subscriptions import subscription_payload


@pytest.fixture
def objects_of_a(client, shop, app):
    """Tenant A's objects: a finalised invoice with a (dead) delivery, a draft, an order, an API key."""
    from invoicing_plugin import channels
    from invoicing_plugin.plugin import plugin_state
    from invoicing_plugin.worker import Worker
    from tests.fakes import MemoryChannel, MemoryService

    service = MemoryService()
    service.fail_next(1, retryable=False)
    channels.register("memory", lambda settings: MemoryChannel(service, dict(settings)))
    client.put("/api/v1/tenant/channels/memory", json={"default": True, "settings": {"password": "right"}},
               headers=shop.auth("admin"))
    finalized = client.post("/api/v1/orders", json=order_payload("A-1"), headers=shop.auth()).json
    Worker(plugin_state(app).session_factory).run_once()
    draft = client.post("/api/v1/orders", json=order_payload("A-2", invoicing={"mode": "queue"}),
                        headers=shop.auth()).json
    keys = client.get("/api/v1/api-keys", headers=shop.auth("admin")).json["items"]
    deliveries = client.get("/api/v1/deliveries", headers=shop.auth("backoffice")).json["items"]
    endpoint = client.post("/api/v1/webhook-endpoints", json={"url": "https://shop.example/hook",
                                                              "event_types": ["invoice.paid"]},
                           headers=shop.auth("admin")).json
    import json as _json

    from webhooks.signing import signed_headers

    secret = client.post("/api/v1/tenant/inbound-webhooks/ropo24", headers=shop.auth("admin")).json["secret"]
    body = _json.dumps({"messages": [{"id": "m-x", "event": "payment", "billnum": "999", "paidamount": "1.00",
                                      "paydate": "2026-11-20", "date": "2026-11-20"}]}).encode()
    client.post(f"/webhooks/ropo24/{shop.slug}", data=body, headers=signed_headers(secret, body))
    [unmatched] = client.get("/api/v1/inbox", headers=shop.auth("backoffice")).json["items"]
    client.put("/api/v1/tenant/dunning", json={"levels": [{"days": 7, "fee": "5.00"}]}, headers=shop.auth("admin"))
    from datetime import date, datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from invoicing_plugin.services import dunning
    from invoicing_plugin.services.actors import system_actor
    from invoicing_plugin.services.unit_of_work import Database

    late = datetime.combine(date.fromisoformat(finalized["invoice"]["due_date"]) + timedelta(days=7), time(12),
                            tzinfo=ZoneInfo(shop.timezone))  # the run's clock, injected
    [reminder] = dunning.run_dunning(Database(plugin_state(app).session_factory), system_actor(shop.tenant_id),
                                     dunning.RunDunning(), now=late).created
    yield {
        "order_id": finalized["order"]["id"], "invoice_id": finalized["invoice"]["id"],
        "draft_id": draft["invoice"]["id"], "key_id": keys[0]["id"], "delivery_id": deliveries[0]["id"],
        "endpoint_id": endpoint["id"], "inbox_id": unmatched["id"],
        "customer_id": finalized["invoice"]["customer_id"], "reminder_id": str(reminder.id),
        "run_id": client.post("/api/v1/invoice-runs", json={"period_from": "2026-11-01", "period_to": "2026-11-30"},
                              headers=shop.auth("backoffice")).json["id"],
        "subscription_id": client.post("/api/v1/subscriptions", json=subscription_payload(),
                                       headers=shop.auth("backoffice")).json["id"],
    }
    channels._registered.pop("memory", None)


# Every API route that takes an object id, called by tenant B on tenant A's object. The last test
# of this module fails when a new route appears without being added here.
CROSS_TENANT_CALLS = [
    ("GET", "/api/v1/orders/{order_id}", "checkout"),
    ("GET", "/api/v1/invoices/{invoice_id}", "backoffice"),
    ("POST", "/api/v1/invoices/{draft_id}/finalize", "backoffice"),
    ("POST", "/api/v1/invoices/{draft_id}/discard", "backoffice"),
    ("PATCH", "/api/v1/invoices/{draft_id}", "backoffice"),
    ("POST", "/api/v1/invoices/{invoice_id}/convert", "backoffice"),
    ("DELETE", "/api/v1/api-keys/{key_id}", "admin"),
    ("GET", "/api/v1/deliveries/{delivery_id}", "backoffice"),
    ("POST", "/api/v1/deliveries/{delivery_id}/retry", "backoffice"),
    ("GET", "/api/v1/invoices/{invoice_id}/payments", "backoffice"),
    ("POST", "/api/v1/invoices/{invoice_id}/payments", "backoffice"),
    ("GET", "/api/v1/invoices/{invoice_id}/timeline", "backoffice"),
    ("POST", "/api/v1/inbox/{inbox_id}/reprocess", "backoffice"),
    ("DELETE", "/api/v1/webhook-endpoints/{endpoint_id}", "admin"),
    ("GET", "/api/v1/invoices/{invoice_id}/pdf", "backoffice"),
    ("GET", "/api/v1/invoices/{invoice_id}/finvoice", "backoffice"),
    ("GET", "/api/v1/invoices/{invoice_id}/ubl", "backoffice"),
    ("POST", "/api/v1/invoices/{invoice_id}/credit-notes", "backoffice"),
    ("POST", "/api/v1/invoices/{invoice_id}/cancel", "backoffice"),
    ("POST", "/api/v1/invoices/{invoice_id}/apply-credit", "backoffice"),
    ("GET", "/api/v1/customers/{customer_id}", "backoffice"),
    ("POST", "/api/v1/customers/{customer_id}/refunds", "backoffice"),
    ("GET", "/api/v1/invoice-runs/{run_id}", "backoffice"),
    ("POST", "/api/v1/invoice-runs/{run_id}/cancel", "backoffice"),
    ("POST", "/api/v1/invoice-runs/{run_id}/finalize", "backoffice"),
    ("GET", "/api/v1/invoice-runs/{run_id}/remaining", "backoffice"),
    ("POST", "/api/v1/invoice-runs/{run_id}/rerun", "backoffice"),
    ("GET", "/api/v1/customers/{customer_id}/statement", "backoffice"),
    ("GET", "/api/v1/reminders/{reminder_id}", "backoffice"),
    ("POST", "/api/v1/reminders/{reminder_id}/send", "backoffice"),
    ("POST", "/api/v1/reminders/{reminder_id}/cancel", "backoffice"),
    ("GET", "/api/v1/reminders/{reminder_id}/pdf", "backoffice"),
    ("GET", "/api/v1/reminders/{reminder_id}/finvoice", "backoffice"),
    ("GET", "/api/v1/subscriptions/{subscription_id}", "backoffice"),
    ("PATCH", "/api/v1/subscriptions/{subscription_id}", "backoffice"),
    ("POST", "/api/v1/subscriptions/{subscription_id}/cancel", "backoffice"),
    ("POST", "/api/v1/subscriptions/{subscription_id}/pause", "backoffice"),
    ("POST", "/api/v1/subscriptions/{subscription_id}/resume", "backoffice"),
    ("GET", "/api/v1/subscriptions/{subscription_id}/usage", "backoffice"),
]

# A valid body for each write, so that only the tenant can be what is wrong.
BODIES = {
    "/payments": {"amount": "1.00"}, "/apply-credit": {"amount": "1.00"},
    "/credit-notes": {"reason": "mine", "full": True}, "/cancel": {"reason": "mine"},
    "/refunds": {"amount": "1.00", "refund_id": "r-1"},
    "{subscription_id}": {"effective_from": "2026-03-01", "buyer_reference": "mine"},
}


@pytest.mark.parametrize("method, path, role", CROSS_TENANT_CALLS)
def test_another_tenants_object_is_not_found_and_not_touched(client, shop, other_shop, objects_of_a,
                                                             session, method, path, role):
    audit_before = session.scalar(select(func.count()).select_from(AuditEvent))
    body = next((body for suffix, body in BODIES.items() if path.endswith(suffix)),
                {"notes": "mine"} if method == "PATCH" else None)
    response = client.open(path.format(**objects_of_a), method=method, headers=other_shop.auth(role), json=body)

    assert response.status_code == 404
    assert response.json["code"] == "not_found"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit_before
    draft = session.get(Invoice, __import__("uuid").UUID(objects_of_a["draft_id"]))
    assert draft.status == "draft"
    finalized = session.get(Invoice, __import__("uuid").UUID(objects_of_a["invoice_id"]))
    assert finalized.status == "finalized" and finalized.credited_amount == 0


def test_lists_and_settings_show_only_the_callers_tenant(client, shop, other_shop, objects_of_a):
    assert client.get("/api/v1/invoices", headers=other_shop.auth("backoffice")).json["items"] == []
    assert len(client.get("/api/v1/invoices", headers=shop.auth("backoffice")).json["items"]) == 2
    assert client.get("/api/v1/tenant", headers=other_shop.auth("admin")).json["name"] == "Toinen Kauppa Oy"
    their_keys = client.get("/api/v1/api-keys", headers=other_shop.auth("admin")).json["items"]
    assert objects_of_a["key_id"] not in {key["id"] for key in their_keys}
    assert client.get("/api/v1/deliveries", headers=other_shop.auth("backoffice")).json["items"] == []
    assert "memory" not in client.get("/api/v1/tenant", headers=other_shop.auth("admin")).json["channels"]
    assert client.get("/api/v1/webhook-endpoints", headers=other_shop.auth("admin")).json["items"] == []
    assert client.get("/api/v1/inbox", headers=other_shop.auth("backoffice")).json["items"] == []
    assert client.get("/api/v1/subscriptions", headers=other_shop.auth("backoffice")).json["items"] == []
    assert client.get("/api/v1/customers", headers=other_shop.auth("backoffice")).json["items"] == []
    assert len(client.get("/api/v1/customers", headers=shop.auth("backoffice")).json["items"]) == 1
    assert client.get("/api/v1/invoice-runs", headers=other_shop.auth("backoffice")).json["items"] == []


def test_same_external_id_in_two_tenants_is_two_orders(client, shop, other_shop):
    a = client.post("/api/v1/orders", json=order_payload("SAME"), headers=shop.auth())
    b = client.post("/api/v1/orders", json=order_payload("SAME"), headers=other_shop.auth())
    assert a.status_code == b.status_code == 201
    assert a.json["invoice"]["number"] == b.json["invoice"]["number"] == "1"  # each tenant's own series


def test_a_checkout_key_cannot_approve_or_discard_but_a_backoffice_key_can(client, shop, objects_of_a):
    for action in ("finalize", "discard"):
        denied = client.post(f"/api/v1/invoices/{objects_of_a['draft_id']}/{action}", headers=shop.auth())
        assert denied.status_code == 403
        assert denied.json["detail"] == "this needs a backoffice key; the key used has the checkout role"
    approved = client.post(f"/api/v1/invoices/{objects_of_a['draft_id']}/finalize", headers=shop.auth("backoffice"))
    assert approved.status_code == 200 and approved.json["number"] == "2"


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/v1/invoices"), ("GET", "/api/v1/tenant"), ("PATCH", "/api/v1/tenant"),
    ("PUT", "/api/v1/tenant/vat-rates"), ("GET", "/api/v1/api-keys"), ("POST", "/api/v1/api-keys"),
])
def test_a_checkout_key_stays_out_of_the_back_office(client, shop, method, path):
    assert client.open(path, method=method, json={}, headers=shop.auth()).status_code == 403


def test_a_backoffice_key_cannot_change_tenant_settings_or_keys(client, shop):
    assert client.patch("/api/v1/tenant", json={"payment_terms_days": 30},
                        headers=shop.auth("backoffice")).status_code == 403
    assert client.post("/api/v1/api-keys", json={"role": "admin"}, headers=shop.auth("backoffice")).status_code == 403


def test_a_checkout_key_reads_only_the_orders_it_sent(client, shop, app, objects_of_a):
    from invoicing_plugin.db.engine import unit_of_work
    from invoicing_plugin.plugin import plugin_state

    db = plugin_state(app).session_factory()
    with unit_of_work(db):
        _, second_pos = tenants.create_api_key(db, cli_actor(shop.tenant_id), shop.tenant_id, "checkout")
    db.close()
    other_terminal = {"Authorization": f"Bearer {second_pos}"}
    assert client.get(f"/api/v1/orders/{objects_of_a['order_id']}", headers=other_terminal).status_code == 404
    assert client.get(f"/api/v1/invoices/{objects_of_a['invoice_id']}", headers=other_terminal).status_code == 404
    assert client.get(f"/api/v1/orders/{objects_of_a['order_id']}", headers=shop.auth()).status_code == 200
    assert client.get(f"/api/v1/invoices/{objects_of_a['invoice_id']}", headers=shop.auth()).status_code == 200
    assert client.get(f"/api/v1/invoices/{objects_of_a['invoice_id']}",
                      headers=shop.auth("backoffice")).status_code == 200


@pytest.mark.parametrize("header", [
    None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer ik_not-a-real-key", "Bearer " + "x" * 300])
def test_requests_without_a_valid_key_get_401(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/orders", json=order_payload(), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.mimetype == "application/problem+json"


def test_a_revoked_key_stops_working_at_once(client, shop):
    created = client.post("/api/v1/api-keys", json={"role": "checkout", "name": "old till"},
                          headers=shop.auth("admin"))
    assert created.status_code == 201
    key = {"Authorization": f"Bearer {created.json['key']}"}
    assert client.post("/api/v1/orders", json=order_payload("R-1"), headers=key).status_code == 201
    assert client.delete(f"/api/v1/api-keys/{created.json['id']}", headers=shop.auth("admin")).status_code == 204
    assert client.post("/api/v1/orders", json=order_payload("R-2"), headers=key).status_code == 401


def test_keys_are_stored_only_as_hashes(client, shop, session):
    from invoicing_plugin.db import ApiKey

    stored = {key.key_hash for key in session.scalars(select(ApiKey))}
    assert shop.checkout not in stored and tenants.hash_key(shop.checkout) in stored


def test_every_api_route_with_an_id_is_in_the_cross_tenant_matrix(app):
    covered = {(method, re.sub(r"\{\w+\}", "<id>", path)) for method, path, _ in CROSS_TENANT_CALLS}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or not rule.arguments - {"name", "provider"}:
            continue
        path = re.sub(r"<[^>]+>", "<id>", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in covered, f"{method} {rule.rule} needs a cross-tenant test"
