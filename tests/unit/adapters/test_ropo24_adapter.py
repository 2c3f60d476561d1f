"""The Ropo24 channel: delivering a job, treating a duplicate as delivered, finding a job by our number."""

import json

import pytest
import responses

from adapters.base import AdapterError, Channel, DeliveryContext
from adapters.ropo24 import Ropo24Channel, Ropo24Config, ropo24_channel
from adapters.ropo24.jwt import encode_hs256
from adapters.ropo24.mapping import build_job
from tests.factories import invoice_data

BASE = "https://ropo.test/rest"
CONTEXT = DeliveryContext(delivery_id="d-7", idempotency_key="delivery-d-7")
INVOICE = invoice_data()
TOKEN = encode_hs256({"cid": "12345", "exp": 4_000_000_000}, b"k")


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        mock.post(f"{BASE}/token", json={"token": TOKEN}, status=201)
        yield mock


@pytest.fixture
def channel() -> Ropo24Channel:
    return ropo24_channel({"cid": "12345", "apicode": "secret", "base_url": BASE})


def status_of(jobid, billnum="1001", billcode=INVOICE.reference):
    return [{"jobid": jobid, "billnum": billnum, "billcode": billcode, "status": 1,
             "statustext": "Invoicing"}]


def test_delivering_posts_the_job_with_the_delivery_key_and_returns_the_jobid(rsps, channel):
    rsps.post(f"{BASE}/jobs", status=201, json={
        "accepted": 1, "jobs": [{"jobid": 1000001, "billnum": "1001", "billcode": INVOICE.reference}]})
    result = channel.deliver(INVOICE, CONTEXT)

    request = rsps.calls[1].request
    assert json.loads(request.body) == {"datastream": {"dataset": [build_job(INVOICE)]}}
    assert request.headers["DataIdentifier"] == "delivery-d-7"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert (result.external_id, result.http_status) == ("1000001", 201)
    assert result.details["sendtype"] == "evoice"


def test_when_the_answer_names_no_jobid_it_is_found_by_billnum(rsps, channel):
    rsps.post(f"{BASE}/jobs", status=201, json={"accepted": 1})
    rsps.get(f"{BASE}/jobs/statusupdates?billnum=1001", json=status_of(555))
    assert channel.deliver(INVOICE, CONTEXT).external_id == "555"


def test_an_accepted_job_stays_delivered_even_if_its_id_cannot_be_read_back(rsps, channel):
    rsps.post(f"{BASE}/jobs", status=201, json={"accepted": 1})
    rsps.get(f"{BASE}/jobs/statusupdates?billnum=1001", status=503)
    result = channel.deliver(INVOICE, CONTEXT)
    assert (result.external_id, result.http_status) == (None, 201)


def test_a_duplicate_billnum_is_looked_up_and_reported_delivered(rsps, channel):
    rsps.post(f"{BASE}/jobs", status=409, json={"title": "Conflict", "status": 409, "detail": "taken"})
    rsps.get(f"{BASE}/jobs/statusupdates?billnum=1001", json=status_of(1000001))
    result = channel.deliver(INVOICE, CONTEXT)
    assert (result.external_id, result.http_status, result.details["duplicate"]) == ("1000001", 409, "true")


def test_a_duplicate_billnum_held_by_another_reference_is_a_permanent_conflict(rsps, channel):
    rsps.post(f"{BASE}/jobs", status=409, json={"title": "Conflict", "status": 409})
    rsps.get(f"{BASE}/jobs/statusupdates?billnum=1001", json=status_of(1000001, billcode="99991"))
    with pytest.raises(AdapterError) as caught:
        channel.deliver(INVOICE, CONTEXT)
    assert (caught.value.retryable, caught.value.code) == (False, "billnum_conflict")


def test_a_job_the_service_did_not_accept_is_a_permanent_failure(rsps, channel):
    rsps.post(f"{BASE}/jobs", status=201, json={"accepted": 0})
    with pytest.raises(AdapterError) as caught:
        channel.deliver(INVOICE, CONTEXT)
    assert (caught.value.retryable, caught.value.code) == (False, "not_accepted")


def test_lookup_returns_none_when_the_service_has_no_such_billnum(rsps, channel):
    rsps.get(f"{BASE}/jobs/statusupdates?billnum=1001", status=204)
    assert channel.lookup(INVOICE, CONTEXT) is None


def test_lookup_returns_the_job_with_its_status(rsps, channel):
    rsps.get(f"{BASE}/jobs/statusupdates?billnum=1001", json=status_of("1000001"))
    found = channel.lookup(INVOICE, CONTEXT)
    assert (found.external_id, found.details["status_text"]) == ("1000001", "Invoicing")


def test_the_factory_reads_the_tenants_settings():
    channel = ropo24_channel({"cid": 12345, "apicode": "secret", "read_timeout": "12.5", "currency": "EUR"})
    assert isinstance(channel, Channel) and channel.name == "ropo24"
    assert channel.config == Ropo24Config(cid="12345", apicode="secret", read_timeout=12.5)
    assert channel.config.base_url == "https://rc.ropo24.fi/rest"


def test_the_factory_refuses_settings_without_credentials():
    with pytest.raises(ValueError, match="apicode"):
        ropo24_channel({"cid": "12345"})
