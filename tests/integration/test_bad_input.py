"""Input no field should hold gets a 4xx problem and writes nothing, on every engine (issue 8, item 8)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from invoicing_plugin.db import Base
from invoicing_plugin.plugin import plugin_state
from tests.conftest import order_payload
from webhooks.signing import signed_headers


@pytest.fixture
def rows(session):
    """Row counts of every table, for comparing before and after a refused request."""

    def count() -> dict[str, int]:
        session.rollback()
        return {table.name: session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables}

    return count


def problems(response) -> dict[str, list[str]]:
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)[:200]
    result: dict[str, list[str]] = {}
    for error in response.json.get("errors", []):
        result.setdefault(error["field"], []).append(error["detail"])
    return result


def post_order(client, shop, body: bytes | str):
    return client.post("/api/v1/orders", data=body, content_type="application/json", headers=shop.auth())


def nested(levels: int) -> str:
    """An order whose `notes` holds arrays in arrays: the body is `levels` deep in all."""
    return json.dumps(order_payload())[:-1] + ', "notes": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


@pytest.mark.parametrize("levels", [33, 1000, 100_000])
def test_json_nested_deeper_than_32_levels_is_a_400(client, shop, rows, levels):
    before = rows()
    response = post_order(client, shop, nested(levels))
    assert response.status_code == 400
    assert response.json["code"] == "malformed_json"
    assert "nested at most 32 levels deep" in response.json["detail"]
    assert rows() == before


def test_32_levels_are_read_and_the_fields_judged(client, shop, rows):
    before = rows()
    response = post_order(client, shop, nested(32))
    assert response.status_code == 422
    assert problems(response) == {"notes": ["must be a string"]}
    assert rows() == before


def test_nul_and_lone_surrogates_anywhere_are_named_by_their_field(client, shop, rows):
    payload = order_payload()
    payload["customer"]["name"] = "Esimerkki \ud800Oy"
    payload["lines"].append({**payload["lines"][0], "description": "Espresso\u0000cup"})
    payload["contact"]["x\u0000"] = "y"  # in a key too, though the field is unknown anyway
    before = rows()

    response = post_order(client, shop, json.dumps(payload))  # json.dumps escapes both as \uXXXX

    assert response.status_code == 422 and response.json["code"] == "validation_failed"
    assert problems(response) == {
        "customer.name": ["contains \\ud800, one half of a UTF-16 surrogate pair without the other: "
                          "not a character"],
        "contact.x\\u0000": ["the name of this field contains a NUL character (\\u0000), which text may not hold"],
        "lines[1].description": ["contains a NUL character (\\u0000), which text may not hold"],
    }
    pointers = {error["pointer"] for error in response.json["errors"]}
    assert {"#/customer/name", "#/lines/1/description"} <= pointers
    assert rows() == before


def test_nul_in_a_free_settings_dictionary_is_refused_too(client, shop, rows):
    before = rows()
    response = client.patch("/api/v1/tenant", json={"layout": {"footer": "Kiitos\u0000"}}, headers=shop.auth("admin"))
    assert response.status_code == 422
    assert problems(response) == {"layout.footer": ["contains a NUL character (\\u0000), which text may not hold"]}
    assert rows() == before


@pytest.mark.parametrize("field, value, message", [
    ("external_id", "WS-1\n", "must be one line: no tabs or line breaks"),
    ("buyer_reference", "PO\t778", "must be one line: no tabs or line breaks"),
    ("notes", "Ring the bell\u0007", "contains the control character \\u0007, which text may not hold"),
])
def test_control_characters_are_refused_where_text_cannot_hold_them(client, shop, rows, field, value, message):
    before = rows()
    response = post_order(client, shop, json.dumps(order_payload(**{field: value})))
    assert response.status_code == 422
    assert problems(response) == {field: [message]}
    assert rows() == before


def test_line_breaks_stay_welcome_in_free_text(client, shop):
    response = post_order(client, shop, json.dumps(order_payload(notes="Leave at the door.\r\nThanks!\tM.")))
    assert response.status_code == 201


def test_a_callback_nested_too_deep_or_holding_nul_is_refused_and_not_stored(client, shop, rows):
    secret = client.post("/api/v1/tenant/inbound-webhooks/ropo24", headers=shop.auth("admin")).json["secret"]
    before = rows()
    for body in (b'{"messages": ' + b"[" * 1000 + b"]" * 1000 + b"}",
                 b'{"messages": [{"id": "m-1\\u0000", "event": "payment"}]}'):
        response = client.post(f"/webhooks/ropo24/{shop.slug}", data=body,
                               headers={**signed_headers(secret, body), "Content-Type": "application/json"})
        assert response.status_code == 400, response.json
        assert response.json["code"] == "malformed_callback"
    assert rows() == before


def test_a_url_longer_than_4096_bytes_is_a_414_problem(client, shop, rows):
    before = rows()
    response = client.get("/api/v1/invoices?cursor=" + "c" * 5000, headers=shop.auth("backoffice"))
    assert response.status_code == 414
    assert response.mimetype == "application/problem+json"
    assert response.json["detail"].startswith("the path and query string may be at most 4096 bytes")
    response = client.post("/api/v1/orders?x=" + "x" * 5000, json=order_payload(), headers=shop.auth())
    assert response.status_code == 414
    assert rows() == before


def test_a_long_cursor_within_the_url_limit_is_a_422(client, shop):
    response = client.get("/api/v1/invoices?cursor=" + "c" * 300, headers=shop.auth("backoffice"))
    assert response.status_code == 422
    assert problems(response) == {"cursor": ["length must be between 0 and 200"]}


def helsinki_today():
    return datetime.now(ZoneInfo("Europe/Helsinki")).date()  # the test merchant's calendar day


@pytest.mark.parametrize("delivery_date, words", [
    ("9999-12-31", "9999-12-31 is more than 1 year ahead; the latest date of supply accepted today is "),
    (lambda: helsinki_today().replace(year=helsinki_today().year - 11, day=1).isoformat(),
     "is more than 10 years ago; the earliest date of supply accepted today is "),
])
def test_a_tax_date_outside_its_window_is_a_422(client, shop, rows, delivery_date, words):
    day = delivery_date() if callable(delivery_date) else delivery_date
    before = rows()
    response = post_order(client, shop, json.dumps(order_payload(delivery_date=day)))
    assert response.status_code == 422
    [message] = problems(response)["delivery_date"]
    assert words in message
    assert rows() == before


@pytest.mark.parametrize("address", ["hello", "12345", "ab cd", "003726174165", "FI4819503000000011"])
def test_an_einvoice_address_is_an_ovt_code_or_an_iban(client, shop, rows, address):
    payload = order_payload()
    payload["customer"]["einvoice_address"] = address
    before = rows()
    response = post_order(client, shop, json.dumps(payload))
    assert response.status_code == 422
    assert list(problems(response)) == ["customer.einvoice_address"]
    assert rows() == before


def test_a_merchant_cannot_save_an_address_no_operator_routes_by(client, shop, rows):
    before = rows()
    response = client.patch("/api/v1/tenant", json={"einvoice_address": "hello", "einvoice_operator": "Nope"},
                            headers=shop.auth("admin"))
    assert response.status_code == 422
    errors = problems(response)
    assert errors["einvoice_address"][0].startswith("must be an OVT code")
    assert "003723327487 (Apix Messaging)" in errors["einvoice_operator"][0]
    assert rows() == before


@pytest.mark.parametrize("operator, stored", [("Apix", "003723327487"), ("Maventa", "003721291126"),
                                              ("okoyfihh", "OKOYFIHH")])
def test_an_operator_by_name_or_id_is_stored_as_its_id(client, shop, operator, stored):
    payload = order_payload()
    payload["customer"]["einvoice_operator"] = operator
    response = post_order(client, shop, json.dumps(payload))
    assert response.status_code == 201
    assert response.json["invoice"]["buyer"]["einvoice_operator"] == stored


def test_an_unknown_operator_is_refused_with_known_ones(client, shop, rows):
    payload = order_payload()
    payload["customer"]["einvoice_operator"] = "003726174164"  # a valid OVT code, but nobody's operator id
    before = rows()
    response = post_order(client, shop, json.dumps(payload))
    assert response.status_code == 422
    [message] = problems(response)["customer.einvoice_operator"]
    assert "is not a Finnish e-invoice operator we know" in message and "003721291126 (Maventa)" in message
    assert rows() == before


def test_a_chunked_body_over_the_limit_is_a_413_over_real_http(app, live_server, http, shop, rows):
    limit = plugin_state(app).settings.max_body_bytes
    body = json.dumps(order_payload(notes="x" * (limit + 10))).encode()
    before = rows()

    response = http.post(f"{live_server}/api/v1/orders", data=iter([body[:65536], body[65536:]]),
                         headers={**shop.auth(), "Content-Type": "application/json"}, timeout=30)

    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "body_too_large"
    assert rows() == before


def test_a_chunked_body_within_the_limit_is_read_whole(live_server, http, shop):
    body = json.dumps(order_payload(notes="x" * 900)).encode()
    response = http.post(f"{live_server}/api/v1/orders", data=iter([body[:100], body[100:]]),
                         headers={**shop.auth(), "Content-Type": "application/json"}, timeout=30)
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 201
