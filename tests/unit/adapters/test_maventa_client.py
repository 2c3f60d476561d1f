"""Maventa's wire shapes with `responses`: the token form, the multipart upload, the status read, the errors.

The token request and answer follow Maventa's REST "Authentication" page (client_id = company UUID,
client_secret = user API key, vendor_api_key, scope; access_token, token_type, expires_in, scope); the upload is
multipart with the XML as `file` (the third-party clients cited in client.py); the error body is {code, message,
details} as maventa2odoo reads it.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
import responses

from adapters.base import AdapterError, DeliveryContext
from adapters.maventa import maventa_channel
from adapters.maventa.channel import invoice_uuid
from adapters.maventa.config import MaventaConfig
from tests.factories import invoice_data

BASE = "https://ax-stage.maventa.com"
COMPANY = "0c9f1e0e-7f4b-4a57-9f0e-3c5b2a1d4e6f"
SETTINGS = {"base_url": BASE, "company_uuid": COMPANY, "user_api_key": "user-key-1",
            "vendor_api_key": "vendor-key-1", "format": "finvoice"}
FINVOICE = b"<Finvoice Version=\"3.0\"><InvoiceDetails><InvoiceNumber>1001</InvoiceNumber></InvoiceDetails></Finvoice>"
INVOICE_ID = invoice_uuid(COMPANY, "delivery-1")


def context() -> DeliveryContext:
    return DeliveryContext(delivery_id="1", idempotency_key="delivery-1", documents=lambda kind: FINVOICE)


def token_answer(rsps, lifetime=3600):
    rsps.post(f"{BASE}/oauth2/token", json={"access_token": "tok-1", "token_type": "bearer",
                                             "expires_in": lifetime, "scope": "global company invoice:send"})


@responses.activate
def test_the_token_request_is_the_documented_client_credentials_form():
    token_answer(responses)
    responses.post(f"{BASE}/v1/invoices", status=201, json={"id": INVOICE_ID, "status": "PENDING"})
    responses.get(f"{BASE}/v1/invoices/{INVOICE_ID}", json={"id": INVOICE_ID, "status": "SENT", "number": "1001",
                                                            "recipient": {"eia": "003726174164"}})
    result = maventa_channel(SETTINGS).deliver(invoice_data(), context())

    token, upload, status = (call.request for call in responses.calls)
    assert token.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token.body) == {"grant_type": ["client_credentials"], "client_id": [COMPANY],
                                    "client_secret": ["user-key-1"], "vendor_api_key": ["vendor-key-1"],
                                    "scope": ["global company invoice:send"]}
    assert upload.headers["Authorization"] == status.headers["Authorization"] == "Bearer tok-1"
    assert upload.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="invoice-1001.xml"' in upload.body and FINVOICE in upload.body
    assert f'name="id"\r\n\r\n{INVOICE_ID}'.encode() in upload.body
    assert (result.external_id, result.details["status"], result.details["recipient"]) == (
        INVOICE_ID, "SENT", "003726174164")


@responses.activate
def test_a_refused_upload_names_maventas_message_and_details_without_the_keys():
    token_answer(responses)
    responses.post(f"{BASE}/v1/invoices", status=422, json={
        "code": "invalid_file", "message": "the file does not validate", "details": ["line 3: IssueDate"]})
    with pytest.raises(AdapterError) as caught:
        maventa_channel(SETTINGS).deliver(invoice_data(), context())
    error = caught.value
    assert (error.retryable, error.http_status) == (False, 422)
    assert "the file does not validate: line 3: IssueDate" in error.message


@responses.activate
def test_a_routing_error_reported_in_the_status_ends_the_delivery_with_its_actions():
    token_answer(responses)
    responses.post(f"{BASE}/v1/invoices", status=201, json={"id": INVOICE_ID, "status": "PENDING"})
    responses.get(f"{BASE}/v1/invoices/{INVOICE_ID}", json={"id": INVOICE_ID, "status": "ERROR", "actions": [
        {"type": "ERROR", "message": "[BR-CO-15] total with VAT is not the sum"}]})
    with pytest.raises(AdapterError) as caught:
        maventa_channel(SETTINGS).deliver(invoice_data(), context())
    assert caught.value.code == "delivery_failed" and "BR-CO-15" in caught.value.message


@responses.activate
def test_refused_credentials_are_permanent_and_a_404_lookup_means_not_sent():
    responses.post(f"{BASE}/oauth2/token", status=401, json={"error": "invalid_client"})
    with pytest.raises(AdapterError) as caught:
        maventa_channel(SETTINGS).deliver(invoice_data(), context())
    assert (caught.value.retryable, caught.value.code) == (False, "unauthorized")
    assert "user-key-1" not in caught.value.message + caught.value.response_excerpt
    responses.replace(responses.POST, f"{BASE}/oauth2/token", json={"access_token": "t", "expires_in": 60})
    responses.get(f"{BASE}/v1/invoices/{INVOICE_ID}", status=404, json={"code": "not_found", "message": "no"})
    assert maventa_channel(SETTINGS).lookup(invoice_data(), context()) is None


@responses.activate
def test_a_503_is_retryable_with_its_retry_after():
    token_answer(responses)
    responses.post(f"{BASE}/v1/invoices", status=503, headers={"Retry-After": "12"}, body="down")
    with pytest.raises(AdapterError) as caught:
        maventa_channel(SETTINGS).deliver(invoice_data(), context())
    assert (caught.value.retryable, caught.value.retry_after) == (True, 12.0)


def test_every_settings_problem_is_named_at_once_and_no_value_is_quoted():
    with pytest.raises(ValueError) as caught:
        MaventaConfig.from_settings({"company_uuid": "x", "user_api_key": "has space", "format": "pdf",
                                     "base_url": "ftp://h", "colour": "red", "read_timeout": "soon"})
    said = str(caught.value)
    for problem in ("unknown setting 'colour'", "read_timeout must be a positive", "company_uuid must be",
                    "user_api_key must be printable", "vendor_api_key is missing", "format must be one of",
                    "base_url must be an http(s) URL"):
        assert problem in said
    assert "has space" not in said


def test_the_keys_stay_out_of_the_settings_repr():
    config = MaventaConfig.from_settings(SETTINGS)
    assert "user-key-1" not in repr(config) and "vendor-key-1" not in repr(config)
    assert json.dumps(SETTINGS)  # plain JSON, as the tenant stores it
