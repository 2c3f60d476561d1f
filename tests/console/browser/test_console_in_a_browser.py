"""The console as a person uses it, in a real browser: sign in, approve drafts, edit one, credit a line,
switch to Swedish; and a customer named like a script is text on every page."""

from __future__ import annotations

import copy
import re

from playwright.sync_api import expect

from invoicing_plugin.examples import CUSTOMER

from ..conftest import finalized_invoice, queue_draft
from .conftest import click_beside_pdf, log_in, screenshot

TWO_LINES = [
    {"description": "Coffee beans 1 kg", "quantity": "3", "unit": "kg", "unit_price": "24.90", "vat_rate": "13.5"},
    {"description": "Grinder", "quantity": "1", "unit_price": "100.00", "vat_rate": "25.5"},
]
SCRIPT_NAME = "<script>alert(1)</script>"


def go_to(page, entry: str) -> None:
    """Follow an entry of the main navigation."""
    page.get_by_role("navigation").get_by_role("link", name=entry, exact=True).click()


def test_signing_in_shows_what_needs_attention(page, client, shop, clerk):
    queue_draft(client, shop, "WS-1")
    log_in(page, clerk)
    card = page.locator(".card", has_text="drafts waiting for approval")
    expect(card.locator(".count")).to_have_text("1")
    screenshot(page, "console-home")
    card.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Drafts waiting for approval")).to_be_visible()


def test_approving_two_queued_drafts_from_the_list_shows_their_numbers(page, client, shop, clerk):
    for n in range(3):
        queue_draft(client, shop, f"WS-{n}", customer={**copy.deepcopy(CUSTOMER), "name": f"Asiakas {n} Oy"})
    log_in(page, clerk)
    go_to(page, "Drafts")
    page.get_by_label("Asiakas 0 Oy").check()
    page.get_by_label("Asiakas 2 Oy").check()
    screenshot(page, "console-drafts")
    page.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_role("status")).to_have_text("2 approved, numbers 1, 2")
    expect(page.get_by_text("1 drafts")).to_be_visible()
    go_to(page, "Invoices")
    expect(page.get_by_role("link", name="1", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="2", exact=True)).to_be_visible()


def test_editing_a_drafts_line_shows_the_new_total(page, client, shop, clerk):
    draft = queue_draft(client, shop, "WS-1")  # 2 x 24.90 + 13.5 % VAT = 56.52
    log_in(page, clerk)
    page.goto(f"/backoffice/drafts/{draft['id']}")
    expect(page.locator("#draft-total")).to_have_text("56,52\xa0€")
    page.get_by_label("Quantity 1").fill("3")
    screenshot(page, "console-draft-edit")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_role("status")).to_have_text("The draft was saved.")
    expect(page.locator("#draft-total")).to_have_text("84,78\xa0€")  # 74.70 + 10.08


def test_a_problem_is_shown_next_to_its_field(page, client, shop, clerk):
    draft = queue_draft(client, shop, "WS-1")
    log_in(page, clerk)
    page.goto(f"/backoffice/drafts/{draft['id']}")
    page.get_by_label("Quantity 1").fill("lots")
    page.get_by_role("button", name="Save the draft").click()
    field = page.get_by_label("Quantity 1")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#lines-0-quantity-error")).to_have_text("is not a number")


def test_crediting_one_line_of_an_invoice_shows_the_credit_note(page, client, shop, clerk):
    invoice = finalized_invoice(client, shop, "WS-1", lines=TWO_LINES)
    log_in(page, clerk)
    go_to(page, "Invoices")
    page.get_by_role("link", name=invoice["number"], exact=True).click()
    expect(page.get_by_role("heading", name=f"Invoice {invoice['number']}")).to_be_visible()
    screenshot(page, "console-invoice")
    page.get_by_label("Quantity to credit of Grinder").fill("1")
    page.locator("#credit-reason").fill("Grinder returned")
    click_beside_pdf(page, page.get_by_role("button", name="Credit the quantities typed"))
    expect(page.get_by_role("status")).to_have_text("The credit note was made.")
    page.get_by_role("link", name="Credit note 2").click()
    expect(page.get_by_role("heading", name="Credit note 2")).to_be_visible()
    expect(page.locator("#invoice-total")).to_have_text(re.compile(r"[-\u2212]125,50\xa0€"))
    screenshot(page, "console-credit-note")


def test_switching_the_language_to_swedish(page, client, shop, clerk):
    log_in(page, clerk)
    page.get_by_label("Language").select_option("sv")
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_role("heading", name="Väntar på åtgärd")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    go_to(page, "Utkast")
    expect(page.get_by_role("heading", name="Utkast som väntar på godkännande")).to_be_visible()
    screenshot(page, "console-drafts-sv")


def test_a_customer_named_like_a_script_is_text_on_every_page(page, client, shop, clerk, manager):
    named = {**copy.deepcopy(CUSTOMER), "name": SCRIPT_NAME}
    draft = queue_draft(client, shop, "WS-1", customer=named)
    invoice = finalized_invoice(client, shop, "WS-2", customer=named, buyer_reference=SCRIPT_NAME)
    log_in(page, manager)
    pages = ["/backoffice/", "/backoffice/drafts/", f"/backoffice/drafts/{draft['id']}",
             f"/backoffice/invoices/?customer={SCRIPT_NAME}", f"/backoffice/invoices/{invoice['id']}",
             "/backoffice/settings/users/", f"/backoffice/drafts/?customer={SCRIPT_NAME}"]
    for path in pages:
        page.goto(path)
        page.wait_for_load_state("load")
        assert page.dialogs == [], path  # type: ignore[attr-defined]
        if "drafts" in path or "invoices" in path:
            expect(page.get_by_text(SCRIPT_NAME).first).to_be_visible()
    page.goto("/backoffice/login?next=/backoffice/%3Cscript%3Ealert(1)%3C/script%3E")
    assert page.dialogs == []  # type: ignore[attr-defined]
