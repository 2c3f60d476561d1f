"""Just enough JWT (HS256, RFC 7519) for Ropo tokens: the client reads `exp`, the sandbox signs and checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

_HEADER = {"alg": "HS256", "typ": "JWT"}


class InvalidToken(Exception):
    """Malformed, forged or expired."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    # JWT drops the base64 padding (RFC 7515 §2); put it back before decoding.
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(signing_input: str, key: bytes) -> str:
    return _b64encode(hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest())


def encode_hs256(claims: Mapping[str, object], key: bytes) -> str:
    header = _b64encode(json.dumps(_HEADER, separators=(",", ":")).encode())
    payload = _b64encode(json.dumps(dict(claims), separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}"
    return f"{signing_input}.{_signature(signing_input, key)}"


def _parts(token: str) -> tuple[str, str, str]:
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not a JWT")
    return parts[0], parts[1], parts[2]


def read_claims_unverified(token: str) -> dict:
    """The payload without checking the signature: the client only needs `exp` to know when to refresh."""
    _, payload, _ = _parts(token)
    try:
        claims = json.loads(_b64decode(payload))
    except ValueError as error:
        raise InvalidToken("unreadable payload") from error
    if not isinstance(claims, dict):
        raise InvalidToken("payload is not an object")
    return claims


def decode_hs256(token: str, key: bytes, now: float) -> dict:
    """The claims of a token this key signed and that has not expired at `now`."""
    header, payload, signature = _parts(token)
    try:
        if json.loads(_b64decode(header)).get("alg") != "HS256":
            # Refuse "none" and anything else: the algorithm is ours to choose, not the caller's.
            raise InvalidToken("unexpected algorithm")
    except (ValueError, AttributeError) as error:
        raise InvalidToken("unreadable header") from error
    if not hmac.compare_digest(signature, _signature(f"{header}.{payload}", key)):
        raise InvalidToken("bad signature")
    claims = read_claims_unverified(token)
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or now >= exp:
        raise InvalidToken("expired")
    return claims
