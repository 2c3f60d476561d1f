"""Signing in to the console: login, CSRF on every form, throttling, idle timeout, logout, roles, the host hook."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import select

from invoicing_plugin import InvoicingPlugin, create_app, plugin_state
from invoicing_plugin.console.context import console_state
from invoicing_plugin.console.identity import HostUser
from invoicing_plugin.db import AuditEvent
from tests.conftest import make_shop

from .conftest import Console, make_console_user


def audit_actions(app, tenant_id) -> list[tuple[str, str]]:
    with plugin_state(app).session_factory() as db:
        return [(row.actor, row.action) for row in db.scalars(
            select(AuditEvent).where(AuditEvent.tenant_id == tenant_id).order_by(AuditEvent.id))]


def test_a_visitor_is_sent_to_the_login_and_back_to_the_page_after_signing_in(console, clerk):
    response = console.get("/settings/users/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/backoffice/login?next=/backoffice/settings/users/")

    console.get("/login?next=/backoffice/")
    signed_in = console.post("/login", {"tenant": clerk.tenant, "email": "Clerk@Kahvila.fi ",
                                        "password": clerk.password, "next": "/backoffice/"})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/backoffice/"
    home = console.get("/")
    assert home.status_code == 200
    assert "What needs attention" in console.page and "clerk@kahvila.fi" in console.page


def test_the_login_never_redirects_to_another_site(console, clerk):
    console.get("/login")
    response = console.post("/login", {"tenant": clerk.tenant, "email": clerk.email, "password": clerk.password,
                                       "next": "https://evil.example/backoffice/"})
    assert response.headers["Location"] == "/backoffice/"


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(app, shop, console, clerk):
    console.get("/login")
    refused = console.post("/login", {"tenant": clerk.tenant, "email": clerk.email, "password": clerk.password},
                           token=False)
    assert refused.status_code == 400
    assert "security token" in console.page
    assert console.get("/").status_code == 302  # not signed in

    console.log_in(clerk)
    console.get("/")
    wrong = console.post("/language", {"language": "sv", "csrf_token": "not-the-token"})
    assert wrong.status_code == 400
    console.get("/")
    assert "What needs attention" in console.page  # still English
    assert ("console:clerk@kahvila.fi", "console.language_changed") not in audit_actions(app, shop.tenant_id)


def test_five_wrong_passwords_throttle_the_login_even_for_the_right_password(app, shop, console, clerk):
    for _ in range(4):
        assert console.log_in(clerk, password="wrong password!").status_code == 401
        assert "is wrong" in console.page
    fifth = console.log_in(clerk, password="wrong password!")
    assert fifth.status_code == 401
    throttled = console.log_in(clerk)  # the right password, too late
    assert throttled.status_code == 429
    assert "Too many wrong passwords" in console.page
    assert console.get("/").status_code == 302

    actions = [action for actor, action in audit_actions(app, shop.tenant_id) if actor == "console:clerk@kahvila.fi"]
    assert actions == ["console.login_failed"] * 5 + ["console.login_throttled"]


def test_the_throttle_ends_after_its_time_and_a_right_password_resets_the_count(app, shop, console, clerk):
    from datetime import UTC, datetime, timedelta

    from invoicing_plugin.services import console_users

    state = console_state(app)
    db = plugin_state(app).database
    login = console_users.LogIn(clerk.tenant, clerk.email, "wrong password!")
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with app.app_context():
        for _ in range(4):
            with pytest.raises(console_users.LoginRefused):
                console_users.log_in(db, login, state.throttle, now=start)
        console_users.log_in(db, console_users.LogIn(clerk.tenant, clerk.email, clerk.password), state.throttle,
                             now=start)
        for _ in range(5):  # the count started again from zero: five more are needed
            with pytest.raises(console_users.LoginRefused):
                console_users.log_in(db, login, state.throttle, now=start)
        right = console_users.LogIn(clerk.tenant, clerk.email, clerk.password)
        with pytest.raises(console_users.LoginThrottled):
            console_users.log_in(db, right, state.throttle, now=start + timedelta(minutes=14))
        assert console_users.log_in(db, right, state.throttle, now=start + timedelta(minutes=15, seconds=1))


def test_an_unknown_user_or_organisation_is_refused_like_a_wrong_password(console, clerk):
    for tenant, email in (("no-such-shop", clerk.email), (clerk.tenant, "nobody@kahvila.fi")):
        console.get("/login")
        response = console.post("/login", {"tenant": tenant, "email": email, "password": clerk.password})
        assert response.status_code == 401
        assert "The organisation, email or password is wrong." in console.page


def test_a_session_ends_after_the_idle_timeout_and_lives_on_while_used(app, console, clerk):
    now = [time.time()]
    console_state(app).cookie.clock = lambda: now[0]
    console.log_in(clerk)
    for _ in range(3):  # used every 20 minutes: the 30-minute idle timeout never comes
        now[0] += 20 * 60
        assert console.get("/").status_code == 200
    now[0] += 31 * 60
    expired = console.get("/")
    assert expired.status_code == 302
    console.get("/login")
    assert "Your session ended" in console.page


def test_a_request_beside_a_sent_form_does_not_lose_the_forms_notice(app, console, clerk):
    # A page's PDF frame still loading while the form on it is sent: the frame's answer comes last. It
    # changes nothing in the session, so it must not write back the older cookie over the form's notice.
    now = [time.time()]
    console_state(app).cookie.clock = lambda: now[0]
    console.log_in(clerk)
    older = console.client.get_cookie("invoicing_console", path="/backoffice").value
    beside = app.test_client()
    beside.set_cookie("invoicing_console", older, path="/backoffice")
    console.post("/language", {"language": "sv"})  # leaves a notice and a new language in the session
    assert "Set-Cookie" not in beside.get("/backoffice/").headers  # the slower request: nothing to write
    now[0] += 2 * 60  # a session still used is re-signed (the idle timeout counts from there)
    assert "Set-Cookie" in console.get("/").headers


def test_signing_out_ends_the_session_also_for_a_copied_cookie(app, console, clerk):
    console.log_in(clerk)
    console.get("/")
    copied = app.test_client()
    copied.set_cookie("invoicing_console", console.client.get_cookie("invoicing_console", path="/backoffice").value,
                      path="/backoffice")
    assert copied.get("/backoffice/").status_code == 200
    console.post("/logout")
    assert console.get("/").status_code == 302
    assert copied.get("/backoffice/").status_code == 302


def test_the_session_cookie_is_httponly_samesite_and_secure_except_on_plain_http_loopback(app, clerk):
    local = app.test_client().get("/backoffice/login", base_url="http://127.0.0.1:5000")
    cookie = local.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/backoffice" in cookie
    assert "Secure" not in cookie
    for base_url in ("https://shop.example", "http://shop.example"):
        remote = app.test_client().get("/backoffice/login", base_url=base_url)
        assert "Secure" in remote.headers["Set-Cookie"]
    assert local.headers["Cache-Control"] == "no-store"


def test_a_backoffice_user_cannot_open_an_admin_page_and_an_admin_can(app, shop, console, clerk, manager):
    console.log_in(clerk)
    assert console.get("/settings/users/").status_code == 403
    console.get("/")
    assert "/backoffice/settings/users/" not in console.page  # not in the navigation either

    admin = Console(app.test_client())
    admin.log_in(manager)
    assert admin.get("/settings/users/").status_code == 200
    assert "clerk@kahvila.fi" in admin.page and "manager@kahvila.fi" in admin.page


def test_a_user_sees_only_their_own_tenants_users(app, shop, other_shop, console, clerk):
    other = make_console_user(app, other_shop, "boss@toinen.fi", "admin", "en")
    admin = Console(app.test_client())
    admin.log_in(other)
    admin.get("/settings/users/")
    assert "boss@toinen.fi" in admin.page and "clerk@kahvila.fi" not in admin.page
    # The same email and password at another organisation is another person: no sign-in across tenants.
    console.get("/login")
    assert console.post("/login", {"tenant": shop.slug, "email": other.email,
                                   "password": other.password}).status_code == 401


def test_the_language_is_the_users_choice_and_kept_for_the_next_session(app, console, clerk):
    console.log_in(clerk)
    console.get("/")
    console.post("/language", {"language": "sv", "next": "/backoffice/"})
    console.get("/")
    assert '<html lang="sv">' in console.page and "Väntar på åtgärd" in console.page
    again = Console(app.test_client())
    again.log_in(clerk)
    again.get("/")
    assert "Väntar på åtgärd" in again.page


def test_the_login_page_follows_the_browser_language_until_one_is_chosen(console):
    console.get("/login", headers={"Accept-Language": "fi-FI,fi;q=0.9,en;q=0.5"})
    assert "Kirjaudu sisään" in console.page
    console.post("/language", {"language": "sv", "next": "/backoffice/login"})
    console.get("/login", headers={"Accept-Language": "fi"})
    assert "Logga in" in console.page


def test_actions_are_audited_with_the_console_user(app, shop, console, clerk):
    console.log_in(clerk)
    console.get("/")
    console.post("/language", {"language": "fi"})
    console.get("/")
    console.post("/logout")
    actions = audit_actions(app, shop.tenant_id)
    assert [a for a in actions if a[0] == "console:clerk@kahvila.fi"] == [
        ("console:clerk@kahvila.fi", "console.login"), ("console:clerk@kahvila.fi", "console.language_changed"),
        ("console:clerk@kahvila.fi", "console.logout")]


def test_a_host_app_hands_over_its_own_signed_in_user(database_url):
    host = Flask("webshop")
    plugin = InvoicingPlugin(host, {"INVOICING_DATABASE_URL": database_url})
    shop = make_shop(host)
    signed_in: dict[str, HostUser | None] = {"user": None}

    @plugin.console_user_loader
    def load() -> HostUser | None:
        return signed_in["user"]

    client = host.test_client()
    assert client.get("/backoffice/").status_code == 302  # nobody signed in at the host: our own login
    signed_in["user"] = HostUser(tenant=shop.slug, label="maija", role="admin", language="en")
    page = client.get("/backoffice/settings/users/")
    assert page.status_code == 200
    assert "host:maija" in page.get_data(as_text=True)
    console = Console(client)
    console.get("/")
    console.post("/language", {"language": "sv"})
    assert ("host:maija", "console.language_changed") in audit_actions(host, shop.tenant_id)
    assert "Väntar på åtgärd" in client.get("/backoffice/").get_data(as_text=True)
    plugin_state(host).engine.dispose()


def test_the_console_can_be_mounted_elsewhere_or_switched_off(database_url):
    moved = create_app({"INVOICING_DATABASE_URL": database_url, "INVOICING_CONSOLE_PREFIX": "/staff"})
    assert moved.test_client().get("/staff/login").status_code == 200
    off = create_app({"INVOICING_DATABASE_URL": database_url, "INVOICING_CONSOLE_ENABLED": "false"})
    assert off.test_client().get("/backoffice/login").status_code == 404
    for app in (moved, off):
        plugin_state(app).engine.dispose()


def test_pages_run_only_the_consoles_own_scripts_and_are_framed_by_no_other_site(console, clerk):
    console.log_in(clerk)
    response = console.get("/")
    policy = response.headers["Content-Security-Policy"]
    # 'self' without 'unsafe-inline': the console's own files run, an inline script injected into a page not.
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "frame-ancestors 'self'" in policy
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
