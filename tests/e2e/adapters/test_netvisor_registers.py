"""Issue 11, must hold: over real HTTP on loopback, the worker delivers an invoice to a customer and products the
strict Netvisor sandbox does not know: it creates them (customer.nv, product.nv), the invoice is accepted, and a
second invoice reuses the tenant's mapping (ExternalRef) without creating anything again. With
`create_missing: false` the same invoice is refused with Netvisor's INVALID_DATA, shown on the delivery."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from adapters.netvisor.sandbox import demo_settings, running_sandbox
from invoicing_plugin.db.external import ExternalRef
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.worker import Worker
from tests.integration.test_credit_note_delivery import FAST, connect, sell, the_delivery


@pytest.fixture
def worker(app):
    return Worker(plugin_state(app).session_factory, FAST)


def state(url: str) -> dict:
    return requests.get(f"{url}/_sandbox/state", timeout=5).json()


def test_unknown_customer_and_products_are_created_once_and_the_mapping_is_reused(
        client, shop, worker, session):
    with running_sandbox() as (url, _):
        connect(client, shop, "netvisor", demo_settings(url, "0737546-2"))
        first = sell(client, shop, "WS-1")
        worker.run_once()
        after_first = state(url)
        second = sell(client, shop, "WS-2")
        worker.run_once()
        after_second = state(url)

    assert the_delivery(client, shop, first)["status"] == "delivered"
    assert the_delivery(client, shop, second)["status"] == "delivered"
    [customer] = after_first["customers"]
    products = after_first["products"]
    assert products and customer["business_id"]
    held = after_second["invoices"]
    assert [i["number"] for i in held] == [int(first["number"]), int(second["number"])]
    assert {i["customer_key"] for i in held} == {customer["netvisor_key"]}
    assert after_second["customers"] == after_first["customers"], "the second invoice created no customer"
    assert after_second["products"] == products, "nor a product"
    requests_made = after_second["requests"]
    assert (requests_made["customer.nv"], requests_made["customerlist.nv"]) == (1, 1), "asked once, created once"
    assert requests_made["product.nv"] == len(products)
    refs = session.scalars(select(ExternalRef).where(ExternalRef.service == "netvisor")).all()
    kinds = sorted((ref.kind, ref.their_key) for ref in refs)
    assert ("customer", str(customer["netvisor_key"])) in kinds
    assert sorted(k for k in kinds if k[0] == "product") == sorted(
        ("product", str(p["netvisor_key"])) for p in products)


def test_with_creation_off_an_unknown_customer_is_refused_with_netvisors_error_on_the_delivery(
        client, shop, worker):
    with running_sandbox() as (url, _):
        connect(client, shop, "netvisor", {**demo_settings(url, "0737546-2"), "create_missing": False})
        invoice = sell(client, shop, "WS-1")
        worker.run_once()
        held = state(url)

    delivery = the_delivery(client, shop, invoice)
    assert delivery["status"] == "dead" and delivery["attempts"] == 1
    assert "INVALID_DATA" in delivery["last_error"] and "create_missing is off" in delivery["last_error"]
    assert "customer" in delivery["last_error"]
    assert held["invoices"] == [] and held["customers"] == [] and held["products"] == []


def test_a_remembered_customer_gone_from_netvisor_is_looked_up_and_created_again(client, shop, worker):
    with running_sandbox() as (url, _):
        connect(client, shop, "netvisor", demo_settings(url, "0737546-2"))
        first = sell(client, shop, "WS-1")
        worker.run_once()
        requests.post(f"{url}/_sandbox/reset", json={"registers": True}, timeout=5).raise_for_status()
        second = sell(client, shop, "WS-2")
        worker.run_once()
        after = state(url)

    assert the_delivery(client, shop, first)["status"] == "delivered"
    assert the_delivery(client, shop, second)["status"] == "delivered", "the stale mapping was refreshed"
    [customer] = after["customers"]
    assert [i["customer_key"] for i in after["invoices"]] == [customer["netvisor_key"]]
