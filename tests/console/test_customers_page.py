"""The customers pages: search, a customer's balance and open invoices, the account statement as PDF."""

from __future__ import annotations

from .operations import customer, invoice_now


def _customer_id(client, shop, name: str) -> str:
    found = client.get("/api/v1/customers", query_string={"q": name}, headers=shop.auth("backoffice")).json["items"]
    return found[0]["id"]


def test_customers_are_found_by_name_or_business_id_with_what_they_owe(client, shop, console, clerk):
    invoice_now(client, shop, "WS-1", customer=customer("Toinen Asiakas Oy", "2077474-0"))
    invoice_now(client, shop, "WS-2", customer=customer("Kolmas Oy", "1572860-0"))
    console.log_in(clerk)

    console.get("/customers/?q=toinen")
    assert "Toinen Asiakas Oy" in console.page and "Kolmas Oy" not in console.page
    assert "€" in console.page.split("<tbody>")[1]  # the open amount beside the name
    console.get("/customers/?q=1572860-0")
    assert "Kolmas Oy" in console.page and "Toinen Asiakas Oy" not in console.page
    console.get("/customers/?after=not-a-cursor")  # an address edited by hand: the list from the start
    assert "Kolmas Oy" in console.page


def test_a_customer_page_shows_the_balance_the_open_items_and_gives_the_statement_pdf(client, shop, console, clerk):
    invoice = invoice_now(client, shop, "WS-1", customer=customer("Toinen Asiakas Oy"))
    customer_id = _customer_id(client, shop, "Toinen")
    api = client.get(f"/api/v1/customers/{customer_id}", headers=shop.auth("backoffice")).json
    console.log_in(clerk)

    page = console.get(f"/customers/{customer_id}")
    assert page.status_code == 200
    assert invoice["number"] in console.page
    open_amount = api["balances"][0]["open_amount"].replace(".", ",")
    assert f"{open_amount} €" in console.page.replace("\xa0", " ")

    pdf = console.client.get(f"/backoffice/customers/{customer_id}/statement.pdf",
                             query_string={"from": "2020-01-01", "to": shop.today().isoformat()})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")

    wrong = console.get(f"/customers/{customer_id}/statement.pdf?from=2026-02-30&to=2020-01-01")
    assert wrong.status_code == 422
    assert 'id="from-error">Give a date' in console.page
    backwards = console.get(f"/customers/{customer_id}/statement.pdf?from=2026-03-01&to=2026-01-01")
    assert backwards.status_code == 422 and "must be on or before to" in console.page
