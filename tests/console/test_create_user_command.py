"""`invoicing create-user`: a console user who can then sign in; the password asked for, never echoed."""

from __future__ import annotations

from click.testing import CliRunner

from invoicing_plugin.cli import main

from .conftest import Console


def test_create_user_makes_a_console_user_who_can_sign_in(app, shop, invoke, console):
    code, lines = invoke("create-user", "--tenant", shop.slug, "--email", "Maija@Kahvila.fi", "--role", "admin",
                         "--password", "a long enough secret")
    assert code == 0, lines
    assert lines[-1] == f"console user maija@kahvila.fi (admin) of {shop.slug} created"
    console.get("/login")
    response = console.post("/login", {"tenant": shop.slug, "email": "maija@kahvila.fi",
                                       "password": "a long enough secret"})
    assert response.status_code == 302
    assert console.get("/settings/users/").status_code == 200


def test_create_user_prompts_for_the_password_twice_without_showing_it(app, shop, database_url, monkeypatch):
    monkeypatch.setenv("INVOICING_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["create-user", "--tenant", shop.slug, "--email", "kassa@kahvila.fi",
                                       "--role", "backoffice"], input="a long enough secret\na long enough secret\n")
    assert result.exit_code == 0, result.output
    assert "a long enough secret" not in result.output
    assert Console(app.test_client()).log_in(
        type("U", (), {"tenant": shop.slug, "email": "kassa@kahvila.fi", "password": "a long enough secret"})()
    ).status_code == 302


def test_create_user_refuses_a_short_password_a_bad_email_and_a_second_user_with_one_email(shop, invoke):
    code, lines = invoke("create-user", "--tenant", shop.slug, "--email", "not-an-email", "--role", "backoffice",
                         "--password", "short")
    assert code == 2
    assert "email: is not an email address" in lines[-1] and "password: must have at least 12" in lines[-1]
    args = ("create-user", "--tenant", shop.slug, "--email", "a@kahvila.fi", "--role", "backoffice",
            "--password", "a long enough secret")
    assert invoke(*args)[0] == 0
    code, lines = invoke(*args)
    assert code == 2 and "has a console user a@kahvila.fi already" in lines[-1]
