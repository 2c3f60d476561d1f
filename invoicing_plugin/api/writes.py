"""Running a write request: one transaction, retried after a lost race, replayed under an Idempotency-Key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Response, request
from sqlalchemy.orm import Session

from ..db.engine import run_in_transaction
from ..plugin import current_session, plugin_state
from ..services import idempotency
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


def run_write(work: Callable[[Session], Outcome], payload: object = None) -> Response:
    """Run `work` as one unit of work; with an Idempotency-Key, claim the key in the same transaction."""
    key = request.headers.get("Idempotency-Key")
    tenant_id = current_actor().tenant_id
    retention = plugin_state().settings.idempotency_retention
    signature = f"{request.method} {request.path}"

    def attempt(session: Session) -> tuple[int, str, dict[str, str], bool]:
        record_id = None
        if key is not None:
            fingerprint = idempotency.fingerprint(request.method, request.path, payload)
            claimed = idempotency.claim(session, tenant_id, key, signature, fingerprint, retention)
            if isinstance(claimed, idempotency.Replay):
                return claimed.status, claimed.body, {}, True
            record_id = claimed
        outcome = work(session)
        body = to_json(outcome.body)
        if record_id is not None:
            stored = body if outcome.replay_body is None else to_json(outcome.replay_body)
            idempotency.complete(session, record_id, outcome.status, stored)
        return outcome.status, body, outcome.headers, False

    status, body, headers, replayed = run_in_transaction(current_session(), attempt)
    response = json_text_response(body, status, headers)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
