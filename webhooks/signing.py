"""Signing and verifying webhooks the Standard Webhooks 1.0 way, in both directions.

Headers: `webhook-id` (stable across retries: receivers dedupe on it), `webhook-timestamp` (Unix
seconds) and `webhook-signature` (space-separated `v1,<base64 HMAC-SHA256>`, one per active secret, so
a secret can be rotated without downtime). The signed content is `{id}.{timestamp}.{body}` over the raw
body bytes. Secrets look like `whsec_<base64>`; any other string is used as UTF-8 bytes. Verification
compares in constant time and refuses timestamps more than five minutes away, in either direction.
(standard-webhooks/spec/standard-webhooks.md, v1.0.0)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as random
import time
import uuid
from collections.abc import Iterable, Mapping

TOLERANCE_SECONDS = 300
ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "webhook-id", "webhook-timestamp", "webhook-signature"


class SignatureError(Exception):
    """Why a request's signature was refused; safe to log (holds no secret and no body)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_secret() -> str:
    return "whsec_" + base64.b64encode(random.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(_key(secret), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secrets: str | Iterable[str], body: bytes, *, message_id: str | None = None,
                   timestamp: int | None = None) -> dict[str, str]:
    """The three headers for a body; sign with every secret in use (two during a rotation)."""
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: " ".join(signature(key, message_id, timestamp, body) for key in keys),
    }


def verify(secrets: Iterable[str], headers: Mapping[str, str], body: bytes, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> str:
    """The message id when one of the signatures matches one of the secrets; else SignatureError."""
    message_id, stamp, given = (headers.get(name) for name in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))
    if not message_id or not stamp or not given:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature header")
    if "." in message_id or len(message_id) > 200:
        raise SignatureError("malformed webhook-id")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not Unix seconds") from None
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureError("webhook-timestamp is more than five minutes away from now")
    candidates = [part.split(",", 1)[1] for part in given.split() if part.startswith("v1,")]
    for secret in secrets:
        expected = signature(secret, message_id, timestamp, body).split(",", 1)[1]
        if any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in candidates):
            return message_id
    raise SignatureError("no signature matches")
