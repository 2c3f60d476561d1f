"""A form acted on once: each rendered form carries a fresh `form_id`, claimed as an idempotency key in the
use case's own transaction, so a double click or a re-sent form answers with the first result."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import request
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from ..plugin import plugin_state
from ..services import idempotency
from ..services.unit_of_work import Replayed, Reply
from .access import current_console

FIELD = "form_id"
T = TypeVar("T")


def new_form_id() -> str:
    return str(uuid.uuid4())


def _scope() -> str:
    identity = current_console().identity
    assert identity is not None  # signed in: access.py saw to it
    # The idempotency scope holds 40 characters: a console user's id, or a host user's label digested.
    if identity.user_id is not None:
        return f"c:{identity.user_id}"
    return "h:" + hashlib.sha256(identity.label.encode()).hexdigest()[:36]


def _claim(form: Mapping[str, str]) -> idempotency.KeyClaim:
    """The form's claim: its id, and a fingerprint of everything else it sent (every value of a field)."""
    identity = current_console().identity
    assert identity is not None
    values = form.getlist if isinstance(form, MultiDict) else (lambda name: [form[name]])
    payload = {name: values(name) for name in form if name not in ("csrf_token", FIELD)}
    key = (form.get(FIELD) or "").strip() or new_form_id()  # an old page without one: acted on as new
    return idempotency.KeyClaim(
        tenant_id=identity.tenant_id, scope=_scope(), key=key[:255], request=f"{request.method} {request.path}",
        fingerprint=idempotency.fingerprint(request.method, request.path, payload),
        retention=plugin_state().settings.idempotency_retention)


def reply_once(form: Mapping[str, str], remember: Callable[[Session, Any], dict[str, str]]) -> Reply:
    """The Reply for a use case: `remember(session, result)` is what a repeat of the form gets back."""
    return Reply(lambda session, result: (200, json.dumps(remember(session, result))), key=_claim(form))


def first_answer(replayed: Replayed) -> dict[str, str]:
    return json.loads(replayed.body)


def once(call: Callable[[Reply], T]) -> T | None:
    """`call(reply)` runs the use case with the request form's claim; None when it was acted on before."""
    try:
        return call(Reply(encode=lambda _session, _result: (200, "{}"), key=_claim(request.form)))
    except Replayed:
        return None
