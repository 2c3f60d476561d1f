"""In a real browser: run the dunning, see the draft reminder first in the list, open it and send it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.console.conftest import queue_draft

from .conftest import click_beside_pdf, log_in, screenshot

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect  # noqa: E402


def test_a_clerk_runs_the_dunning_and_sends_the_draft_in_the_browser(database_url, client, shop, clerk, page):
    if not database_url.startswith("sqlite"):
        pytest.skip("the browser tests run on SQLite (the pages' database behaviour is tested on both)")
    assert client.put("/api/v1/tenant/dunning", json={"auto_send": False, "levels": [{"days": 7, "fee": "5.00"}]},
                      headers=shop.auth("admin")).status_code == 200
    draft = queue_draft(client, shop, "WS-LATE")
    assert client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=shop.auth("backoffice"), json={
        "invoice_date": (shop.today() - timedelta(days=30)).isoformat()}).status_code == 200
    log_in(page, clerk)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reminders", exact=True).click()
    expect(page.get_by_text("No reminders.")).to_be_visible()
    page.get_by_role("button", name="Run the dunning now").click()
    expect(page.get_by_role("status")).to_contain_text("Dunning run: 1 reminders made, 0 sent")
    first_row = page.locator("tbody tr").first
    expect(first_row).to_contain_text("Esimerkki Oy")
    screenshot(page, "console-reminders")
    first_row.get_by_role("link", name="Draft").click()
    expect(page.locator("#reminder-status")).to_have_text("Draft")
    click_beside_pdf(page, page.get_by_role("button", name="Send the reminder"))
    expect(page.get_by_role("status")).to_contain_text("The reminder was numbered and sent")
    expect(page.locator("#reminder-status")).to_have_text("Sent")
    expect(page.get_by_role("heading", level=1)).to_contain_text("M1")
    expect(page.get_by_role("button", name="Send the reminder")).to_have_count(0)
    screenshot(page, "console-reminder-sent")
