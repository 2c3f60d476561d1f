"""The Netvisor client on the wire (faked with `responses`): headers, MAC, envelope, reads, error mapping."""

import hashlib
import hmac
import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count
from xml.sax.saxutils import escape

import pytest
import requests
import responses

from adapters.base import AdapterError
from adapters.netvisor import NetvisorClient, NetvisorConfig

HOST = "https://isvapi.netvisor.fi"
CUSTOMER_KEY = "7cd680e89e880553358bc07cd28b0ee2"
PARTNER_KEY = "07f94228d149a96b2f25e3edad55096e"
NOW = datetime(2026, 11, 21, 12, 30, 5, 123000, tzinfo=UTC)
CONFIG = NetvisorConfig(sender="Testiclient", customer_id="Integraatiokayttajan tunnus",
                        customer_key=CUSTOMER_KEY, partner_id="xxx_yyy", partner_key=PARTNER_KEY,
                        organisation_id="1967543-8")
OK_INSERTED = ('<?xml version="1.0" encoding="utf-8"?><Root><ResponseStatus><Status>OK</Status>'
               "<TimeStamp>21.11.2026 14:30:05</TimeStamp></ResponseStatus>"
               "<Replies><InsertedDataIdentifier>8</InsertedDataIdentifier></Replies></Root>")


def failed(code_and_message: str) -> str:
    return (f"<Root><ResponseStatus><Status>FAILED</Status><Status>{escape(code_and_message)}</Status>"
            "<TimeStamp>21.11.2026 14:30:05</TimeStamp></ResponseStatus></Root>")


def client(config: NetvisorConfig = CONFIG) -> NetvisorClient:
    numbers = count(1)
    return NetvisorClient(config, clock=lambda: NOW, new_transaction_id=lambda: f"{next(numbers):032x}")


def test_an_invoice_is_posted_with_every_header_and_a_mac_over_the_exact_url():
    body = b"<Root><SalesInvoice><SalesInvoiceNumber>1001</SalesInvoiceNumber></SalesInvoice></Root>"
    with responses.RequestsMock() as mock:
        mock.post(f"{HOST}/salesinvoice.nv?method=add", body=OK_INSERTED)
        inserted = client().add_sales_invoice(body)
        sent = mock.calls[0].request

    assert inserted.netvisor_key == "8"
    assert sent.url == "https://isvapi.netvisor.fi/salesinvoice.nv?method=add"
    assert sent.body == body
    unix = int(NOW.timestamp())
    message = (f"https://isvapi.netvisor.fi/salesinvoice.nv?method=add&Testiclient&"
               f"Integraatiokayttajan tunnus&2026-11-21 12:30:05.123&FI&1967543-8&{1:032x}&{unix}&"
               f"{CUSTOMER_KEY}&{PARTNER_KEY}")
    key = f"{CUSTOMER_KEY}&{PARTNER_KEY}".encode("iso-8859-1")
    expected_mac = hmac.new(key, message.encode("iso-8859-1"), hashlib.sha256).hexdigest()
    netvisor_headers = {k: v for k, v in sent.headers.items() if k.lower().startswith("x-netvisor")}
    assert netvisor_headers == {
        "X-Netvisor-Authentication-Sender": "Testiclient",
        "X-Netvisor-Authentication-CustomerId": "Integraatiokayttajan tunnus",
        "X-Netvisor-Authentication-PartnerId": "xxx_yyy",
        "X-Netvisor-Authentication-Timestamp": "2026-11-21 12:30:05.123",
        "X-Netvisor-Authentication-TransactionId": f"{1:032x}",
        "X-Netvisor-Interface-Language": "FI",
        "X-Netvisor-Organisation-ID": "1967543-8",
        "X-Netvisor-Authentication-MAC": expected_mac,
        "X-Netvisor-Authentication-MACHashCalculationAlgorithm": "HMACSHA256",
        "X-Netvisor-Authentication-TimestampUnix": str(unix),
        "X-Netvisor-Authentication-UseHTTPResponseStatusCodes": "1",
    }
    assert sent.headers["Content-Type"] == "text/xml; charset=utf-8"


def test_the_mac_covers_the_query_string_of_a_read():
    with responses.RequestsMock() as mock:
        mock.get(f"{HOST}/salesinvoicelist.nv?invoicenumber=1001", body=OK_INSERTED)
        client(NetvisorConfig(**{**CONFIG.__dict__, "mac_algorithm": "SHA256"})).list_sales_invoices(
            invoice_number="1001")
        sent = mock.calls[0].request
    message = (f"{HOST}/salesinvoicelist.nv?invoicenumber=1001&Testiclient&Integraatiokayttajan tunnus&"
               f"2026-11-21 12:30:05.123&FI&1967543-8&{1:032x}&{CUSTOMER_KEY}&{PARTNER_KEY}")
    assert sent.headers["X-Netvisor-Authentication-MAC"] == hashlib.sha256(message.encode()).hexdigest()
    assert sent.headers["X-Netvisor-Authentication-MACHashCalculationAlgorithm"] == "SHA256"


def test_each_request_gets_a_fresh_transaction_id():
    with responses.RequestsMock() as mock:
        mock.post(f"{HOST}/salesinvoice.nv?method=add", body=OK_INSERTED)
        real = NetvisorClient(CONFIG)
        real.add_sales_invoice(b"<Root/>")
        real.add_sales_invoice(b"<Root/>")
        ids = [call.request.headers["X-Netvisor-Authentication-TransactionId"] for call in mock.calls]
    assert ids[0] != ids[1]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_an_answer_is_read_whatever_the_case_of_its_element_names():
    lower = ("<root><responsestatus><status>ok</status></responsestatus>"
             "<replies><inserteddataidentifier>77</inserteddataidentifier></replies></root>")
    with responses.RequestsMock() as mock:
        mock.post(f"{HOST}/salesinvoice.nv?method=add", body=lower)
        assert client().add_sales_invoice(b"<Root/>").netvisor_key == "77"


def test_invoices_are_listed_by_number_with_comma_decimals_as_decimals():
    answer = ("<Root><ResponseStatus><Status>OK</Status></ResponseStatus><SalesInvoiceList><SalesInvoice>"
              "<NetvisorKey>165</NetvisorKey><InvoiceNumber>1001</InvoiceNumber>"
              '<Invoicedate format="ansi">2026-11-21</Invoicedate><InvoiceStatus substatus="overdue">open'
              "</InvoiceStatus><ReferenceNumber>1 10013</ReferenceNumber><InvoiceSum>260,66</InvoiceSum>"
              "<openSum>60,66</openSum></SalesInvoice></SalesInvoiceList></Root>")
    with responses.RequestsMock() as mock:
        mock.get(f"{HOST}/salesinvoicelist.nv?invoicenumber=1001&invoicesabovenetvisorkey=100", body=answer)
        [row] = client().list_sales_invoices(invoice_number="1001", above_netvisor_key=100)
    assert (row.netvisor_key, row.invoice_number) == ("165", "1001")
    assert (row.status, row.substatus) == ("open", "overdue")
    assert (row.invoice_sum, row.open_sum) == (Decimal("260.66"), Decimal("60.66"))
    assert row.invoice_date == date(2026, 11, 21)


def test_payments_are_listed_above_a_key_with_finnish_dates():
    answer = ("<Root><ResponseStatus><Status>OK</Status></ResponseStatus><SalesPaymentList><SalesPayment>"
              "<NetvisorKey>5002</NetvisorKey><Name>Esimerkki Oy</Name><Date>5.12.2026</Date>"
              "<Sum>1 234,50</Sum><ReferenceNumber>110013</ReferenceNumber>"
              "<InvoiceNumber>1001</InvoiceNumber><BankStatus>OK</BankStatus>"
              "</SalesPayment></SalesPaymentList></Root>")
    with responses.RequestsMock() as mock:
        mock.get(f"{HOST}/salespaymentlist.nv?abovenetvisorkey=5001", body=answer)
        [payment] = client().list_sales_payments(above_netvisor_key=5001)
    assert payment.date == date(2026, 12, 5)
    assert payment.amount == Decimal("1234.50")
    assert (payment.netvisor_key, payment.invoice_number) == ("5002", "1001")
    assert payment.reference_number == "110013"


def test_a_row_in_an_unknown_format_is_a_permanent_protocol_error():
    answer = ("<Root><ResponseStatus><Status>OK</Status></ResponseStatus><SalesPaymentList><SalesPayment>"
              "<NetvisorKey>5002</NetvisorKey><Date>2026/12/05</Date><Sum>12,00</Sum>"
              "</SalesPayment></SalesPaymentList></Root>")
    with responses.RequestsMock() as mock:
        mock.get(f"{HOST}/salespaymentlist.nv", body=answer)
        with pytest.raises(AdapterError, match="salespaymentlist.nv: unreadable row") as caught:
            client().list_sales_payments()
    assert caught.value.retryable is False and "2026/12/05" in caught.value.response_excerpt


def test_an_empty_list_is_no_rows():
    with responses.RequestsMock() as mock:
        mock.get(f"{HOST}/salespaymentlist.nv",
                 body="<Root><ResponseStatus><Status>OK</Status></ResponseStatus></Root>")
        assert client().list_sales_payments() == []


HTTP_DATE_IN_2_MINUTES = "Sat, 21 Nov 2026 12:32:05 GMT"


@pytest.mark.parametrize("status, body, headers, retryable, code, retry_after", [
    (200, failed("SYSTEM_MAINTANANCE :: Huoltokatko"), {}, True, "SYSTEM_MAINTANANCE", None),
    (200, failed("TECHNICAL_ERROR :: Tekninen virhe"), {}, True, "TECHNICAL_ERROR", None),
    (400, failed("TECHNICAL_ERROR :: the code outranks the status"), {}, True, "TECHNICAL_ERROR", None),
    (200, failed("REQUEST_NOT_UNIQUE :: TransactionId on jo käytetty"), {}, True, "REQUEST_NOT_UNIQUE", None),
    (401, failed("AUTHENTICATION_FAILED :: Kumppania ei löydy"), {}, False, "AUTHENTICATION_FAILED", None),
    (200, failed("INVALID_DATA :: Tuotetta ei löydy"), {}, False, "INVALID_DATA", None),
    (200, failed("INVALID_DATA_SIZE :: Liian pitkä"), {}, False, "INVALID_DATA_SIZE", None),
    (200, failed("PERIOD_LOCK :: Kausi on lukittu"), {}, False, "PERIOD_LOCK", None),
    (403, failed("SERVICE_ACCESS_ERROR :: Ei oikeutta"), {}, False, "SERVICE_ACCESS_ERROR", None),
    (409, failed("DUPLICATE_DATA :: Laskunumero on jo käytössä"), {}, False, "DUPLICATE_DATA", None),
    (500, failed("INVALID_DATA :: the code outranks the status"), {}, False, "INVALID_DATA", None),
    (200, failed("SOMETHING_NEW :: unknown code"), {}, False, "SOMETHING_NEW", None),
    (503, failed("SOMETHING_NEW :: unknown code"), {}, True, "SOMETHING_NEW", None),
    (500, "Internal Server Error", {}, True, None, None),
    (502, "<html>Bad Gateway</html>", {}, True, None, None),
    (503, "", {}, True, None, None),
    (429, "Too Many Requests", {"Retry-After": "7"}, True, None, 7.0),
    (429, "Too Many Requests", {"Retry-After": HTTP_DATE_IN_2_MINUTES}, True, None, 120.0),
    (400, "Bad Request", {}, False, None, None),
    (401, "Unauthorized", {}, False, None, None),
    (404, "Not Found", {}, False, None, None),
    (200, "<html>a proxy's page</html>", {}, True, None, None),  # unknown outcome: the lookup decides
])
def test_failures_map_to_retryable_or_permanent_errors(status, body, headers, retryable, code, retry_after):
    with responses.RequestsMock() as mock:
        mock.post(f"{HOST}/salesinvoice.nv?method=add", body=body, status=status, headers=headers)
        with pytest.raises(AdapterError) as caught:
            client().add_sales_invoice(b"<Root/>")
    error = caught.value
    assert (error.retryable, error.code, error.retry_after) == (retryable, code, retry_after)
    assert error.http_status == status
    if code and ":: " in body:
        assert body.split(":: ")[1].split("<")[0] in error.message  # the service's own words reach the log


@pytest.mark.parametrize("raised, words", [
    (requests.exceptions.ConnectTimeout(), "could not connect within 5 s"),
    (requests.exceptions.ReadTimeout(), "no answer within 30 s; the request may have been applied"),
    (requests.exceptions.ConnectionError(), "connection failed"),
    (requests.exceptions.ChunkedEncodingError(), "connection failed"),
])
def test_timeouts_and_connection_errors_are_retryable(raised, words):
    with responses.RequestsMock() as mock:
        mock.post(f"{HOST}/salesinvoice.nv?method=add", body=raised)
        with pytest.raises(AdapterError, match=words) as caught:
            client().add_sales_invoice(b"<Root/>")
    assert caught.value.retryable is True


def test_an_echoed_mac_string_leaves_no_key_in_the_error_or_the_log(caplog):
    # Netvisor echoes the string it hashed: ours up to the transaction id, then the keys *it* knows.
    echoed = (f"AUTHENTICATION_FAILED :: Virheellinen MAC: {HOST}/salesinvoice.nv?method=add&Testiclient&"
              f"Integraatiokayttajan tunnus&2026-11-21 12:30:05.123&FI&1967543-8&{1:032x}&1795264205&"
              f"their-real-customer-key&their-real-partner-key (ours were {CUSTOMER_KEY}, {PARTNER_KEY})")
    caplog.set_level(logging.DEBUG)
    with responses.RequestsMock() as mock:
        mock.post(f"{HOST}/salesinvoice.nv?method=add", body=failed(echoed), status=401)
        with pytest.raises(AdapterError) as caught:
            client().add_sales_invoice(b"<Root/>")
    error = caught.value
    everything = " ".join([error.message, str(error), error.response_excerpt, caplog.text])
    for secret in (CUSTOMER_KEY, PARTNER_KEY, "their-real-customer-key", "their-real-partner-key"):
        assert secret not in everything
    assert "Virheellinen MAC" in error.message and error.code == "AUTHENTICATION_FAILED"


def test_settings_problems_are_named_without_their_values():
    with pytest.raises(ValueError) as caught:
        NetvisorConfig(**{**CONFIG.__dict__, "mac_algorithm": "SHA1", "partner_key": ""})
    assert "mac_algorithm must be one of HMACSHA256, SHA256, MD5" in str(caught.value)
    assert "partner_key is missing" in str(caught.value)
    assert CUSTOMER_KEY not in str(caught.value) and CUSTOMER_KEY not in repr(CONFIG)
