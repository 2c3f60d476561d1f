"""Arranging what the deliveries, customers and invoice-run pages show, through the API as a shop would."""

from __future__ import annotations

import time
from datetime import date, timedelta

from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload

SCRIPT_NAME = "<script>alert(1)</script>"
FAST = WorkerSettings(batch_size=10, lease=timedelta(seconds=30), poll_interval=0.01, max_attempts=4,
                      backoff_base=0.01, backoff_cap=0.05)


def customer(name: str, business_id: str = "2077474-0") -> dict:
    return {"type": "organisation", "name": name, "business_id": business_id, "email": "laskut@asiakas.fi",
            "address": {"street": "Kauppakatu 2", "postcode": "33100", "city": "Tampere", "country": "FI"}}


def connect_memory_channel(client, shop) -> None:
    """The shop sends every invoice to the in-memory service (the `memory_channel` fixture) by default."""
    response = client.put("/api/v1/tenant/channels/memory", json={"default": True, "settings": {"password": "right"}},
                          headers=shop.auth("admin"))
    assert response.status_code == 200, response.json


def worker(app, name: str = "console-worker") -> Worker:
    return Worker(plugin_state(app).session_factory, FAST, name=name)


def drain(work: Worker, rounds: int = 200) -> None:
    """Run the worker until nothing is due."""
    for _ in range(rounds):
        if work.run_once() == 0:
            time.sleep(0.06)
            if work.run_once() == 0:
                return


def invoice_now(client, shop, external_id: str, **overrides) -> dict:
    response = client.post("/api/v1/orders", json=order_payload(external_id, **overrides), headers=shop.auth())
    assert response.status_code == 201, response.json
    return response.json["invoice"]


def dead_delivery(app, client, shop, service, external_id: str = "WS-DEAD", **overrides) -> dict:
    """An invoice whose one delivery the service refused for good (a 400): dead, waiting for a person."""
    drain(worker(app))  # what was due before goes first, so the failure meets this invoice
    service.fail_next(1, retryable=False, message="INVALID_DATA :: customer missing", http_status=400)
    invoice = invoice_now(client, shop, external_id, **overrides)
    worker(app).run_once()
    [delivery] = client.get(f"/api/v1/deliveries?invoice_id={invoice['id']}",
                            headers=shop.auth("backoffice")).json["items"]
    assert delivery["status"] == "dead"
    return delivery


def collect(client, shop, external_id: str, day: date, **overrides) -> dict:
    payload = order_payload(external_id, delivery_date=day.isoformat(), **overrides)
    payload["invoicing"] = {"mode": "collect"}
    response = client.post("/api/v1/orders", json=payload, headers=shop.auth())
    assert response.status_code == 201, response.json
    return response.json["order"]


def last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end
