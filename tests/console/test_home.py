"""The home page: what waits for someone, counted within the tenant, each count a link to its list."""

from __future__ import annotations

import re
from datetime import timedelta

from .conftest import queue_draft


def count_of(page: str, what: str) -> str:
    found = re.search(r'<span class="count">([^<]+)</span>\s*<span class="what">' + re.escape(what), page)
    assert found, what
    return found.group(1)


def test_home_counts_drafts_and_overdue_invoices_of_the_tenant_only(client, shop, other_shop, console, clerk):
    queue_draft(client, shop, "WS-1")
    late = queue_draft(client, shop, "WS-2")
    queue_draft(client, other_shop, "WS-THEIRS")
    # Approved as of 30 days ago with 14 days' terms: overdue for two weeks in the tenant's calendar.
    approved = client.post(f"/api/v1/invoices/{late['id']}/finalize", headers=shop.auth("backoffice"),
                           json={"invoice_date": (shop.today() - timedelta(days=30)).isoformat()})
    assert approved.status_code == 200, approved.json
    console.log_in(clerk)
    console.get("/")
    assert count_of(console.page, "drafts waiting for approval") == "1"
    assert count_of(console.page, "overdue invoices") == "1"
    assert count_of(console.page, "deliveries failed for good") == "0"
    assert 'href="/backoffice/invoices/?overdue=1"' in console.page
    console.get("/invoices/?overdue=1")
    assert "1 invoices" in console.page and "Only overdue invoices" in console.page
