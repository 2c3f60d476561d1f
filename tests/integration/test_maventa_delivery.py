"""Invoices reach Maventa through the worker over real HTTP, and a refused one ends dead with Maventa's reason."""

from __future__ import annotations

import pytest
import requests

from adapters.maventa.sandbox import demo_settings, running_sandbox
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.integration.test_credit_note_delivery import SELLER_EINVOICE, connect, sell, the_delivery

FAST = WorkerSettings(poll_interval=0.01, backoff_base=0.01, backoff_cap=0.05, max_attempts=5)


@pytest.fixture
def worker(app):
    return Worker(plugin_state(app).session_factory, FAST)


@pytest.mark.parametrize("document_format", ["finvoice", "ubl"])
def test_a_finalised_invoice_is_delivered_to_maventa_and_its_status_read_back(client, shop, worker,
                                                                              document_format):
    client.patch("/api/v1/tenant", json=SELLER_EINVOICE, headers=shop.auth("admin"))
    with running_sandbox() as (url, _):
        connect(client, shop, "maventa", demo_settings(url, document_format))
        invoice = sell(client, shop)
        worker.run_once()
        [held] = requests.get(f"{url}/_sandbox/state", timeout=5).json()["invoices"]
        served = client.get(f"/api/v1/invoices/{invoice['id']}/{document_format}", headers=shop.auth("backoffice"))
        uploaded = requests.get(f"{url}/_sandbox/documents/{held['id']}", timeout=5).content

    delivery = the_delivery(client, shop, invoice)
    assert delivery["status"] == "delivered" and delivery["external_id"] == held["id"]
    assert (held["number"], held["status"], held["source_format"]) == (invoice["number"], "SENT",
                                                                       document_format.upper())
    assert uploaded == served.data, "the stored document, byte for byte"


def test_settings_are_checked_when_saved_and_the_keys_never_shown_back(client, shop):
    refused = client.put("/api/v1/tenant/channels/maventa", json={"settings": {
        "company_uuid": "not-a-uuid", "user_api_key": "", "format": "pdf", "base_url": "ftp://x"}},
        headers=shop.auth("admin"))
    assert refused.status_code == 422
    said = str(refused.json)
    for problem in ("company_uuid must be the company's UUID", "user_api_key is missing", "vendor_api_key is missing",
                    "format must be one of finvoice, ubl", "base_url must be an http(s) URL"):
        assert problem in said
    saved = client.put("/api/v1/tenant/channels/maventa", json={"settings": demo_settings("http://127.0.0.1:1")},
                       headers=shop.auth("admin"))
    assert saved.status_code == 200, saved.json
    shown = client.get("/api/v1/tenant", headers=shop.auth("admin")).json["channels"]["maventa"]["settings"]
    assert shown["user_api_key"] == shown["vendor_api_key"] == "********"
    assert shown["company_uuid"] == demo_settings("x")["company_uuid"]


def test_an_upload_maventa_refuses_ends_dead_with_the_reason_and_is_not_retried(client, shop, worker):
    """The seller set no e-invoice address, so the Finvoice has no MessageTransmissionDetails: nothing to route by."""
    with running_sandbox() as (url, _):
        connect(client, shop, "maventa", demo_settings(url, "finvoice"))
        invoice = sell(client, shop)
        worker.run_once()
        worker.run_once()
        counts = requests.get(f"{url}/_sandbox/state", timeout=5).json()["requests"]

    dead = the_delivery(client, shop, invoice)
    assert dead["status"] == "dead" and dead["attempts"] == 1
    assert f"Maventa could not send invoice {invoice['number']} (ERROR)" in dead["last_error"]
    assert "no e-invoice address" in dead["last_error"]
    assert counts["POST /v1/invoices"] == 1
