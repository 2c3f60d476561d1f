"""The VIES client (zeep, the shipped WSDL) against exact SOAP answers, with `responses`: nothing else is fetched."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import requests
import responses
from lxml import etree

from adapters.vies.client import OFFICIAL_URL, WSDL_PATH, ViesClient, fault_code, resolve_url

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES = "urn:ec.europa.eu:taxud:vies:services:checkVat:types"
# ../shared/schemas beside the checkout (a worktree under wt/ has it one level further up).
SHARED_WSDL = next((folder / "shared" / "schemas" / "vies" / "checkVatService.wsdl"
                    for folder in Path(__file__).parents[2:5]
                    if (folder / "shared" / "schemas" / "vies").is_dir()), Path("/nonexistent"))

# The shape of a real checkVatApprox answer (VIES FAQ and the WSDL): a date with its zone, "---" for what the
# member state does not disclose, the consultation number last.
VALID = f"""<env:Envelope xmlns:env="{SOAP}"><env:Header/><env:Body>
<ns2:checkVatApproxResponse xmlns:ns2="{TYPES}"><ns2:countryCode>DE</ns2:countryCode>
<ns2:vatNumber>136695976</ns2:vatNumber><ns2:requestDate>2026-12-01+01:00</ns2:requestDate>
<ns2:valid>true</ns2:valid><ns2:traderName>---</ns2:traderName><ns2:traderCompanyType>---</ns2:traderCompanyType>
<ns2:traderAddress>---</ns2:traderAddress><ns2:requestIdentifier>WAPIAAAAW1Xm4Eu8</ns2:requestIdentifier>
</ns2:checkVatApproxResponse></env:Body></env:Envelope>"""
INVALID = VALID.replace("<ns2:valid>true", "<ns2:valid>false")


def fault(code: str) -> str:
    return (f'<env:Envelope xmlns:env="{SOAP}"><env:Body><env:Fault><faultcode>env:Server</faultcode>'
            f"<faultstring>{code}</faultstring></env:Fault></env:Body></env:Envelope>")


@pytest.fixture
def client() -> ViesClient:
    return ViesClient(OFFICIAL_URL, timeout=2, session=requests.Session())


def test_the_shipped_wsdl_is_the_official_one_byte_for_byte():
    if not SHARED_WSDL.exists():
        pytest.skip("the shared schemas are not beside the project")
    assert WSDL_PATH.read_bytes() == SHARED_WSDL.read_bytes()


@responses.activate
def test_check_vat_approx_sends_the_requester_and_keeps_the_consultation_number(client):
    responses.post(OFFICIAL_URL, body=VALID, content_type="text/xml")
    answer = client.check("DE 136 695 976", "FI07375462")
    assert (answer.status, answer.vat_id, answer.consultation_number) == ("valid", "DE136695976", "WAPIAAAAW1Xm4Eu8")
    assert (answer.name, answer.address, answer.request_date) == (None, None, date(2026, 12, 1))
    [call] = responses.calls  # the WSDL came from the package: the only request is the check itself
    sent = etree.fromstring(call.request.body)
    values = {etree.QName(e).localname: e.text for e in sent.find(f"{{{SOAP}}}Body/{{{TYPES}}}checkVatApprox")}
    assert values == {"countryCode": "DE", "vatNumber": "136695976", "requesterCountryCode": "FI",
                      "requesterVatNumber": "07375462"}


@responses.activate
def test_an_invalid_answer_is_invalid(client):
    responses.post(OFFICIAL_URL, body=INVALID, content_type="text/xml")
    assert client.check("DE136695976", "FI07375462").status == "invalid"


@pytest.mark.parametrize("code", ["MS_UNAVAILABLE", "TIMEOUT", "SERVICE_UNAVAILABLE", "MS_MAX_CONCURRENT_REQ",
                                  "GLOBAL_MAX_CONCURRENT_REQ", "INVALID_REQUESTER_INFO", "IP_BLOCKED"])
@responses.activate
def test_faults_that_may_pass_are_unavailable_never_valid_or_invalid(client, code):
    responses.post(OFFICIAL_URL, body=fault(code), status=500, content_type="text/xml")
    answer = client.check("DE136695976", "FI07375462")
    assert (answer.status, answer.fault, answer.consultation_number) == ("unavailable", code, None)


@responses.activate
def test_invalid_input_is_invalid(client):
    responses.post(OFFICIAL_URL, body=fault("INVALID_INPUT"), status=500, content_type="text/xml")
    assert (client.check("DE1", None).status, client.check("DE1", None).fault) == ("invalid", "INVALID_INPUT")


@responses.activate
def test_an_error_page_a_timeout_and_a_refused_connection_are_unavailable(client):
    responses.post(OFFICIAL_URL, body="<html>Service Unavailable</html>", status=503, content_type="text/html")
    assert (client.check("DE136695976").status, client.check("DE136695976").fault) == ("unavailable", "HTTP_503")
    responses.replace(responses.POST, OFFICIAL_URL, body=requests.Timeout("read timed out"))
    assert client.check("DE136695976").fault == "TIMEOUT"
    responses.replace(responses.POST, OFFICIAL_URL, body=requests.ConnectionError("refused"))
    assert client.check("DE136695976").fault == "CONNECTION_ERROR"


def test_fault_codes_are_read_from_longer_fault_strings():
    assert fault_code("MS_UNAVAILABLE") == "MS_UNAVAILABLE"
    assert fault_code("ERROR: GLOBAL_MAX_CONCURRENT_REQ reached") == "GLOBAL_MAX_CONCURRENT_REQ"
    assert fault_code("something else") is None


def test_the_url_setting():
    assert resolve_url(None) is None and resolve_url("") is None and resolve_url("off") is None
    assert resolve_url("official") == OFFICIAL_URL
    assert resolve_url(" http://127.0.0.1:8766/checkVatService ") == "http://127.0.0.1:8766/checkVatService"
