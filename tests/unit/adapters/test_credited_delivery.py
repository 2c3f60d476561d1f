"""What a channel learns of the invoice a credit note credits: its id at the service, or to wait for it."""

from dataclasses import replace

import pytest

from adapters.base import AdapterError, DeliveryContext, credited_external_id
from adapters.netvisor.invoice_xml import match_credit_note_xml, sent_number
from tests.factories import invoice_data

CREDIT = invoice_data(kind="credit_note", number=1002)
CONTEXT = DeliveryContext(delivery_id="d-2", idempotency_key="delivery-d-2")


def test_a_delivered_invoice_gives_its_credit_note_the_services_id_for_it():
    context = replace(CONTEXT, credited_delivery_status="delivered", credited_external_id="1000042")
    assert credited_external_id(CREDIT, context, "Ropo24") == "1000042"


@pytest.mark.parametrize("status", ["pending", "in_progress", "failed"])
def test_a_credit_note_waits_while_its_invoice_is_still_on_its_way(status):
    context = replace(CONTEXT, credited_delivery_status=status)
    with pytest.raises(AdapterError) as waiting:
        credited_external_id(CREDIT, context, "Ropo24")
    assert waiting.value.retryable is True and waiting.value.code == "credited_invoice_under_way"
    assert "1001" in waiting.value.message and "Ropo24" in waiting.value.message


@pytest.mark.parametrize("status", ["dead", None])
def test_an_invoice_that_never_got_there_gives_no_id_and_no_wait(status):
    context = replace(CONTEXT, credited_delivery_status=status, credited_external_id=None)
    assert credited_external_id(CREDIT, context, "Netvisor") is None


def test_netvisors_match_request_names_both_keys_as_documented():
    body = match_credit_note_xml("2597", "2582").decode()
    assert ("<root><matchcreditnote><creditnotenetvisorkey>2597</creditnotenetvisorkey>"
            "<invoicenetvisorkey>2582</invoicenetvisorkey></matchcreditnote></root>") in body


@pytest.mark.parametrize(("number", "sent"), [("1001", 1001), ("A-1001", 1001), ("PRO-", None)])
def test_the_credited_invoice_is_looked_up_in_netvisor_by_the_number_it_was_sent_with(number, sent):
    assert sent_number(number) == sent
