"""Netvisor's MAC in its three generations, pinned to the reference's vectors and to the spec formula."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone

import pytest

from adapters.netvisor import auth
from adapters.netvisor.auth import MacInput, ansi_timestamp, auth_headers, compute_mac

# The vector of reference §1.2 (fastmonkeys/netvisor.py tests).
VECTOR = MacInput(
    url="http://integrationdemo.netvisor.fi/accounting.nv", sender="Testiclient",
    customer_id="Integraatiokayttajan tunnus", timestamp="2009-01-12 15:49:12.221", language="FI",
    organisation_id="1967543-8", transaction_id="123456", customer_key="7cd680e89e880553358bc07cd28b0ee2",
    partner_key="07f94228d149a96b2f25e3edad55096e",
)


def test_md5_mac_matches_the_reference_vector():
    assert compute_mac(VECTOR, "MD5") == "6b2783906969630c1b6649bf5b0e6620"


def test_sha256_mac_matches_the_reference_vector():
    assert compute_mac(VECTOR, "SHA256") == "cd39e4566936ffd41e67cc8a819bf314a5f1016ca0159854d0f2dd447a86db8e"


def test_hmac_sha256_mac_follows_the_spec_formula():
    fields = MacInput(**{**VECTOR.__dict__, "timestamp_unix": 1231775352})
    key = b"7cd680e89e880553358bc07cd28b0ee2&07f94228d149a96b2f25e3edad55096e"
    message = ("http://integrationdemo.netvisor.fi/accounting.nv&Testiclient&Integraatiokayttajan tunnus&"
               "2009-01-12 15:49:12.221&FI&1967543-8&123456&1231775352&7cd680e89e880553358bc07cd28b0ee2&"
               "07f94228d149a96b2f25e3edad55096e").encode("iso-8859-1")
    assert compute_mac(fields, "HMACSHA256") == hmac.new(key, message, hashlib.sha256).hexdigest()


def test_hmac_sha256_encodes_scandinavian_letters_as_iso_8859_1():
    fields = MacInput(**{**VECTOR.__dict__, "sender": "Kahvila Äänekoski", "timestamp_unix": 1})
    message = auth.mac_message(fields, "HMACSHA256").encode("iso-8859-1")
    key = f"{VECTOR.customer_key}&{VECTOR.partner_key}".encode("iso-8859-1")
    assert compute_mac(fields, "HMACSHA256") == hmac.new(key, message, hashlib.sha256).hexdigest()
    assert compute_mac(fields, "HMACSHA256") != hmac.new(key, message.decode("latin-1").encode("utf-8"),
                                                         hashlib.sha256).hexdigest()


def test_hmac_sha256_without_a_unix_timestamp_is_refused():
    with pytest.raises(ValueError, match="Unix timestamp"):
        compute_mac(VECTOR, "HMACSHA256")


def test_timestamp_is_utc_with_milliseconds():
    in_helsinki = datetime(2026, 11, 21, 14, 5, 9, 7000, tzinfo=timezone(timedelta(hours=2)))
    assert ansi_timestamp(in_helsinki) == "2026-11-21 12:05:09.007"


@pytest.mark.parametrize("algorithm, extra", [
    ("HMACSHA256", {auth.ALGORITHM: "HMACSHA256", auth.TIMESTAMP_UNIX: "1795264200",
                    auth.USE_HTTP_STATUS: "1"}),
    ("SHA256", {auth.ALGORITHM: "SHA256"}),
    ("MD5", {}),
])
def test_every_request_carries_the_headers_of_its_generation(algorithm, extra):
    now = datetime(2026, 11, 21, 12, 30, 0, 250000, tzinfo=UTC)
    headers = auth_headers(
        url="https://isvapi.netvisor.fi/salesinvoice.nv?method=add", sender="Testiclient",
        customer_id="CID", customer_key="ck-secret", partner_id="xxx_yyy", partner_key="pk-secret",
        organisation_id="1967543-8", language="FI", algorithm=algorithm, now=now, transaction_id="f" * 32,
    )
    mac = headers.pop(auth.MAC)
    assert headers == {
        auth.SENDER: "Testiclient", auth.CUSTOMER_ID: "CID", auth.PARTNER_ID: "xxx_yyy",
        auth.TIMESTAMP: "2026-11-21 12:30:00.250", auth.TRANSACTION_ID: "f" * 32, auth.LANGUAGE: "FI",
        auth.ORGANISATION_ID: "1967543-8", **extra,
    }
    assert len(mac) == (32 if algorithm == "MD5" else 64)
    assert "ck-secret" not in str(headers) and "pk-secret" not in str(headers)
