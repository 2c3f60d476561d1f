"""The VIES sandbox speaks the WSDL: serves it, checks requests against its schema, answers and fails as documented."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree
from stdnum.eu import vat

from adapters.vies.sandbox import DEMO_COMPANIES, SERVICE_PATH, SandboxStore, create_sandbox_app

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES = "urn:ec.europa.eu:taxud:vies:services:checkVat:types"


def envelope(operation: str, **values: str) -> bytes:
    fields = "".join(f"<t:{name}>{value}</t:{name}>" for name, value in values.items())
    return (f'<s:Envelope xmlns:s="{SOAP}" xmlns:t="{TYPES}"><s:Body><t:{operation}>{fields}</t:{operation}>'
            "</s:Body></s:Envelope>").encode()


@pytest.fixture
def store():
    return SandboxStore()


@pytest.fixture
def client(store):
    return create_sandbox_app(store, clock=lambda: datetime(2026, 12, 1, 9, tzinfo=UTC)).test_client()


def ask(client, operation="checkVatApprox", **values):
    response = client.post(SERVICE_PATH, data=envelope(operation, **values), content_type="text/xml")
    body = etree.fromstring(response.data).find(f"{{{SOAP}}}Body")[0]
    return response.status_code, body


def text(element, name):
    found = element.find(f"{{{TYPES}}}{name}")
    return None if found is None else found.text


def test_the_demo_companies_have_valid_check_digits():
    assert all(vat.is_valid(vat_id) for vat_id in DEMO_COMPANIES)


def test_the_wsdl_is_served_with_the_sandboxs_own_address(client):
    wsdl = client.get(f"{SERVICE_PATH}?wsdl").data
    assert b'location="http://localhost' + SERVICE_PATH.encode() + b'"' in wsdl and b"checkVatApprox" in wsdl


def test_a_registered_vat_id_is_valid_with_a_consultation_number_for_the_requester(client, store):
    status, answer = ask(client, countryCode="FI", vatNumber="20774740", requesterCountryCode="FI",
                         requesterVatNumber="07375462")
    assert status == 200 and text(answer, "valid") == "true" and text(answer, "traderName") == "Toinen Kauppa Oy"
    assert text(answer, "requestDate") == "2026-12-01+01:00" and len(text(answer, "requestIdentifier")) == 16
    assert store.checks[-1]["requester"] == "FI07375462"


def test_an_unknown_vat_id_is_invalid_and_check_vat_has_no_consultation_number(client):
    status, answer = ask(client, "checkVat", countryCode="SE", vatNumber="556000016701")
    assert status == 200 and text(answer, "valid") == "false" and text(answer, "requestIdentifier") is None


@pytest.mark.parametrize("values", [
    {"countryCode": "US", "vatNumber": "123456789"},  # not a member state
    {"countryCode": "FI", "vatNumber": "1"},  # shorter than the documented pattern
    {"countryCode": "FI", "vatNumber": "2077 4740"},  # a space: outside [0-9A-Za-z+*.]
    {"vatNumber": "20774740"},  # countryCode missing: the WSDL's schema refuses it
])
def test_input_outside_the_documented_patterns_is_invalid_input(client, values):
    status, fault = ask(client, **values)
    assert status == 500 and fault.findtext("faultstring") == "INVALID_INPUT"


def test_a_bad_requester_is_invalid_requester_info(client):
    _, fault = ask(client, countryCode="FI", vatNumber="20774740", requesterCountryCode="XX",
                   requesterVatNumber="1234")
    assert fault.findtext("faultstring") == "INVALID_REQUESTER_INFO"


def test_a_member_states_fault_counts_down_and_then_it_answers(client, store):
    store.queue_fault("MS_UNAVAILABLE", count=2, country="FI")
    faults = [ask(client, countryCode="FI", vatNumber="20774740")[1] for _ in range(3)]
    assert [f.findtext("faultstring") for f in faults[:2]] == ["MS_UNAVAILABLE"] * 2
    assert text(faults[2], "valid") == "true"
    assert text(ask(client, countryCode="SE", vatNumber="556703748501")[1], "valid") == "true"


def test_faults_are_queued_over_http_too(client):
    assert client.post("/_sandbox/faults", json={"fault": "NO_SUCH"}).status_code == 400
    assert client.post("/_sandbox/faults", json={"fault": "TIMEOUT"}).status_code == 200
    assert ask(client, countryCode="FI", vatNumber="20774740")[1].findtext("faultstring") == "TIMEOUT"
    client.post("/_sandbox/companies", json={"vat_id": "SE556000016701", "name": "Ny AB"})
    assert text(ask(client, countryCode="SE", vatNumber="556000016701")[1], "traderName") == "Ny AB"
    assert client.get("/_sandbox/state").json["checks"][-1]["vat_id"] == "SE556000016701"
