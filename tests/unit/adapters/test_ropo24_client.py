"""The Ropo24 client on the wire: token auth and caching, headers, status polling, error mapping."""

import json
from decimal import Decimal

import pytest
import requests
import responses

from adapters.base import AdapterError
from adapters.ropo24.client import Ropo24Client, Ropo24Config
from adapters.ropo24.errors import DuplicateJob
from adapters.ropo24.jwt import encode_hs256

BASE = "https://ropo.test/rest"
APICODE = "s3cret-apicode"
NOW = 1_800_000_000.0


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        yield mock


def jwt(exp: float | None, name: str = "a") -> str:
    claims = {"cid": "12345", "name": name} | ({"exp": int(exp)} if exp is not None else {})
    return encode_hs256(claims, b"ropo-side-key")


def make_client(clock=None, **config) -> Ropo24Client:
    config = Ropo24Config(cid="12345", apicode=APICODE, base_url=BASE, **config)
    return Ropo24Client(config, clock=clock or Clock())


def token_reply(rsps, *tokens: str, status: int = 201):
    for token in tokens:
        rsps.post(f"{BASE}/token", json={"token": token}, status=status)


def calls_to(rsps, path: str) -> list:
    return [call for call in rsps.calls if call.request.url.split("?")[0] == f"{BASE}{path}"]


def test_token_request_sends_cid_and_apicode_and_jobs_carry_the_bearer_and_data_identifier(rsps):
    token = jwt(NOW + 7200)
    token_reply(rsps, token)
    rsps.post(f"{BASE}/jobs", json={"accepted": 1}, status=201)
    result = make_client().submit_jobs([{"jobtype": "0"}], data_identifier="delivery-42")

    token_call, jobs_call = rsps.calls
    assert json.loads(token_call.request.body) == {"cid": "12345", "apicode": APICODE}
    assert jobs_call.request.headers["Authorization"] == f"Bearer {token}"
    assert jobs_call.request.headers["DataIdentifier"] == "delivery-42"
    assert json.loads(jobs_call.request.body) == {"datastream": {"dataset": [{"jobtype": "0"}]}}
    assert result.accepted == 1


def test_the_token_is_reused_until_the_refresh_margin_before_its_expiry(rsps):
    clock = Clock()
    first, second = jwt(NOW + 7200, "first"), jwt(NOW + 14400, "second")
    token_reply(rsps, first, second)
    rsps.get(f"{BASE}/jobs/statusupdates", status=204)
    client = make_client(clock, token_refresh_margin=300)
    client.status_updates()
    clock.now = NOW + 7200 - 301  # still outside the margin
    client.status_updates()
    clock.now = NOW + 7200 - 299  # inside it: renew before Ropo would refuse the token
    client.status_updates()

    polls = calls_to(rsps, "/jobs/statusupdates")
    assert len(calls_to(rsps, "/token")) == 2
    assert [call.request.headers["Authorization"] for call in polls] == [
        f"Bearer {first}", f"Bearer {first}", f"Bearer {second}"]


def test_a_token_without_exp_is_trusted_for_two_hours(rsps):
    clock = Clock()
    token_reply(rsps, jwt(None, "first"), jwt(None, "second"))
    rsps.get(f"{BASE}/jobs/statusupdates", status=204)
    client = make_client(clock, token_refresh_margin=300)
    client.status_updates()
    clock.now = NOW + 7200 - 301
    client.status_updates()
    assert len(calls_to(rsps, "/token")) == 1
    clock.now = NOW + 7200 - 299
    client.status_updates()
    assert len(calls_to(rsps, "/token")) == 2


def test_a_refused_token_is_renewed_once_and_the_call_repeated_once(rsps):
    stale, fresh = jwt(NOW + 7200, "stale"), jwt(NOW + 7200, "fresh")
    token_reply(rsps, stale, fresh)
    rsps.post(f"{BASE}/jobs", json={"title": "Unauthorized", "status": 401}, status=401)
    rsps.post(f"{BASE}/jobs", json={"accepted": 1}, status=201)
    result = make_client().submit_jobs([{"jobtype": "0"}], data_identifier="d-1")

    jobs = calls_to(rsps, "/jobs")
    assert [call.request.headers["Authorization"] for call in jobs] == [f"Bearer {stale}", f"Bearer {fresh}"]
    assert result.accepted == 1


def test_a_second_refusal_is_a_permanent_credentials_error_without_secrets(rsps):
    token = jwt(NOW + 7200)
    token_reply(rsps, token, token)
    rsps.post(f"{BASE}/jobs", json={"detail": f"bad token {token}"}, status=401)
    rsps.post(f"{BASE}/jobs", json={"detail": f"bad token {token}"}, status=401)
    with pytest.raises(AdapterError) as caught:
        make_client().submit_jobs([{"jobtype": "0"}], data_identifier="d-1")

    error = caught.value
    assert (error.retryable, error.http_status, error.code) == (False, 401, "unauthorized")
    assert "cid and apicode" in error.message
    assert token not in error.response_excerpt and token not in str(error)
    assert len(calls_to(rsps, "/jobs")) == 2


def test_wrong_credentials_are_refused_with_the_services_words_and_no_apicode(rsps):
    rsps.post(f"{BASE}/token", json={"errorId": 1001, "errorText": f"Invalid apicode {APICODE}"}, status=400)
    with pytest.raises(AdapterError) as caught:
        make_client().status_updates()

    error = caught.value
    assert (error.retryable, error.http_status, error.code) == (False, 400, "1001")
    assert "Invalid apicode" in error.message
    assert APICODE not in error.message and APICODE not in error.response_excerpt


PROBLEM = {"type": "https://ropo.test/problems/validation", "title": "Bad Request", "status": 400,
           "detail": "paydate is before billdate"}


@pytest.mark.parametrize(("reply", "retryable", "code", "retry_after"), [
    ({"status": 500, "json": {"title": "Internal"}}, True, None, None),
    ({"status": 502, "body": "<html>bad gateway</html>"}, True, None, None),
    ({"status": 503, "body": "", "headers": {"Retry-After": "30"}}, True, None, 30.0),
    ({"status": 429, "body": "", "headers": {"Retry-After": "7"}}, True, "rate_limited", 7.0),
    ({"status": 400, "json": PROBLEM, "content_type": "application/problem+json"}, False, "validation", None),
    ({"status": 403, "json": {"title": "Forbidden"}}, False, None, None),
    ({"status": 404, "body": ""}, False, None, None),
    ({"status": 422, "json": {"title": "Unprocessable", "invalid-params": [{"name": "postcode",
                                                                               "reason": "required"}]}},
     False, None, None),
])
def test_http_failures_map_to_retryable_or_permanent_errors(rsps, reply, retryable, code, retry_after):
    token_reply(rsps, jwt(NOW + 7200))
    rsps.post(f"{BASE}/jobs", **reply)
    with pytest.raises(AdapterError) as caught:
        make_client().submit_jobs([{"jobtype": "0"}], data_identifier="d-1")

    error = caught.value
    assert (error.retryable, error.http_status, error.code, error.retry_after) == (
        retryable, reply["status"], code, retry_after)


def test_a_refused_job_carries_the_services_problem_text(rsps):
    token_reply(rsps, jwt(NOW + 7200))
    problem = {"title": "Unprocessable", "detail": "invalid job",
               "invalid-params": [{"name": "postcode", "reason": "required"}]}
    rsps.post(f"{BASE}/jobs", json=problem, status=422)
    with pytest.raises(AdapterError) as caught:
        make_client().submit_jobs([{"jobtype": "0"}], data_identifier="d-1")
    assert "invalid job (postcode: required)" in caught.value.message


def test_a_duplicate_billnum_is_reported_as_its_own_error(rsps):
    token_reply(rsps, jwt(NOW + 7200))
    rsps.post(f"{BASE}/jobs", json={"title": "Conflict", "status": 409}, status=409)
    with pytest.raises(DuplicateJob) as caught:
        make_client().submit_jobs([{"jobtype": "0"}], data_identifier="d-1")
    assert caught.value.http_status == 409 and not caught.value.retryable


@pytest.mark.parametrize(("failure", "code"), [
    (requests.ConnectTimeout("connect timed out"), "timeout"),
    (requests.ReadTimeout("read timed out"), "timeout"),
    (requests.ConnectionError("connection reset"), "connection"),
])
def test_no_answer_at_all_is_retryable(rsps, failure, code):
    token_reply(rsps, jwt(NOW + 7200))
    rsps.post(f"{BASE}/jobs", body=failure)
    with pytest.raises(AdapterError) as caught:
        make_client().submit_jobs([{"jobtype": "0"}], data_identifier="d-1")
    assert (caught.value.retryable, caught.value.code) == (True, code)


def test_status_polling_reads_every_page_until_204_with_exact_amounts(rsps):
    page1 = [{"id": "u1", "jobid": 1000001, "billnum": "1001", "billcode": "110013", "status": 1,
              "statustext": "Invoicing", "date": "2026-11-21", "openamount": "207.48"}]
    page2 = [{"id": "u2", "jobid": 1000001, "billnum": "1001", "billcode": "110013", "status": 6,
              "statustext": "Partly paid", "date": "2026-11-30", "paydate": "2026-11-29",
              "paidamount": 100.10, "openamount": "107.38"}]
    token_reply(rsps, jwt(NOW + 7200))
    rsps.get(f"{BASE}/jobs/statusupdates", json=page1)
    rsps.get(f"{BASE}/jobs/statusupdates", json=page2)
    rsps.get(f"{BASE}/jobs/statusupdates", status=204)
    updates = list(make_client().iter_status_updates())

    assert [(u.jobid, u.status, u.status_text) for u in updates] == [
        ("1000001", "1", "Invoicing"), ("1000001", "6", "Partly paid")]
    assert updates[1].paid_amount == Decimal("100.10") and updates[1].open_amount == Decimal("107.38")
    assert updates[1].paydate == "2026-11-29" and updates[0].paid_amount is None
    assert len(calls_to(rsps, "/jobs/statusupdates")) == 3


def test_status_of_one_invoice_is_asked_by_billnum(rsps):
    token_reply(rsps, jwt(NOW + 7200))
    rsps.get(f"{BASE}/jobs/statusupdates?billnum=1001", json={"statusupdates": [
        {"jobid": "77", "billnum": "1001", "status": "1"}]})
    updates = make_client().status_updates(billnum="1001")
    assert rsps.calls[1].request.url == f"{BASE}/jobs/statusupdates?billnum=1001"
    assert [u.jobid for u in updates] == ["77"]


def test_a_direct_payment_is_reported_by_billcode(rsps):
    token_reply(rsps, jwt(NOW + 7200))
    rsps.post(f"{BASE}/jobs/payment", json={"jobid": 77, "billnum": "1001", "billcode": "110013"}, status=201)
    ref = make_client().report_payment(Decimal("50.00"), "2026-11-25", billcode="110013",
                                       payment_type="directpayment")
    assert json.loads(rsps.calls[1].request.body) == {
        "amount": "50.00", "paydate": "2026-11-25", "billcode": "110013", "type": "directpayment"}
    assert ref.jobid == "77"


def test_the_config_repr_hides_the_apicode():
    assert APICODE not in repr(Ropo24Config(cid="1", apicode=APICODE))


def test_threads_sharing_a_client_fetch_one_token_between_them(rsps):
    from concurrent.futures import ThreadPoolExecutor

    token_reply(rsps, jwt(NOW + 7200))
    rsps.get(f"{BASE}/jobs/statusupdates", status=204)
    client = make_client()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: client.status_updates(), range(16)))
    assert len(calls_to(rsps, "/token")) == 1
    assert len(calls_to(rsps, "/jobs/statusupdates")) == 16
