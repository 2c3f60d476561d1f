"""The console's session: one signed cookie (user, session epoch, CSRF token, language, notices).

The cookie is signed, not encrypted (itsdangerous, as Flask's own session), and holds no secret but the
CSRF token, which is the browser's own. It is re-signed on every response, and a signature older than
the idle timeout is refused: that is the idle timeout. It is the console's own cookie, not Flask's
session, so a host application's session (and its SECRET_KEY rules) stays untouched.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any

from flask import Request, Response
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

COOKIE = "invoicing_console"


@dataclass
class SessionData:
    user_id: str | None = None
    tenant_id: str | None = None
    epoch: int = 0
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    language: str | None = None
    notices: list[list] = field(default_factory=list)  # [text key, {name: value}] each
    expired: bool = False  # the browser sent a session that had been idle too long

    def as_payload(self) -> dict[str, Any]:
        return {"u": self.user_id, "t": self.tenant_id, "e": self.epoch, "c": self.csrf, "l": self.language,
                "n": self.notices}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> SessionData:
        return cls(user_id=payload.get("u"), tenant_id=payload.get("t"), epoch=int(payload.get("e") or 0),
                   csrf=str(payload.get("c") or secrets.token_urlsafe(24)), language=payload.get("l"),
                   notices=list(payload.get("n") or []))


class SessionCookie:
    """Reads and writes the cookie; `clock` gives the time in seconds (tests pass their own)."""

    def __init__(self, secret: str, idle_seconds: int, path: str, clock: Callable[[], float] = time.time) -> None:
        self.idle_seconds = idle_seconds
        self.path = path
        self.clock = clock
        cookie = self

        class _Signer(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(cookie.clock())

        # The signer both stamps and ages signatures with get_timestamp(): one clock for both.
        self._serializer = URLSafeTimedSerializer(secret, salt="invoicing-console-session", signer=_Signer)

    def load(self, request: Request) -> SessionData:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return SessionData()
        try:
            payload = self._serializer.loads(raw, max_age=self.idle_seconds)
        except SignatureExpired:
            return SessionData(expired=True)
        except BadSignature:
            return SessionData()
        return SessionData.from_payload(payload) if isinstance(payload, dict) else SessionData()

    def save(self, request: Request, response: Response, data: SessionData) -> None:
        response.set_cookie(
            COOKIE, self._serializer.dumps(data.as_payload()), max_age=self.idle_seconds, path=self.path,
            secure=not plain_http_on_loopback(request), httponly=True, samesite="Lax")
        # A page that shows who is signed in must not come back from a shared cache.
        response.headers.setdefault("Cache-Control", "no-store")
        response.vary.add("Cookie")


def plain_http_on_loopback(request: Request) -> bool:
    """Plain http to this machine itself (the tests, the demo): the one case the cookie may go without
    Secure, since a browser would not send a Secure cookie back over http."""
    if request.scheme != "http":
        return False
    host = request.host or ""
    host = host[1:host.find("]")] if host.startswith("[") else host.rsplit(":", 1)[0]
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
