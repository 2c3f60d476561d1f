"""Browser fixtures for the console: Playwright for Python driving the system's Chromium, over the live server.

Chromium is Debian's `chromium` package (`.ci/run` installs it); without it the browser tests are skipped
with that message. Screenshots go to docs/screenshots/ (the README embeds one).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium_path() -> str | None:
    given = os.environ.get("INVOICING_CHROMIUM")
    if given:
        return given
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium installed: `apt-get install chromium` (Debian) runs the console's browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium, live_server) -> Iterator[object]:
    """A fresh browser context (no cookies) with a tablet-sized window, and every dialog recorded."""
    context = chromium.new_context(base_url=live_server, viewport={"width": 1180, "height": 820}, locale="en-GB")
    page = context.new_page()
    page.dialogs = []  # a dialog here would be a script from data that ran: the escaping tests read it

    def record(dialog) -> None:
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page, user) -> None:
    page.goto("/backoffice/login")
    page.get_by_label("Organisation").fill(user.tenant)
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/backoffice/")


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
