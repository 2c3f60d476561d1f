"""A form acted on once: each rendered form carries a fresh `form_id`, claimed like an Idempotency-Key in
the same transaction as its action, so a double click or a reload of the result never does it twice."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from flask import request

from ..plugin import plugin_state
from ..services import idempotency
from ..services.unit_of_work import Replayed, Reply
from .access import current_console

T = TypeVar("T")


def once(call: Callable[[Reply], T]) -> T | None:
    """`call(reply)` runs the use case with the claim; None when this very form was acted on before."""
    identity = current_console().identity
    assert identity is not None  # signed in: access.py saw to it
    form = request.form
    key = form.get("form_id", "")
    # The scope column holds 40 characters: a console user by id, a host's user by a digest of their label.
    host_scope = "h:" + hashlib.sha256(identity.label.encode()).hexdigest()[:32]
    scope = f"c:{identity.user_id}" if identity.user_id else host_scope
    content = {name: form.getlist(name) for name in form if name not in ("csrf_token", "form_id")}
    claim = idempotency.KeyClaim(
        tenant_id=identity.tenant_id, scope=scope, key=key or "missing", request=f"POST {request.path}",
        fingerprint=idempotency.fingerprint("POST", request.path, content),
        retention=plugin_state().settings.idempotency_retention)
    try:
        return call(Reply(encode=lambda _session, _result: (200, "{}"), key=claim if key else None))
    except Replayed:
        return None
