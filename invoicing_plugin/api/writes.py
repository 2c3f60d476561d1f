"""Answering a write request: the view calls a use case, which owns its unit of work (on the request's
session: `current_database()`); this module adds the response, stored under the request's Idempotency-Key
in that same transaction and replayed to its retries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Response, request
from sqlalchemy.orm import Session

from ..plugin import plugin_state
from ..services import idempotency
from ..services.unit_of_work import Replayed, Reply
from .context import current_actor
from .responses import json_text_response, to_json


@dataclass
class Outcome:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)
    # What a replay returns when it must differ from the first response (a new API key's secret
    # is shown once and never stored).
    replay_body: dict | None = None


def run_write(call: Callable[[Reply], Any], present: Callable[[Session, Any], Outcome],
              payload: object = None) -> Response:
    """`call(reply)` runs the use case; `present(session, result)` makes the response inside its transaction."""
    presented: list[Outcome] = []

    def encode(session: Session, result: Any) -> tuple[int, str]:
        outcome = present(session, result)
        presented.append(outcome)
        return outcome.status, to_json(outcome.body)

    def stored(_session: Session, _result: Any) -> str:
        outcome = presented[-1]
        if outcome.replay_body is None:
            assert reply.answer is not None  # encoded just before: the same text, not encoded twice
            return reply.answer[1]
        return to_json(outcome.replay_body)

    reply = Reply(encode, key=_key_claim(payload), stored=stored)
    try:
        call(reply)
    except Replayed as replay:
        response = json_text_response(replay.body, replay.status, {})
        response.headers["Idempotent-Replayed"] = "true"
        return response
    assert reply.answer is not None
    status, body = reply.answer
    return json_text_response(body, status, presented[-1].headers)


def _key_claim(payload: object) -> idempotency.KeyClaim | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    actor = current_actor()
    signature = f"{request.method} {request.path}"
    return idempotency.KeyClaim(
        tenant_id=actor.tenant_id, scope=str(actor.api_key_id or ""), key=key, request=signature,
        fingerprint=idempotency.fingerprint(request.method, request.path, payload),
        retention=plugin_state().settings.idempotency_retention)
