"""In a real browser: retry a dead delivery and see the worker deliver it, start an invoice run and see it
complete, and a customer named like a script stays text on the deliveries, customers and run pages."""

from __future__ import annotations

import pytest

from tests.console.operations import (
    SCRIPT_NAME,
    collect,
    connect_memory_channel,
    customer,
    dead_delivery,
    drain,
    last_month,
    worker,
)

from .conftest import log_in, screenshot

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect  # noqa: E402


def open_area(page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


@pytest.fixture
def sqlite_only(database_url):
    # The browser runs the same pages on either engine; once is enough for a real browser's time.
    if not database_url.startswith("sqlite"):
        pytest.skip("the browser tests run on SQLite (the pages' database behaviour is tested on both)")


def test_a_dead_delivery_retried_in_the_browser_is_delivered_by_the_worker(
        sqlite_only, app, client, shop, memory_channel, clerk, page):
    connect_memory_channel(client, shop)
    dead = dead_delivery(app, client, shop, memory_channel, customer=customer(SCRIPT_NAME))
    log_in(page, clerk)

    open_area(page, "Deliveries")
    first_row = page.locator("tbody tr").first
    expect(first_row).to_contain_text("failed for good")
    expect(first_row).to_contain_text(SCRIPT_NAME)  # shown as text
    screenshot(page, "console-deliveries")
    first_row.get_by_role("link", name="failed for good").click()
    expect(page.locator("table")).to_contain_text("INVALID_DATA :: customer missing")
    screenshot(page, "console-delivery-dead")

    page.get_by_role("button", name="Send again").click()
    expect(page.get_by_role("status")).to_contain_text("The delivery will be sent again shortly.")
    expect(page.locator(".delivery-status")).to_have_text("waiting")
    drain(worker(app))  # the worker, while the page is open: the page shows the outcome by itself
    expect(page.locator(".delivery-status")).to_have_text("delivered", timeout=20_000)
    expect(page.get_by_role("button", name="Send again")).to_have_count(0)
    assert page.url.endswith(f"/backoffice/deliveries/{dead['id']}")
    screenshot(page, "console-delivery-delivered")
    assert page.dialogs == []


def test_an_invoice_run_started_in_the_browser_shows_its_progress_until_completed(
        sqlite_only, app, client, shop, clerk, page):
    first, last = last_month(shop.today())
    collect(client, shop, "C-1", first)
    collect(client, shop, "C-2", last, customer=customer(SCRIPT_NAME))
    log_in(page, clerk)

    open_area(page, "Invoice runs")
    page.get_by_role("link", name="Start an invoice run").click()
    page.get_by_label("Orders delivered from").fill(first.isoformat())
    page.get_by_label("Orders delivered until").fill(last.isoformat())
    screenshot(page, "console-run-new")
    page.get_by_role("button", name="Start an invoice run").click()
    expect(page.get_by_role("status")).to_contain_text("The invoice run has started.")
    expect(page.locator(".run-status")).to_have_text("queued")

    drain(worker(app))
    expect(page.locator(".run-status")).to_have_text("completed", timeout=20_000)
    expect(page.locator(".orders-invoiced")).to_have_text("2")
    expect(page.locator(".invoices-made")).to_have_text("2")
    expect(page.locator("tbody")).to_contain_text(SCRIPT_NAME)
    screenshot(page, "console-run-completed")

    page.get_by_role("button", name="Finalise all 2 drafts").click()
    expect(page.get_by_role("status")).to_contain_text("The drafts were finalised and numbered.")
    numbers = page.locator(".invoice-number").all_inner_texts()
    assert len(numbers) == 2 and "draft" not in numbers
    assert page.dialogs == []


def test_a_customer_named_like_a_script_is_text_on_the_customer_pages(
        sqlite_only, app, client, shop, clerk, manager, page):
    first, _last = last_month(shop.today())
    collect(client, shop, "C-1", first, customer=customer(SCRIPT_NAME))
    log_in(page, manager)

    open_area(page, "Customers")
    page.get_by_label("Name, business ID or VAT ID").fill("script")
    page.get_by_role("button", name="Search").click()
    link = page.get_by_role("link", name=SCRIPT_NAME)
    expect(link).to_be_visible()
    screenshot(page, "console-customers")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SCRIPT_NAME)
    screenshot(page, "console-customer")

    open_area(page, "Settings")
    expect(page.get_by_role("heading", name="Company details")).to_be_visible()
    screenshot(page, "console-settings")
    assert page.dialogs == []
