"""Ropo24 notifications and polled updates read tolerantly, each with a stable id (dev.ropo.com guides
general-add-ons/status-notifications-events and status-updates-polling)."""

import pytest

from invoicing_plugin.domain.provider_events import MalformedEvent
from webhooks.providers.ropo24 import content_key, message_event, parse

PAID = {"event": "payment", "jobid": 1000001, "billnum": "1001", "billcode": "10016", "status": 9,
        "statustext": "Paid", "date": "2026-11-20", "paidamount": "56.52", "paydate": "2026-11-20",
        "openamount": "0.00"}


def test_an_update_without_an_id_gets_the_same_key_whatever_the_spelling_of_its_values():
    polled = {**PAID, "jobid": "1000001", "paidamount": "56.520", "openamount": "0", "status": "9"}
    assert message_event(PAID).event_id == message_event(polled).event_id == content_key(PAID)
    assert content_key(PAID).startswith("sha256:") and len(content_key(PAID)) == 7 + 64


def test_a_different_update_gets_a_different_key():
    assert content_key(PAID) != content_key({**PAID, "paidamount": "20.00", "openamount": "36.52"})
    assert content_key(PAID) != content_key({**PAID, "billnum": "1002"})


def test_a_payment_pushed_with_an_id_and_polled_without_is_one_payment():
    pushed = message_event({**PAID, "id": "evt-9", "created_at": "2026-11-20T10:00:00Z", "newfield": "x"})
    polled = message_event(PAID)
    assert pushed.event_id == "evt-9" and pushed.payment_id == polled.payment_id


@pytest.mark.parametrize("payload", [
    {"created_at": "2026-11-20T10:00:00Z", "messages": [PAID]},
    {"created_time": "2026-11-20T10:00:00Z", "created_by": "ropo", "events": [PAID], "more": 1},
    [PAID],
])
def test_the_documented_envelope_is_read_tolerantly(payload):
    [event] = parse(payload)
    assert (event.kind, str(event.amount), event.invoice.number) == ("payment", "56.52", "1001")


def test_a_message_without_a_date_takes_the_envelopes_created_time():
    undated = {key: value for key, value in PAID.items() if key != "date"} | {"event": "jobstatus"}
    [event] = parse({"created_at": "2026-11-20T10:00:00+00:00", "messages": [undated]})
    assert event.occurred_at.isoformat() == "2026-11-20T10:00:00+00:00"


def test_more_than_500_messages_or_no_batch_at_all_is_refused():
    with pytest.raises(MalformedEvent):
        parse({"messages": [PAID] * 501})
    with pytest.raises(MalformedEvent):
        parse({"created_at": "2026-11-20T10:00:00Z"})
