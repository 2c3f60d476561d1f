"""A subscription in a real browser: find it in the list, open it, see a period's usage, pause it."""

from __future__ import annotations

import copy

from playwright.sync_api import expect

from tests.integration.test_subscriptions import CALLS, COFFEE_SERVICE, create
from tests.integration.test_usage_records import batch, usage_item

from .conftest import log_in, screenshot


def test_a_clerk_opens_a_subscription_sees_its_usage_and_pauses_it(page, client, shop, clerk):
    subscription = create(client, shop, external_id="SUB-OFFICE", items=[dict(COFFEE_SERVICE), copy.deepcopy(CALLS)])
    recorded = client.post("/api/v1/usage-records", json=batch(usage_item(subscription), 4, "feb", "12.5",
                                                               "2026-02-10"), headers=shop.auth())
    assert recorded.json["recorded"] == 4
    log_in(page, clerk)
    page.get_by_role("navigation").get_by_role("link", name="Subscriptions", exact=True).click()
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Show", exact=True).click()
    page.get_by_role("link", name="SUB-OFFICE").click()
    expect(page.get_by_role("heading", name="Subscription SUB-OFFICE")).to_be_visible()

    page.get_by_label("From", exact=True).fill("2026-02-01")
    page.get_by_label("To", exact=True).fill("2026-02-28")
    page.get_by_role("button", name="Show usage").click()
    usage = page.locator("#usage-sums tbody tr", has_text="Espresso shots")
    expect(usage.locator("td").nth(1)).to_have_text("50")
    expect(usage.locator("td").nth(2)).to_have_text("4")
    screenshot(page, "console-subscription")

    page.get_by_label("Pause from (empty: today)").fill("2026-03-01")
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("The subscription is paused.")
    expect(page.locator("#subscription-status")).to_contain_text("Paused")
    expect(page.get_by_role("button", name="Resume", exact=True)).to_be_visible()
    paused = client.get(f"/api/v1/subscriptions/{subscription['id']}", headers=shop.auth("backoffice")).json
    assert paused["status"] == "paused" and paused["paused_from"] == "2026-03-01"
