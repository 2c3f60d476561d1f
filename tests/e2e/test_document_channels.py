"""Invoices by email (a real SMTP server) and by e-invoice operator, through the outbox, with the stored documents."""

import hashlib
import io

import pypdf
import requests

from adapters.einvoice.sandbox import demo_settings as operator_settings
from adapters.einvoice.sandbox import running_sandbox as operator_sandbox
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload

FAST = WorkerSettings(poll_interval=0.01, backoff_base=0.01, backoff_cap=0.05)


def test_an_invoice_by_email_arrives_with_its_stored_pdf(client, shop, app, smtp_server):
    port, mailbox = smtp_server
    saved = client.put("/api/v1/tenant/channels/email", json={"default": True, "settings": {
        "host": "127.0.0.1", "port": port, "security": "none", "from_address": "laskut@kahvila.fi"}},
        headers=shop.auth("admin"))
    assert saved.status_code == 200, saved.json
    invoice = client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]
    Worker(plugin_state(app).session_factory, FAST).run_once()

    [(recipients, message)] = mailbox.messages
    assert recipients == ["laskut@esimerkki.fi"]
    assert invoice["number"] in message["Subject"]
    [attachment] = [part for part in message.iter_attachments()]
    assert attachment.get_content_type() == "application/pdf"
    content = attachment.get_content()
    assert invoice["number"] in pypdf.PdfReader(io.BytesIO(content)).pages[0].extract_text()
    served = client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=shop.auth())
    assert hashlib.sha256(content).hexdigest() == served.headers["X-Content-SHA256"], "the stored document"
    delivery = client.get("/api/v1/deliveries", headers=shop.auth("backoffice")).json["items"][0]
    assert delivery["status"] == "delivered" and delivery["external_id"] == message["Message-ID"]


def test_an_invoice_to_the_operator_is_a_schema_valid_finvoice(client, shop, app):
    admin = shop.auth("admin")
    client.patch("/api/v1/tenant", json={"einvoice_address": "003707375462", "einvoice_operator": "003721291126"},
                 headers=admin)
    with operator_sandbox() as (url, _):
        client.put("/api/v1/tenant/channels/einvoice", json={"default": True, "settings": operator_settings(url)},
                   headers=admin)
        invoice = client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]
        Worker(plugin_state(app).session_factory, FAST).run_once()
        [held] = requests.get(f"{url}/_sandbox/state", timeout=5).json()["documents"]
        assert held["number"] == invoice["number"] and held["to"] == "003726174164"
        served = client.get(f"/api/v1/invoices/{invoice['id']}/finvoice", headers=shop.auth())
        assert held["sha256"] == served.headers["X-Content-SHA256"]
    delivery = client.get("/api/v1/deliveries", headers=shop.auth("backoffice")).json["items"][0]
    assert delivery["status"] == "delivered"


def test_a_buyer_without_an_einvoice_address_is_a_dead_delivery_with_the_reason(client, shop, app):
    admin = shop.auth("admin")
    client.patch("/api/v1/tenant", json={"einvoice_address": "003707375462", "einvoice_operator": "003721291126"},
                 headers=admin)
    with operator_sandbox() as (url, _):
        client.put("/api/v1/tenant/channels/einvoice", json={"default": True, "settings": operator_settings(url)},
                   headers=admin)
        payload = order_payload()
        del payload["customer"]["einvoice_address"], payload["customer"]["einvoice_operator"]
        payload["customer"]["business_id"] = "2077474-0"
        payload["customer"]["vat_id"] = "FI20774740"
        client.post("/api/v1/orders", json=payload, headers=shop.auth())
        Worker(plugin_state(app).session_factory, FAST).run_once()
    [dead] = client.get("/api/v1/deliveries", headers=shop.auth("backoffice")).json["items"]
    assert dead["status"] == "dead" and "e-invoice address" in dead["last_error"]
