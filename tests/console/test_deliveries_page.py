"""The deliveries pages: dead ones first, each attempt with what the service answered, a retry by hand."""

from __future__ import annotations

from .operations import connect_memory_channel, dead_delivery, drain, invoice_now, worker
from .test_access import audit_actions


def test_dead_deliveries_come_first_and_a_retry_by_hand_gets_them_delivered(app, client, shop, memory_channel,
                                                                         console, clerk):
    connect_memory_channel(client, shop)
    invoice_now(client, shop, "WS-OK")
    drain(worker(app))  # delivered
    dead = dead_delivery(app, client, shop, memory_channel)
    console.log_in(clerk)

    listing = console.get("/deliveries/")
    assert listing.status_code == 200
    rows = console.page.split("<tbody>")[1]
    assert rows.index("failed for good") < rows.index("delivered")
    assert "INVALID_DATA :: customer missing" in rows

    console.get(f"/deliveries/{dead['id']}")
    assert "400" in console.page and "INVALID_DATA :: customer missing" in console.page
    assert "Send again" in console.page
    retried = console.post(f"/deliveries/{dead['id']}/retry")
    assert retried.status_code == 302 and retried.headers["Location"].endswith(f"/deliveries/{dead['id']}")
    console.get(f"/deliveries/{dead['id']}")
    assert "The delivery will be sent again shortly." in console.page
    assert "waiting" in console.page and 'data-live="/backoffice/deliveries/' in console.page

    drain(worker(app))
    state = console.get(f"/deliveries/{dead['id']}/state")
    assert state.status_code == 200 and "data-live-done" in console.page
    assert '<strong class="delivery-status">delivered</strong>' in console.page
    assert "Send again" not in console.page
    assert ("console:clerk@kahvila.fi", "delivery.retried") in audit_actions(app, shop.tenant_id)


def test_a_delivery_that_is_not_dead_cannot_be_retried(app, client, shop, memory_channel, console, clerk):
    connect_memory_channel(client, shop)
    invoice_now(client, shop, "WS-1")
    drain(worker(app))
    [delivery] = client.get("/api/v1/deliveries", headers=shop.auth("backoffice")).json["items"]
    console.log_in(clerk)
    console.get(f"/deliveries/{delivery['id']}")
    refused = console.post(f"/deliveries/{delivery['id']}/retry")
    assert refused.status_code == 409
    assert "only dead or failed deliveries are retried by hand" in console.page
    console.get(f"/deliveries/{delivery['id']}")
    assert '<strong class="delivery-status">delivered</strong>' in console.page


def test_the_list_filters_by_status_and_pages(app, client, shop, memory_channel, console, clerk, monkeypatch):
    from invoicing_plugin.console import deliveries

    monkeypatch.setattr(deliveries, "PER_PAGE", 2)
    connect_memory_channel(client, shop)
    for number in range(3):
        invoice_now(client, shop, f"WS-{number}")
    dead_delivery(app, client, shop, memory_channel)
    console.log_in(clerk)
    console.get("/deliveries/?status=dead")
    assert console.page.count("failed for good</a>") == 1 and "delivered</a>" not in console.page
    console.get("/deliveries/")
    assert 'rel="next"' in console.page and 'rel="prev"' not in console.page
    console.get("/deliveries/?page=2")
    assert 'rel="prev"' in console.page and 'rel="next"' not in console.page
    assert console.get("/deliveries/?page=nonsense").status_code == 200
