"""The message the customer receives: recipient, sender, reply address, Message-ID and attachment names."""

from dataclasses import replace
from email import message_from_bytes, policy

import pytest

from adapters.base import Contact, DeliveryContext
from adapters.email import EmailConfig, email_texts
from adapters.email.message import MessageError, build_message, message_id, recipient_of
from invoicing_plugin.documents.einvoice import EInvoiceError
from tests.factories import invoice_data

INVOICE = invoice_data()
SETTINGS = {"host": "smtp.kahvila.fi", "from_address": "noreply@kauppa-alusta.fi"}
DOCUMENTS = {"pdf": b"%PDF-1.7 the invoice", "finvoice": b"<Finvoice/>"}


def build(invoice=INVOICE, documents=DOCUMENTS.__getitem__, delivery_id="d-1", **settings):
    config = EmailConfig.from_settings({**SETTINGS, **settings})
    context = DeliveryContext(delivery_id=delivery_id, idempotency_key=f"delivery-{delivery_id}",
                              documents=documents)
    return build_message(invoice, context, config, email_texts(invoice))


def on_the_wire(outgoing):
    return message_from_bytes(outgoing.message.as_bytes(policy=policy.SMTP), policy=policy.default)


def test_the_message_comes_from_the_seller_and_replies_go_to_the_sellers_own_address():
    message = on_the_wire(build())

    assert str(message["From"]) == "Kahvila Oy <noreply@kauppa-alusta.fi>"
    assert str(message["Reply-To"]) == "laskutus@kahvila.fi"  # the shared noreply sender swallows nothing
    assert str(message["To"]) == "Esimerkki Oy <laskut@esimerkki.fi>"


def test_from_name_and_reply_to_settings_win_over_the_invoice():
    message = on_the_wire(build(from_name="Kahvila – laskutus", reply_to="asiakaspalvelu@kahvila.fi"))

    assert str(message["From"]) == "Kahvila – laskutus <noreply@kauppa-alusta.fi>"
    assert str(message["Reply-To"]) == "asiakaspalvelu@kahvila.fi"


def test_no_reply_to_when_replies_would_reach_the_sender_anyway():
    assert "Reply-To" not in on_the_wire(build(from_address="laskutus@kahvila.fi"))


def test_the_archive_copy_is_an_envelope_recipient_only():
    outgoing = build(bcc="arkisto@kahvila.fi")

    assert outgoing.bcc == "arkisto@kahvila.fi"
    assert b"arkisto" not in outgoing.message.as_bytes()


def test_the_message_is_plain_seven_bit_so_any_relay_can_carry_it():
    wire = build().message.as_bytes(policy=policy.SMTP)
    assert wire.isascii()
    text = on_the_wire(build()).get_body(("plain",)).get_content()
    assert text.replace("\r\n", "\n").startswith("Hei,\n\nliitteenä on laskumme 1001.")


@pytest.mark.parametrize(("language", "name"), [("fi", "lasku-1001.pdf"), ("sv", "faktura-1001.pdf"),
                                                ("en", "invoice-1001.pdf"), ("et", "invoice-1001.pdf")])
def test_the_pdf_is_named_in_the_customers_language(language, name):
    outgoing = build(replace(INVOICE, language=language))
    assert outgoing.attachments == (name,)
    (part,) = on_the_wire(outgoing).iter_attachments()
    assert (part.get_filename(), part.get_content()) == (name, DOCUMENTS["pdf"])


def test_an_invoice_number_with_a_slash_makes_a_plain_file_name():
    assert build(replace(INVOICE, number="2026/17"), attach_finvoice=True).attachments == (
        "lasku-2026-17.pdf", "finvoice-2026-17.xml")


def test_the_message_id_depends_on_the_delivery_alone():
    assert build().message_id == "<invoice.d-1@kauppa-alusta.fi>"
    assert build(invoice_data(number=1005)).message_id == "<invoice.d-1@kauppa-alusta.fi>"
    assert build(delivery_id="d-2").message_id == "<invoice.d-2@kauppa-alusta.fi>"


def test_a_delivery_id_that_cannot_stand_in_a_message_id_is_hashed_the_same_way_every_time():
    strange = "tenant 7/delivery <9>"
    assert message_id(strange, "kahvila.fi") == message_id(strange, "kahvila.fi")
    assert " " not in message_id(strange, "kahvila.fi") and "<9>" not in message_id(strange, "kahvila.fi")
    assert message_id(strange, "kahvila.fi") != message_id("tenant 7/delivery <10>", "kahvila.fi")


def test_the_buyers_billing_address_comes_first_then_the_contact_persons():
    assert recipient_of(INVOICE) == ("laskut@esimerkki.fi", "Esimerkki Oy")
    no_buyer_email = replace(INVOICE, buyer=replace(INVOICE.buyer, email=" "))
    assert recipient_of(no_buyer_email) == ("matti@esimerkki.fi", "Matti Meikäläinen")


def test_a_mistyped_billing_address_is_reported_not_replaced_by_the_contacts():
    invoice = replace(INVOICE, buyer=replace(INVOICE.buyer, email="laskut@esimerkki"))
    with pytest.raises(MessageError, match="the buyer's email address 'laskut@esimerkki' is not valid"):
        recipient_of(invoice)


@pytest.mark.parametrize("contact", [None, Contact(name="Matti")])
def test_without_any_address_there_is_no_one_to_send_to(contact):
    invoice = replace(INVOICE, buyer=replace(INVOICE.buyer, email=None), contact=contact)
    with pytest.raises(MessageError, match="the buyer has no email address"):
        recipient_of(invoice)


def test_without_documents_there_is_nothing_to_send():
    with pytest.raises(MessageError, match="no documents"):
        build(documents=None)


def test_a_finvoice_that_cannot_be_made_says_why():
    def documents(kind):
        if kind == "finvoice":
            raise EInvoiceError("Finvoice needs the seller's bank account (IBAN) for its payment details")
        return DOCUMENTS[kind]

    with pytest.raises(MessageError, match="the finvoice document could not be made: Finvoice needs the"):
        build(documents=documents, attach_finvoice=True)
