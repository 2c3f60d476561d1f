"""Bad orders get problem details with every field problem at once, and change nothing."""

import json

import pytest
from sqlalchemy import func, select

from invoicing_plugin.db import AuditEvent, Customer, IdempotencyRecord, Invoice, Order, OrderLine
from tests.conftest import order_payload, pos_payload


@pytest.fixture
def nothing_written(session, shop):
    """Asserts, after the test, that no order-related row exists."""
    yield
    session.rollback()
    for model in (Order, OrderLine, Invoice, Customer, IdempotencyRecord):
        assert session.scalar(select(func.count()).select_from(model)) == 0, model.__name__
    assert "order.received" not in session.scalars(select(AuditEvent.action)).all()


def post(client, shop, body, **headers):
    return client.post("/api/v1/orders", headers={**shop.auth(), **headers}, **body)


def problems(response) -> dict[str, list[str]]:
    assert response.mimetype == "application/problem+json"
    result: dict[str, list[str]] = {}
    for error in response.json.get("errors", []):
        result.setdefault(error["field"], []).append(error["detail"])
    return result


def test_malformed_json_is_a_400(client, shop, nothing_written):
    response = post(client, shop, {"data": b'{"source": "webshop",', "content_type": "application/json"})
    assert response.status_code == 400
    assert response.json["code"] == "malformed_json"
    assert "not valid JSON" in response.json["detail"]


@pytest.mark.parametrize("raw", [b'[1, 2]', b'"order"', b'{"a": NaN}', b'{"source": "pos", "source": "webshop"}'])
def test_json_that_is_not_one_plain_object_is_a_400(client, shop, raw, nothing_written):
    response = post(client, shop, {"data": raw, "content_type": "application/json"})
    assert response.status_code == 400
    assert response.json["code"] == "malformed_json"


def test_a_body_that_is_not_json_is_a_415(client, shop, nothing_written):
    response = post(client, shop, {"data": "source=webshop", "content_type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415


def test_money_as_a_json_number_is_refused(client, shop, nothing_written):
    payload = order_payload()
    payload["lines"][0]["unit_price"] = 24.90
    payload["lines"][0]["quantity"] = 2
    response = post(client, shop, {"json": payload})

    assert response.status_code == 422
    errors = problems(response)
    assert errors["lines[0].unit_price"] == ['must be a decimal string such as "12.40", not a JSON number']
    assert errors["lines[0].quantity"] == ['must be a decimal string such as "12.40", not a JSON number']
    pointers = {e["pointer"] for e in response.json["errors"]}
    assert "#/lines/0/unit_price" in pointers


def test_wrong_types_are_each_named(client, shop, nothing_written):
    payload = order_payload(prices_include_vat="yes", external_id=10001, invoicing={"mode": "now",
                                                                                  "payment_terms_days": "14"})
    response = post(client, shop, {"json": payload})

    errors = problems(response)
    assert errors["prices_include_vat"] == ["must be true or false"]
    assert errors["external_id"] == ["must be a string"]
    assert errors["invoicing.mode"] == ["must be one of immediate, queue, collect"]
    assert errors["invoicing.payment_terms_days"] == ["must be a whole number"]


def test_every_field_problem_is_reported_at_once(client, shop, nothing_written):
    payload = order_payload(currency="EURO", source="shop")
    payload["customer"]["business_id"] = "2617416-5"
    payload["customer"]["einvoice_operator"] = "NOPE"
    payload["customer"]["email"] = "not-an-email"
    payload["lines"].append({"description": "Cups", "quantity": "0", "unit_price": "1.234567891",
                             "vat_rate": "12", "colour": "red"})
    response = post(client, shop, {"json": payload})

    assert response.status_code == 422
    assert response.json["code"] == "validation_failed"
    errors = problems(response)
    assert errors["customer.business_id"] == ["check digit does not match"]
    assert "003721291126" in errors["customer.einvoice_operator"][0]
    assert errors["customer.email"] == ["is not a valid email address"]
    assert errors["currency"] == ["must be an ISO 4217 currency code in use, such as EUR"]
    assert errors["source"] == ["must be one of webshop, pos"]
    assert errors["lines[1].quantity"] == ["may not be zero"]
    assert errors["lines[1].unit_price"] == ["may have at most 6 decimals"]
    assert errors["lines[1].colour"] == ["is not a field of this API"]
    assert errors["lines[1].vat_rate"][0].startswith("12 % is not a VAT rate of this merchant")
    assert "customer.business_id: check digit does not match" in response.json["detail"]


def test_an_unknown_vat_rate_lists_the_valid_ones(client, shop, nothing_written):
    payload = order_payload()
    payload["lines"][0]["vat_rate"] = "12"
    errors = problems(post(client, shop, {"json": payload}))
    assert errors["lines[0].vat_rate"] == [
        f"12 % is not a VAT rate of this merchant; valid rates on {shop.today().isoformat()}: 25.5, 13.5, 10, 0"]


def test_a_vat_rate_outside_its_validity_dates_is_refused(client, shop, nothing_written):
    payload = order_payload(delivery_date="2026-03-01")
    payload["lines"][0]["vat_rate"] = "24"
    errors = problems(post(client, shop, {"json": payload}))
    assert "24 % is not valid on 2026-03-01 (valid 2013-01-01 to 2024-08-31)" in errors["lines[0].vat_rate"][0]


def test_an_old_rate_is_right_for_an_old_delivery_date(client, shop):
    payload = order_payload(delivery_date="2024-08-31")
    payload["lines"][0]["vat_rate"] = "24"
    response = post(client, shop, {"json": payload})
    assert response.status_code == 201
    assert response.json["invoice"]["tax_date"] == "2024-08-31"


def test_an_empty_line_list_is_refused(client, shop, nothing_written):
    errors = problems(post(client, shop, {"json": order_payload(lines=[])}))
    assert errors["lines"] == ["an order needs at least one line"]


def test_too_many_lines_are_refused(client, shop, nothing_written):
    line = {"description": "x", "quantity": "1", "unit_price": "1.00", "vat_rate": "25.5"}
    errors = problems(post(client, shop, {"json": order_payload(lines=[line] * 501)}))
    assert errors["lines"] == ["an order may have at most 500 lines"]


def test_a_10_mb_body_is_refused_before_parsing(client, shop, nothing_written):
    body = json.dumps(order_payload(notes="x" * 10_000_000)).encode()
    response = post(client, shop, {"data": body, "content_type": "application/json"})
    assert response.status_code == 413
    assert response.json["code"] == "body_too_large"
    assert response.mimetype == "application/problem+json"


def test_overlong_strings_are_refused(client, shop, nothing_written):
    payload = order_payload(external_id="E" * 101)
    payload["lines"][0]["description"] = "d" * 501
    errors = problems(post(client, shop, {"json": payload}))
    assert "external_id" in errors and "lines[0].description" in errors


def test_missing_required_fields(client, shop, nothing_written):
    errors = problems(post(client, shop, {"json": {"lines": [{}]}}))
    for field in ("source", "external_id", "customer", "lines[0].description", "lines[0].quantity",
                  "lines[0].unit_price", "lines[0].vat_rate"):
        assert errors[field] == ["is required"], field


def test_a_finnish_organisation_needs_a_business_id_matching_its_vat_id(client, shop, nothing_written):
    payload = order_payload()
    payload["customer"]["vat_id"] = "FI20774740"
    errors = problems(post(client, shop, {"json": payload}))
    assert errors["customer.vat_id"] == ["does not match business_id 2617416-4 (its VAT ID is FI26174164)"]

    del payload["customer"]["business_id"]
    errors = problems(post(client, shop, {"json": payload}))
    assert errors["customer.business_id"] == ["is required for a Finnish organisation"]


def test_an_einvoice_address_needs_its_operator(client, shop, nothing_written):
    payload = order_payload()
    del payload["customer"]["einvoice_operator"]
    errors = problems(post(client, shop, {"json": payload}))
    assert errors["customer.einvoice_operator"][0].startswith("is required with einvoice_address")


def test_a_pos_order_names_store_terminal_and_cashier(client, shop, nothing_written):
    payload = pos_payload()
    del payload["terminal_id"], payload["cashier"]
    errors = problems(post(client, shop, {"json": payload}))
    assert errors == {"terminal_id": ["is required for a POS order"], "cashier": ["is required for a POS order"]}


def test_reverse_charge_needs_the_buyers_vat_id(client, shop, nothing_written):
    payload = order_payload(lines=[{"description": "Work", "quantity": "1", "unit_price": "100.00",
                                    "vat_rate": "0", "vat_category": "AE"}])
    del payload["customer"]["vat_id"]
    errors = problems(post(client, shop, {"json": payload}))
    assert errors["customer.vat_id"][0].startswith("is required: line 0 is AE")


def test_a_negative_total_is_a_credit_note_not_an_invoice(client, shop, nothing_written):
    payload = order_payload(lines=[{"description": "Refund", "quantity": "-1", "unit_price": "10.00",
                                    "vat_rate": "25.5"}])
    errors = problems(post(client, shop, {"json": payload}))
    assert errors["lines"] == ["the total is negative (-12.55 EUR); a refund is a credit note"]


def test_an_unknown_number_series_is_named(client, shop, nothing_written):
    errors = problems(post(client, shop, {"json": order_payload(invoicing={"mode": "immediate", "series": "B2B"})}))
    assert errors["invoicing.series"] == ["no number series named 'B2B'"]


def test_unknown_top_level_fields_are_refused(client, shop, nothing_written):
    errors = problems(post(client, shop, {"json": order_payload(discount="10%")}))
    assert errors == {"discount": ["is not a field of this API"]}


def test_a_bad_idempotency_key_is_refused(client, shop, nothing_written):
    response = post(client, shop, {"json": order_payload()}, **{"Idempotency-Key": "with space"})
    assert response.status_code == 422
    assert problems(response) == {"Idempotency-Key": ["must be 1 to 255 visible ASCII characters"]}


def test_unknown_routes_and_methods_are_problems_too(client, shop):
    missing = client.get("/api/v1/nothing-here", headers=shop.auth())
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    wrong_method = client.delete("/api/v1/orders", headers=shop.auth())
    assert wrong_method.status_code == 405 and wrong_method.mimetype == "application/problem+json"
    assert "POST" in wrong_method.headers["Allow"]
