"""Browser fixtures: the system's Chromium (Debian's `chromium`) driven by Playwright against the live server.

No browser is downloaded: Playwright launches the executable found on PATH. Without one the tests skip,
saying so; CI (.ci/run) installs it. Screenshots of the pages go to docs/screenshots/ (README.md embeds one).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def chromium():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("no Chromium installed: the console's browser tests need Debian's `chromium` package "
                    "(apt-get install chromium; .ci/run installs it)")
    from playwright.sync_api import expect, sync_playwright

    # expect() has its own timeout (5 s), apart from the page's: as long as the page's, for a loaded CI machine.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server) -> Iterator:
    """A fresh browser tab (its own cookies) on the live server, tablet-sized; a JavaScript dialog (an
    alert an injected script would open) fails the test."""
    context = chromium.new_context(base_url=live_server, viewport={"width": 1024, "height": 900}, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.dialogs = dialogs  # type: ignore[attr-defined]
    yield tab
    context.close()
    assert not dialogs, f"a dialog opened: {dialogs}"


def screenshot(tab, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def click_beside_pdf(tab, target) -> None:
    """Click `target` on a page that shows a PDF in a frame: scrolled into view and two frames painted
    first. Chromium routes a click to its PDF viewer's frame (a process of its own) by where that frame
    was last painted; a click sent in the same instant as the scroll that brought the button into view
    went to the viewer about one time in four here (no request sent, the frame focused), as no mouse
    moved by a person does."""
    target.scroll_into_view_if_needed()
    tab.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    target.click()


def log_in(tab, user) -> None:
    tab.goto("/backoffice/login")
    tab.get_by_label("Organisation").fill(user.tenant)
    tab.get_by_label("Email").fill(user.email)
    tab.get_by_label("Password").fill(user.password)
    tab.get_by_role("button", name="Sign in").click()
    tab.get_by_role("heading", name="What needs attention").wait_for()
