"""The `invoicing` command: scripts can set a shop up and capture what it prints on its last line."""

import json

from click.testing import CliRunner

from invoicing_plugin.cli import main
from tests.conftest import order_payload


def test_a_script_creates_a_tenant_and_a_key_that_works(invoke, client):
    code, lines = invoke("create-tenant", "--name", "Leipomo Oy", "--business-id", "2077474-0",
                         "--iban", "FI4819503000000010")
    assert code == 0 and lines[-1] == "leipomo-oy"
    code, lines = invoke("create-api-key", "--tenant", "leipomo-oy", "--role", "checkout")
    assert code == 0 and lines[-1].startswith("ik_")
    response = client.post("/api/v1/orders", json=order_payload(),
                           headers={"Authorization": f"Bearer {lines[-1]}"})
    assert response.status_code == 201
    assert response.json["invoice"]["seller"]["name"] == "Leipomo Oy"


def test_bad_input_is_a_clear_message_and_exit_code_2(invoke):
    code, lines = invoke("create-tenant", "--name", "X", "--business-id", "2077474-1", "--iban", "FI00")
    assert code == 2
    assert "business_id: check digit does not match" in lines[-1]
    assert "iban:" in lines[-1]
    code, lines = invoke("create-api-key", "--tenant", "nobody", "--role", "admin")
    assert code == 2 and "no tenant 'nobody'" in lines[-1]


def test_settings_vat_rates_and_series_change_from_the_command_line(invoke):
    invoke("create-tenant", "--name", "Leipomo Oy", "--business-id", "2077474-0")
    assert invoke("update-tenant", "--tenant", "leipomo-oy", "--set", "payment_terms_days=30",
                  "--set", "default_language=sv")[0] == 0
    assert invoke("set-vat-rates", "--tenant", "leipomo-oy", "--rate", "25.5:2024-09-01",
                  "--rate", "24:2013-01-01:2024-08-31", "--rate", "0")[0] == 0
    assert invoke("number-series", "--tenant", "leipomo-oy", "--name", "pos", "--prefix", "P-",
                  "--next-number", "100")[0] == 0
    code, lines = invoke("show-tenant", "--tenant", "leipomo-oy")
    settings = json.loads("\n".join(lines))
    assert settings["payment_terms_days"] == 30 and settings["default_language"] == "sv"
    assert [r["rate"] for r in settings["vat_rates"]] == ["25.5", "24", "0"]
    assert {"name": "pos", "prefix": "P-", "reference_prefix": "2", "next_number": 100,
            "chronological_dates": False} in settings["number_series"]


def test_commands_before_migrate_say_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("INVOICING_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    result = CliRunner().invoke(main, ["create-tenant", "--name", "X Oy", "--business-id", "2077474-0"])
    assert result.exit_code == 2 and "run `invoicing migrate` first" in result.output
