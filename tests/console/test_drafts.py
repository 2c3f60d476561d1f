"""The drafts queue: filters, approving one or many with gapless numbers, discarding, editing with messages
next to the fields."""

from __future__ import annotations

import copy
import re

from invoicing_plugin.examples import CUSTOMER

from .conftest import queue_draft


def customer(name: str, business_id: str) -> dict:
    found = copy.deepcopy(CUSTOMER)
    found.update(name=name, business_id=business_id, vat_id="FI" + business_id.replace("-", ""))
    return found


def api_invoice(client, shop, draft) -> dict:
    return client.get(f"/api/v1/invoices/{draft['id']}", headers=shop.auth("backoffice")).json


def test_the_queue_lists_drafts_and_filters_them_by_source_store_customer_and_date(client, shop, console, clerk):
    queue_draft(client, shop, "WS-1")
    queue_draft(client, shop, "POS-1", source="pos", store_id="hki-1", terminal_id="t1", cashier="Maija",
                customer=customer("Leipomo Oy", "0737546-2"))
    queue_draft(client, shop, "POS-2", source="pos", store_id="tku-2", terminal_id="t2", cashier="Maija",
                customer=customer("Leipomo Oy", "0737546-2"))
    console.log_in(clerk)
    console.get("/drafts/")
    assert "3 drafts" in console.page and "Esimerkki Oy" in console.page and "hki-1" in console.page
    console.get("/drafts/?source=pos")
    assert "2 drafts" in console.page and "Esimerkki Oy" not in console.page
    console.get("/drafts/?store=tku-2")
    assert "1 drafts" in console.page and "tku-2" in console.page and "hki-1" not in console.page
    console.get("/drafts/?customer=leipo")
    assert "2 drafts" in console.page
    console.get("/drafts/?customer=0737546-2")
    assert "2 drafts" in console.page
    console.get(f"/drafts/?date_from={shop.today().isoformat()}&date_to={shop.today().isoformat()}")
    assert "3 drafts" in console.page
    console.get("/drafts/?date_to=2000-01-01")
    assert "0 drafts" in console.page
    bad = console.get("/drafts/?date_from=yesterday")
    assert bad.status_code == 200 and "is not a date" in console.page


def test_approving_several_drafts_numbers_them_in_order_without_gaps(client, shop, console, clerk):
    drafts = [queue_draft(client, shop, f"WS-{n}") for n in range(3)]
    console.log_in(clerk)
    console.get("/drafts/")
    response = console.post("/drafts/approve", {"invoice_id": [drafts[0]["id"], drafts[2]["id"]],
                                                "back": "/backoffice/drafts/"})
    assert response.status_code == 302
    console.get("/drafts/")
    assert "2 approved, numbers 1, 2" in console.page
    assert "1 drafts" in console.page
    assert [api_invoice(client, shop, d)["number"] for d in drafts] == ["1", None, "2"]
    # The same form sent again (a double click, a reload) takes no new numbers.
    console.post("/drafts/approve", {"invoice_id": [drafts[0]["id"], drafts[2]["id"]]})
    console.get("/drafts/")
    assert "2 approved, numbers 1, 2" in console.page
    console.post("/drafts/approve", {"invoice_id": [drafts[1]["id"]]})
    assert api_invoice(client, shop, drafts[1])["number"] == "3"


def test_another_tenants_draft_is_neither_shown_nor_approved_nor_opened(client, shop, other_shop, console, clerk):
    theirs = queue_draft(client, other_shop, "WS-THEIRS")
    console.log_in(clerk)
    console.get("/drafts/")
    assert "0 drafts" in console.page
    console.post("/drafts/approve", {"invoice_id": [theirs["id"]]})
    assert api_invoice(client, other_shop, theirs)["status"] == "draft"
    assert console.get(f"/drafts/{theirs['id']}").status_code == 404
    console.get("/drafts/")
    assert console.post(f"/drafts/{theirs['id']}/discard", {}).status_code == 404
    assert api_invoice(client, other_shop, theirs)["status"] == "draft"


def test_editing_a_line_prices_the_draft_again(client, shop, console, clerk):
    draft = queue_draft(client, shop, "WS-1")  # 2 x 24.90 at 13.5 %
    console.log_in(clerk)
    console.get(f"/drafts/{draft['id']}")
    assert "56,52" in console.page  # 49.80 + 6.72 VAT
    form = _form_of(console.page)
    form["lines-0-quantity"] = "3"
    form["lines-1-description"], form["lines-1-quantity"] = "Grinder", "1"
    form["lines-1-unit_price"], form["lines-1-vat_rate"] = "100,00", "25.5"
    saved = console.post(f"/drafts/{draft['id']}", form)
    assert saved.status_code == 302
    console.get(f"/drafts/{draft['id']}")
    assert "The draft was saved." in console.page
    invoice = api_invoice(client, shop, draft)
    # 3 x 24.90 = 74.70 + 10.08 VAT; 100.00 + 25.50 VAT
    assert invoice["total_gross"] == "210.28" and len(invoice["lines"]) == 2
    assert "210,28" in console.page


def test_problems_are_shown_next_to_their_fields_and_nothing_is_saved(client, shop, console, clerk):
    draft = queue_draft(client, shop, "WS-1")
    console.log_in(clerk)
    console.get(f"/drafts/{draft['id']}")
    form = _form_of(console.page)
    form["lines-0-quantity"] = "many"
    form["lines-1-description"], form["lines-1-quantity"], form["lines-1-unit_price"] = "Cups", "2", "5"
    form["lines-1-vat_rate"] = "17"  # no such Finnish rate
    form["billing.einvoice_address"] = ""
    form["payment_terms_days"] = "two weeks"
    response = console.post(f"/drafts/{draft['id']}", form)
    assert response.status_code == 422
    page = console.page
    assert re.search(r'name="lines-0-quantity" value="many"[^>]*aria-invalid="true"', page)
    assert 'id="lines-0-quantity-error">is not a number</p>' in page
    assert 'id="payment_terms_days-error">is not a whole number of days</p>' in page
    assert api_invoice(client, shop, draft)["total_gross"] == "56.52"
    # With the unreadable fields fixed, the use case's own checks speak, again by field.
    form["lines-0-quantity"], form["payment_terms_days"] = "2", "14"
    response = console.post(f"/drafts/{draft['id']}", form)
    assert response.status_code == 422
    assert 'id="lines-1-vat_rate-error">' in console.page
    assert api_invoice(client, shop, draft)["total_gross"] == "56.52"


def test_an_edit_of_a_draft_another_clerk_changed_meanwhile_is_refused(client, shop, console, clerk):
    draft = queue_draft(client, shop, "WS-1")
    console.log_in(clerk)
    console.get(f"/drafts/{draft['id']}")
    form = _form_of(console.page)
    client.patch(f"/api/v1/invoices/{draft['id']}", json={"notes": "theirs"}, headers=shop.auth("backoffice"))
    form["notes"] = "mine"
    response = console.post(f"/drafts/{draft['id']}", form)
    assert response.status_code == 409
    assert "Someone saved this draft" in console.page and "theirs" in console.page
    assert api_invoice(client, shop, draft)["notes"] == "theirs"


def test_discarding_cancels_the_orders_or_returns_them(client, shop, console, clerk):
    kept, dropped = queue_draft(client, shop, "WS-1"), queue_draft(client, shop, "WS-2")
    console.log_in(clerk)
    console.get(f"/drafts/{kept['id']}")
    console.post(f"/drafts/{kept['id']}/discard", {"return_orders": "yes", "reason": "wrong customer"})
    console.get("/drafts/")
    assert "its orders wait for invoicing again" in console.page
    console.post(f"/drafts/{dropped['id']}/discard", {})
    console.get("/drafts/")
    assert "its orders cancelled" in console.page and "0 drafts" in console.page
    status = [client.get(f"/api/v1/orders/{draft['order_ids'][0]}", headers=shop.auth("backoffice"))
              .json["order"]["status"] for draft in (kept, dropped)]
    assert status == ["ready_for_invoicing", "cancelled"]


def _form_of(page: str) -> dict:
    """The draft form's fields as the page fills them (inputs, the text area and the selected language)."""
    form_html = page[page.index('class="draft-form"'):]
    form_html = form_html[:form_html.index("</form>")]
    fields = {name: value for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form_html)}
    fields.update(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form_html))
    fields["billing.language"] = re.search(r'<option value="(\w\w)" selected', form_html).group(1)
    return {name: value.replace("&#39;", "'").replace("&amp;", "&") for name, value in fields.items()
            if not name.endswith("-remove")}


def test_an_edit_keeps_the_service_period_of_each_line(client, shop, console, clerk):
    period = {"start": "2026-01-01", "end": "2026-01-31"}
    draft = queue_draft(client, shop, "WS-P", lines=[{
        "description": "Coffee service", "quantity": "1", "unit_price": "49.90", "vat_rate": "25.5",
        "service_period": period}])
    console.log_in(clerk)
    console.get(f"/drafts/{draft['id']}")
    form = _form_of(console.page)
    form["lines-0-quantity"] = "2"
    form["lines-1-description"], form["lines-1-quantity"] = "Grinder", "1"
    form["lines-1-unit_price"], form["lines-1-vat_rate"] = "100,00", "25.5"
    assert console.post(f"/drafts/{draft['id']}", form).status_code == 302
    lines = api_invoice(client, shop, draft)["lines"]
    assert [(line["quantity"], line["service_period"]) for line in lines] == [("2", period), ("1", None)]
