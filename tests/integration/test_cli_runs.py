"""`invoicing run` and `invoicing runs`: a clerk at a terminal invoices a month of waiting orders."""

from datetime import timedelta

from tests.conftest import order_payload


def test_a_run_from_the_terminal_invoices_the_period_and_says_what_it_made(invoke, client, shop):
    day = shop.today() - timedelta(days=1)
    for i in range(3):
        payload = order_payload(f"T-{i}", delivery_date=day.isoformat(), invoicing={"mode": "collect"})
        assert client.post("/api/v1/orders", json=payload, headers=shop.auth()).status_code == 201

    code, lines = invoke("run", "--tenant", shop.slug, "--from", day.isoformat(), "--to", day.isoformat(),
                         "--finalize")

    assert code == 0, lines
    assert lines[-1] == "completed: 1 invoices of 3 orders, 169.57 EUR"
    code, listed = invoke("runs", "--tenant", shop.slug)
    assert code == 0 and "completed" in listed[0] and "3 orders" in listed[0]
    invoices = client.get("/api/v1/invoices", headers=shop.auth("backoffice")).json["items"]
    assert [invoice["status"] for invoice in invoices] == ["finalized"]


def test_a_bad_run_is_one_clear_line(invoke, shop):
    code, lines = invoke("run", "--tenant", shop.slug, "--from", "2026-11-30", "--to", "2026-11-01")
    assert code == 2 and lines[-1] == "error: period_to: must be on or after period_from"
    code, lines = invoke("run", "--tenant", shop.slug, "--from", "2026-11-01", "--to", "2026-11-30",
                         "--filter", "planet=mars")
    assert code == 2 and "unknown filter 'planet'" in lines[-1]
