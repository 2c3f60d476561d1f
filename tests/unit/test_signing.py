"""Webhook signatures (Standard Webhooks 1.0): what is accepted and what is refused, and why."""

import base64
import hashlib
import hmac
import time

import pytest

from webhooks.signing import SignatureError, new_secret, signed_headers, verify

BODY = b'{"messages": [{"id": "m-1", "event": "payment"}]}'


def test_a_signed_body_verifies_and_gives_its_message_id():
    secret = new_secret()
    headers = signed_headers(secret, BODY, message_id="msg_1")
    assert verify([secret], headers, BODY) == "msg_1"


def test_the_signature_follows_the_public_convention():
    secret = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    headers = signed_headers(secret, BODY, message_id="msg_1", timestamp=1700000000)
    expected = base64.b64encode(hmac.new(b"0123456789abcdef0123456789abcdef",
                                         b"msg_1.1700000000." + BODY, hashlib.sha256).digest()).decode()
    assert headers == {"webhook-id": "msg_1", "webhook-timestamp": "1700000000",
                       "webhook-signature": f"v1,{expected}"}


@pytest.mark.parametrize("change, reason", [
    (lambda h, b, s: (h, b + b" ", s), "no signature matches"),
    (lambda h, b, s: (h, b, [new_secret()]), "no signature matches"),
    (lambda h, b, s: ({k: v for k, v in h.items() if k != "webhook-signature"}, b, s), "missing"),
    (lambda h, b, s: ({**h, "webhook-timestamp": "yesterday"}, b, s), "Unix seconds"),
    (lambda h, b, s: ({**h, "webhook-id": "msg_2"}, b, s), "no signature matches"),
    (lambda h, b, s: ({**h, "webhook-signature": "v2," + h["webhook-signature"][3:]}, b, s), "no signature"),
])
def test_anything_changed_after_signing_is_refused(change, reason):
    secret = new_secret()
    headers, body, secrets = change(signed_headers(secret, BODY), BODY, [secret])
    with pytest.raises(SignatureError, match=reason):
        verify(secrets, headers, body)


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_more_than_five_minutes_away_is_refused_either_way(offset):
    secret = new_secret()
    headers = signed_headers(secret, BODY, timestamp=int(time.time()) + offset)
    with pytest.raises(SignatureError, match="five minutes"):
        verify([secret], headers, BODY)
    assert verify([secret], signed_headers(secret, BODY, timestamp=int(time.time()) + offset // 2), BODY)


def test_during_a_rotation_both_secrets_are_accepted():
    old, new = new_secret(), new_secret()
    assert verify([new, old], signed_headers(old, BODY), BODY)
    assert verify([new, old], signed_headers(new, BODY), BODY)
    both = signed_headers([new, old], BODY)
    assert len(both["webhook-signature"].split()) == 2 and verify([old], both, BODY)


def test_plain_string_secrets_work_too():
    assert verify(["a-provider-given-secret-of-some-length"],
                  signed_headers("a-provider-given-secret-of-some-length", BODY), BODY)


def test_the_reason_never_holds_the_secret_or_the_body():
    secret = new_secret()
    with pytest.raises(SignatureError) as refused:
        verify([secret], signed_headers(new_secret(), BODY), BODY)
    assert secret not in refused.value.reason and "messages" not in refused.value.reason
