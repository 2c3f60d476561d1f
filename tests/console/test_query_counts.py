"""The console's lists read in a fixed number of queries, however many rows they show (no N+1)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from invoicing_plugin.plugin import plugin_state

from .conftest import finalized_invoice, queue_draft


@contextmanager
def counted(app):
    statements: list[str] = []
    engine = plugin_state(app).engine

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def queries_for(app, console, path: str) -> int:
    with counted(app) as statements:
        assert console.get(path).status_code == 200
    return len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))])


def test_the_lists_take_as_many_queries_for_twenty_rows_as_for_two(app, client, shop, console, clerk):
    for n in range(2):
        queue_draft(client, shop, f"Q-{n}", source="pos", store_id=f"store-{n}", terminal_id="t", cashier="M")
        finalized_invoice(client, shop, f"F-{n}")
    console.log_in(clerk)
    paths = ("/", "/drafts/", "/invoices/", "/invoices/?customer=esimerkki")
    few = {path: queries_for(app, console, path) for path in paths}
    for n in range(2, 20):
        queue_draft(client, shop, f"Q-{n}", source="pos", store_id=f"store-{n}", terminal_id="t", cashier="M")
        finalized_invoice(client, shop, f"F-{n}")
    many = {path: queries_for(app, console, path) for path in paths}
    assert many == few
    assert max(many.values()) <= 6, many  # the session's user, then the page's own few reads


def test_the_invoice_page_takes_as_many_queries_for_many_deliveries_payments_and_credits(
        app, client, shop, console, clerk, memory_channel):
    client.put("/api/v1/tenant/channels/memory", json={"default": True, "settings": {"password": "right"}},
               headers=shop.auth("admin"))
    small = finalized_invoice(client, shop, "F-1", lines=[
        {"description": "Item", "quantity": "2", "unit_price": "10.00", "vat_rate": "25.5"}])
    big = finalized_invoice(client, shop, "F-2", lines=[
        {"description": f"Item {n}", "quantity": "1", "unit_price": "10.00", "vat_rate": "25.5"} for n in range(12)])
    backoffice = shop.auth("backoffice")
    for invoice, payments, credits in ((small, 1, 1), (big, 5, 3)):
        for n in range(payments):
            paid = client.post(f"/api/v1/invoices/{invoice['id']}/payments", headers=backoffice,
                               json={"amount": "1.00", "payment_id": f"p-{invoice['id']}-{n}"})
            assert paid.status_code == 201, paid.json
        lines = client.get(f"/api/v1/invoices/{invoice['id']}", headers=backoffice).json["lines"]
        for n in range(credits):
            credited = client.post(f"/api/v1/invoices/{invoice['id']}/credit-notes", headers=backoffice, json={
                "reason": "returned", "lines": [{"invoice_line_id": lines[n % len(lines)]["id"], "quantity": "1"}]})
            assert credited.status_code == 201, credited.json
    console.log_in(clerk)
    assert queries_for(app, console, f"/invoices/{big['id']}") == queries_for(app, console, f"/invoices/{small['id']}")


def test_the_subscription_list_and_page_take_as_many_queries_for_many_rows_as_for_few(app, client, shop, console,
                                                                                       clerk):
    from tests.integration.test_subscription_billing import run_over
    from tests.integration.test_subscriptions import create

    def subscribe(n):
        customer = {"type": "person", "name": f"Asiakas {n}", "email": f"asiakas{n}@example.fi"}
        return create(client, shop, external_id=f"SUB-{n}", customer=customer)

    first = subscribe(0)
    subscribe(1)
    run_over(client, shop, app, "2026-01-01", "2026-01-31")
    console.log_in(clerk)
    paths = ("/subscriptions/", "/subscriptions/?status=active&customer=asiakas",
             f"/subscriptions/{first['id']}?from=2026-01-01&to=2026-03-31")
    few = {path: queries_for(app, console, path) for path in paths}
    for n in range(2, 20):
        subscribe(n)
    run_over(client, shop, app, "2026-02-01", "2026-03-31")  # two more billed periods of each
    many = {path: queries_for(app, console, path) for path in paths}
    assert many == few
    assert max(many.values()) <= 12, many  # the page: the subscription with its items and terms, usage sums, ...
def test_the_reminders_list_takes_as_many_queries_for_twenty_reminders_as_for_two(app, client, shop, console, clerk):
    from datetime import timedelta

    assert client.put("/api/v1/tenant/dunning", json={"auto_send": False, "levels": [{"days": 7, "fee": "5.00"}]},
                      headers=shop.auth("admin")).status_code == 200

    def overdue_drafts(first: int, last: int) -> None:
        for n in range(first, last):
            draft = queue_draft(client, shop, f"R-{n}")
            assert client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=shop.auth("backoffice"), json={
                "invoice_date": (shop.today() - timedelta(days=30)).isoformat()}).status_code == 200
        assert client.post("/api/v1/dunning-runs", json={}, headers=shop.auth("backoffice")).status_code == 201

    overdue_drafts(0, 2)
    console.log_in(clerk)
    few = queries_for(app, console, "/reminders/")
    overdue_drafts(2, 20)
    many = queries_for(app, console, "/reminders/")
    assert many == few and many <= 6, (few, many)
    assert console.page.count('href="/backoffice/reminders/') >= 20
