"""The console's session: one signed cookie (user, session epoch, CSRF token, language, notices).

The cookie is signed, not encrypted (itsdangerous, as Flask's own session), and holds no secret but the
CSRF token, which is the browser's own. It is re-signed on a response when its content changed or its
signature is older than REFRESH_SECONDS, and a signature older than the idle timeout is refused: that is
the idle timeout (so it is exact to REFRESH_SECONDS). A response that changes nothing writes no cookie,
so a request running beside another (a page's PDF frame beside the form just sent) cannot put back the
older session and lose the other's notice. It is the console's own cookie, not Flask's
session, so a host application's session (and its SECRET_KEY rules) stays untouched.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any

from flask import Request, Response
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

COOKIE = "invoicing_console"
REFRESH_SECONDS = 60


@dataclass
class SessionData:
    user_id: str | None = None
    tenant_id: str | None = None
    epoch: int = 0
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    language: str | None = None
    notices: list[list] = field(default_factory=list)  # [text key, {name: value}] each
    expired: bool = False  # the browser sent a session that had been idle too long
    # What the browser sent, and when it was signed: a response re-signs only what changed or aged.
    loaded: dict[str, Any] | None = field(default=None, compare=False)
    signed_at: float = field(default=0.0, compare=False)

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
            payload, signed = self._serializer.loads(raw, max_age=self.idle_seconds, return_timestamp=True)
        except SignatureExpired:
            return SessionData(expired=True)
        except BadSignature:
            return SessionData()
        if not isinstance(payload, dict):
            return SessionData()
        data = SessionData.from_payload(payload)
        # A copy: the notices list is the session's own, and appending to it must read as a change.
        data.loaded, data.signed_at = copy.deepcopy(data.as_payload()), signed.timestamp()
        return data

    def save(self, request: Request, response: Response, data: SessionData) -> None:
        unchanged = data.loaded is not None and data.as_payload() == data.loaded
        if not (unchanged and self.clock() - data.signed_at < REFRESH_SECONDS):
            self._write(request, response, data)
        # A page that shows who is signed in must not come back from a shared cache.
        response.headers.setdefault("Cache-Control", "no-store")
        response.vary.add("Cookie")

    def _write(self, request: Request, response: Response, data: SessionData) -> None:
        response.set_cookie(
            COOKIE, self._serializer.dumps(data.as_payload()), max_age=self.idle_seconds, path=self.path,
            secure=not plain_http_on_loopback(request), httponly=True, samesite="Lax")


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
