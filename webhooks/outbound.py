"""Shop notifications on the wire: the event POSTed to the shop's endpoint, signed the Standard Webhooks way.

Any answer but 2xx is retried by the worker (a shop's endpoint may be down or mid-deploy), except
410 Gone, which says the endpoint is not coming back. Retries carry the same `webhook-id`.
"""

from __future__ import annotations

import json

import requests

from adapters.base import AdapterError, DeliveryResult
from adapters.egress import safe_session
from adapters.http import parse_retry_after

from .signing import signed_headers

TIMEOUT = (5, 15)  # connect, read: a receiver should answer quickly and work later


def send_event(url: str, secret: str, event: dict, *, http: requests.Session | None = None) -> DeliveryResult:
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "invoicing-plugin-webhooks/1",
               **signed_headers(secret, body, message_id=event["id"])}
    # The shop's URL is a tenant's setting: checked again when the call is made and at connect time, and a
    # redirect is never followed (adapters/egress.py). A RefusedConnection (an AdapterError) passes through.
    client = http or safe_session()
    try:
        response = client.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
    except requests.Timeout:
        raise AdapterError("the shop's endpoint did not answer in time", retryable=True) from None
    except requests.RequestException as error:
        raise AdapterError(f"the shop's endpoint cannot be reached: {type(error).__name__}", retryable=True) from None
    finally:
        if http is None:
            client.close()
    excerpt = response.text[:500]
    if 200 <= response.status_code < 300:
        return DeliveryResult(external_id=None, http_status=response.status_code, response_excerpt=excerpt)
    if response.status_code == 410:
        raise AdapterError("the shop's endpoint is gone (410)", retryable=False, http_status=410,
                           response_excerpt=excerpt)
    raise AdapterError(f"the shop's endpoint answered {response.status_code}", retryable=True,
                       http_status=response.status_code,
                       retry_after=parse_retry_after(response.headers.get("Retry-After")),
                       response_excerpt=excerpt)
