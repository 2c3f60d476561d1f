"""The email channel against a real SMTP server on loopback (aiosmtpd): what arrives, and each failure."""

from __future__ import annotations

import io
import logging
import socket
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pypdf import PdfReader

from adapters.base import AdapterError, Contact, DeliveryContext
from adapters.email import email_channel
from invoicing_plugin.documents.finvoice import finvoice_xml
from invoicing_plugin.documents.pdf import render_invoice_pdf
from invoicing_plugin.documents.xml_validation import validate_finvoice
from tests.factories import invoice_data

INVOICE = invoice_data()
# aiosmtpd warns when AUTH is allowed without TLS; on loopback that is what these tests want.
plain_auth = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
USERNAME, PASSWORD = "kahvila", "Salasana-9f3k!x"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def attachments(self) -> dict[str, tuple[str, bytes]]:
        return {part.get_filename(): (part.get_content_type(), part.get_content())
                for part in self.message.iter_attachments()}

    def body(self) -> str:
        return self.message.get_body(("plain",)).get_content()


class Inbox:
    """An aiosmtpd handler that keeps what it accepts, and refuses what a test tells it to."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.rcpt_replies: dict[str, str] = {}  # address -> reply, e.g. "550 5.1.1 No such user"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 2.0.0 Ok: queued as 4Xk2Qm"


def authenticator(server, session, envelope, mechanism, auth_data):
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    ok = auth_data.login == USERNAME.encode() and auth_data.password == PASSWORD.encode()
    # A careless server that repeats the password it was given: the channel must not pass that on.
    echo = f"535 5.7.8 Bad credentials: {auth_data.password.decode()}"
    return AuthResult(success=ok, handled=False, message=None if ok else echo)


@pytest.fixture
def inbox():
    return Inbox()


def start(inbox: Inbox, **options) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller


@pytest.fixture
def server(inbox):
    controller = start(inbox)
    yield controller
    controller.stop()


@pytest.fixture
def auth_server(inbox):
    # Plain-text AUTH is allowed here only because this is loopback; test_email_tls covers AUTH over TLS.
    controller = start(inbox, authenticator=authenticator, auth_required=True, auth_require_tls=False)
    yield controller
    controller.stop()


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_invoice_pdf(INVOICE)


def documents_of(invoice, pdf_bytes):
    finvoice = finvoice_xml(invoice, message_id=f"FV-{invoice.number}",
                            timestamp=datetime(2026, 11, 21, tzinfo=UTC))
    return {"pdf": pdf_bytes, "finvoice": finvoice}.__getitem__


def context(pdf_bytes, invoice=INVOICE, delivery_id="5f0c9d2e-0001", attempt=1, layout=None):
    return DeliveryContext(delivery_id=delivery_id, idempotency_key=f"delivery-{delivery_id}",
                           attempt=attempt, documents=documents_of(invoice, pdf_bytes), layout=layout or {})


def channel(port: int, **settings):
    return email_channel({"host": "127.0.0.1", "port": port, "security": "none",
                          "from_address": "laskutus@kahvila.fi", "timeout": 5, **settings})


def test_the_buyer_receives_the_invoice_pdf_that_opens_and_shows_the_invoice_number(server, inbox, pdf):
    result = channel(server.port).deliver(INVOICE, context(pdf))

    (mail,) = inbox.received
    assert mail.rcpt_tos == ["laskut@esimerkki.fi"]
    assert mail.mail_from == "laskutus@kahvila.fi"
    assert str(mail.message["From"]) == "Kahvila Oy <laskutus@kahvila.fi>"
    attachments = mail.attachments()
    assert list(attachments) == ["lasku-1001.pdf"]  # no Finvoice unless configured
    content_type, content = attachments["lasku-1001.pdf"]
    assert content_type == "application/pdf"
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 1
    assert "1001" in "".join(page.extract_text() for page in reader.pages)
    assert result.response_excerpt == "250 2.0.0 Ok: queued as 4Xk2Qm"
    assert result.external_id == mail.message["Message-ID"]


@pytest.mark.parametrize(("language", "subject", "words", "filename"), [
    ("fi", "Lasku 1001 – Kahvila Oy", ["liitteenä on laskumme 1001", "Eräpäivä: 5.12.2026", "260,66\xa0€"],
     "lasku-1001.pdf"),
    ("sv", "Faktura 1001 – Kahvila Oy", ["bifogat finns vår faktura 1001", "Förfallodag: 5.12.2026",
                                          "260,66\xa0€"], "faktura-1001.pdf"),
    ("en", "Invoice 1001 from Kahvila Oy", ["please find attached our invoice 1001", "Due date: 5 Dec 2026",
                                             "€260.66"], "invoice-1001.pdf"),
])
def test_subject_and_text_are_in_the_customers_language(server, inbox, pdf, language, subject, words,
                                                        filename):
    invoice = replace(INVOICE, language=language)
    channel(server.port).deliver(invoice, context(pdf, invoice))

    (mail,) = inbox.received
    assert mail.message["Subject"] == subject
    for word in words:
        assert word in mail.body()
    assert list(mail.attachments()) == [filename]


def test_a_credit_note_is_sent_as_a_credit_note(server, inbox, pdf):
    credit = invoice_data(kind="credit_note", number=1002)
    channel(server.port).deliver(credit, context(pdf, credit))

    (mail,) = inbox.received
    assert mail.message["Subject"] == "Hyvityslasku 1002 laskulle 1001 – Kahvila Oy"
    assert "hyvittää laskun 1001" in mail.body()
    assert list(mail.attachments()) == ["hyvityslasku-1002.pdf"]


def test_the_finvoice_is_attached_when_configured_and_it_validates(server, inbox, pdf):
    channel(server.port, attach_finvoice=True).deliver(INVOICE, context(pdf))

    attachments = inbox.received[0].attachments()
    assert list(attachments) == ["lasku-1001.pdf", "finvoice-1001.xml"]
    content_type, content = attachments["finvoice-1001.xml"]
    assert content_type == "application/xml"
    validate_finvoice(content)
    assert b"<InvoiceNumber>1001</InvoiceNumber>" in content


def test_a_subject_set_in_the_layout_is_what_the_customer_sees(server, inbox, pdf):
    layout = {"email": {"fi": {"subject": "Kahvila Oy: lasku {number}, eräpäivä {due_date}"}}}
    channel(server.port).deliver(INVOICE, context(pdf, layout=layout))

    assert inbox.received[0].message["Subject"] == "Kahvila Oy: lasku 1001, eräpäivä 5.12.2026"


def test_a_layout_text_with_an_unknown_placeholder_is_refused_before_anything_is_sent(server, inbox, pdf):
    layout = {"email": {"fi": {"subject": "Lasku {numero}"}}}
    with pytest.raises(AdapterError) as refused:
        channel(server.port).deliver(INVOICE, context(pdf, layout=layout))

    assert refused.value.retryable is False
    assert "{numero}" in refused.value.message and "email.fi.subject" in refused.value.message
    assert inbox.received == []


def test_a_buyer_without_email_gets_it_at_the_contact_persons_address(server, inbox, pdf):
    invoice = replace(INVOICE, buyer=replace(INVOICE.buyer, email=None))
    result = channel(server.port).deliver(invoice, context(pdf, invoice))

    assert inbox.received[0].rcpt_tos == ["matti@esimerkki.fi"]
    assert str(inbox.received[0].message["To"]) == "Matti Meikäläinen <matti@esimerkki.fi>"
    assert result.details["recipient"] == "matti@esimerkki.fi"


def test_without_any_email_address_the_delivery_fails_for_good(server, inbox, pdf):
    invoice = replace(INVOICE, buyer=replace(INVOICE.buyer, email=None), contact=Contact(name="Matti"))
    with pytest.raises(AdapterError) as refused:
        channel(server.port).deliver(invoice, context(pdf, invoice))

    assert refused.value.retryable is False
    assert "the buyer has no email address" in refused.value.message
    assert inbox.received == []


def test_a_recipient_the_server_refuses_fails_for_good_in_the_servers_words(server, inbox, pdf):
    inbox.rcpt_replies["laskut@esimerkki.fi"] = "550 5.1.1 <laskut@esimerkki.fi>: mailbox unavailable"
    with pytest.raises(AdapterError) as refused:
        channel(server.port, bcc="arkisto@kahvila.fi").deliver(INVOICE, context(pdf))

    assert refused.value.retryable is False
    assert "550 5.1.1 <laskut@esimerkki.fi>: mailbox unavailable" in refused.value.message
    assert refused.value.code == "550"
    assert inbox.received == []  # not even the archive copy: the invoice did not go out


def test_greylisting_451_is_retried_later(server, inbox, pdf):
    inbox.rcpt_replies["laskut@esimerkki.fi"] = "451 4.7.1 Greylisted, please try again later"
    with pytest.raises(AdapterError) as refused:
        channel(server.port).deliver(INVOICE, context(pdf))

    assert refused.value.retryable is True
    assert "451 4.7.1 Greylisted" in refused.value.message


def test_a_server_that_is_down_is_retried_later(pdf):
    with pytest.raises(AdapterError) as failed:
        channel(free_port()).deliver(INVOICE, context(pdf))

    assert failed.value.retryable is True
    assert "connection refused" in failed.value.message


def test_a_server_that_accepts_but_never_answers_times_out_and_is_retried_later(pdf):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel completes the handshake; nobody ever sends the greeting
        with pytest.raises(AdapterError) as failed:
            channel(silent.getsockname()[1], timeout=0.3).deliver(INVOICE, context(pdf))

    assert failed.value.retryable is True
    assert "no answer within 0.3 s" in failed.value.message


def test_a_connection_dropped_by_the_server_is_retried_later(pdf):
    with socket.socket() as rude:
        rude.bind(("127.0.0.1", 0))
        rude.listen()
        threading.Thread(target=lambda: rude.accept()[0].close(), daemon=True).start()
        with pytest.raises(AdapterError) as failed:
            channel(rude.getsockname()[1]).deliver(INVOICE, context(pdf))

    assert failed.value.retryable is True


def test_a_server_that_hangs_up_right_after_taking_the_message_still_counts_as_delivered(pdf):
    received = []

    def serve_once(listener):
        connection, _ = listener.accept()
        with connection, connection.makefile("rb") as lines:
            connection.sendall(b"220 relay ready\r\n")
            for line in lines:
                verb = line[:4].upper()
                if verb == b"DATA":
                    connection.sendall(b"354 go ahead\r\n")
                    received.append(b"".join(iter(lambda: lines.readline(), b".\r\n")))
                    connection.sendall(b"250 2.0.0 queued as 7Hq\r\n")
                    return  # and hang up before QUIT
                connection.sendall(b"250 ok\r\n")

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        threading.Thread(target=serve_once, args=(listener,), daemon=True).start()
        result = channel(listener.getsockname()[1]).deliver(INVOICE, context(pdf))

    assert len(received) == 1
    assert result.response_excerpt == "250 2.0.0 queued as 7Hq"


@plain_auth
def test_with_username_and_password_the_message_is_sent_after_logging_in(auth_server, inbox, pdf):
    channel(auth_server.port, username=USERNAME, password=PASSWORD).deliver(INVOICE, context(pdf))

    assert len(inbox.received) == 1


@plain_auth
def test_without_logging_in_a_server_that_requires_it_refuses_for_good(auth_server, inbox, pdf):
    with pytest.raises(AdapterError) as refused:
        channel(auth_server.port).deliver(INVOICE, context(pdf))

    assert refused.value.retryable is False
    assert refused.value.code == "530"
    assert inbox.received == []


@plain_auth
def test_a_wrong_password_fails_for_good_and_the_password_shows_nowhere(auth_server, inbox, pdf, caplog):
    wrong = "Vaara-salasana-77"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AdapterError) as refused:
        channel(auth_server.port, username=USERNAME, password=wrong).deliver(INVOICE, context(pdf))

    error = refused.value
    assert error.retryable is False
    assert "check username and password" in error.message
    assert error.code == "535"
    shown = " ".join([error.message, error.response_excerpt, str(error), repr(error.args)])
    assert "***" in error.response_excerpt  # the server repeated it; the channel blanked it out
    assert wrong not in shown
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("adapters.email"))
    assert "authentication failed" in ours and wrong not in ours  # (the test server's own log shows it)
    assert inbox.received == []


def test_every_attempt_of_one_delivery_carries_the_same_message_id(server, inbox, pdf):
    first = channel(server.port).deliver(INVOICE, context(pdf, attempt=1))
    second = channel(server.port).deliver(INVOICE, context(pdf, attempt=2))
    other = channel(server.port).deliver(INVOICE, context(pdf, delivery_id="5f0c9d2e-0002"))

    ids = [mail.message["Message-ID"] for mail in inbox.received]
    assert ids[0] == ids[1] == first.external_id == second.external_id == "<invoice.5f0c9d2e-0001@kahvila.fi>"
    assert ids[2] == other.external_id != ids[0]


def test_the_archive_copy_goes_to_bcc_without_the_customer_seeing_it(server, inbox, pdf):
    result = channel(server.port, bcc="arkisto@kahvila.fi").deliver(INVOICE, context(pdf))

    (mail,) = inbox.received
    assert mail.rcpt_tos == ["laskut@esimerkki.fi", "arkisto@kahvila.fi"]
    assert "arkisto" not in mail.message.as_string().split("\n\n", 1)[0]  # in no header
    assert "bcc_refused" not in result.details


def test_a_refused_archive_copy_does_not_stop_the_invoice_reaching_the_customer(server, inbox, pdf):
    inbox.rcpt_replies["arkisto@kahvila.fi"] = "550 5.1.1 No such user"
    result = channel(server.port, bcc="arkisto@kahvila.fi").deliver(INVOICE, context(pdf))

    assert inbox.received[0].rcpt_tos == ["laskut@esimerkki.fi"]
    assert result.details["bcc_refused"] == "arkisto@kahvila.fi: 550 5.1.1 No such user"
