"""The email channel over TLS on loopback: STARTTLS (the default), implicit TLS, and never without TLS."""

from __future__ import annotations

import shutil
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller

from adapters.base import AdapterError
from adapters.email import EmailChannel, EmailConfig, smtp
from invoicing_plugin.documents.pdf import render_invoice_pdf
from tests.e2e.adapters.test_email_delivery import (
    INVOICE,
    PASSWORD,
    USERNAME,
    Inbox,
    authenticator,
    context,
    free_port,
)

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture
def server_tls(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def trusting(certificate) -> ssl.SSLContext:
    """What a client that trusts our test certificate uses (as a system CA store would trust a real one)."""
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture
def inbox():
    return Inbox()


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_invoice_pdf(INVOICE)


def serve(inbox, **options):
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller


def channel(port, ssl_context=None, **settings):
    config = EmailConfig.from_settings({"host": "127.0.0.1", "port": port,
                                        "from_address": "laskutus@kahvila.fi",
                                        "timeout": 5, **settings})
    return EmailChannel(config, ssl_context=ssl_context)


def test_starttls_with_login_delivers_the_invoice(inbox, server_tls, trusting, pdf):
    # The server refuses everything, AUTH included, until STARTTLS: the password only travels encrypted.
    server = serve(inbox, tls_context=server_tls, require_starttls=True, authenticator=authenticator,
                   auth_required=True)
    try:
        tls_channel = channel(server.port, trusting, username=USERNAME, password=PASSWORD)
        result = tls_channel.deliver(INVOICE, context(pdf))
    finally:
        server.stop()

    assert inbox.received[0].rcpt_tos == ["laskut@esimerkki.fi"]
    assert result.response_excerpt.startswith("250")


def test_implicit_tls_delivers_the_invoice(inbox, server_tls, trusting, pdf):
    server = serve(inbox, ssl_context=server_tls)
    try:
        channel(server.port, trusting, security="ssl").deliver(INVOICE, context(pdf))
    finally:
        server.stop()

    assert len(inbox.received) == 1


def test_a_certificate_nobody_vouches_for_fails_for_good(inbox, server_tls, pdf):
    server = serve(inbox, tls_context=server_tls, require_starttls=True)
    try:
        with pytest.raises(AdapterError) as refused:
            channel(server.port).deliver(INVOICE, context(pdf))  # the system's CAs: ours is not among them
    finally:
        server.stop()

    assert refused.value.retryable is False
    assert "certificate is not trusted" in refused.value.message
    assert inbox.received == []


def test_a_server_without_starttls_is_not_sent_to_in_the_clear(inbox, trusting, pdf):
    server = serve(inbox)  # no TLS on offer
    try:
        with pytest.raises(AdapterError) as refused:
            plain = channel(server.port, trusting, username=USERNAME, password=PASSWORD)
            plain.deliver(INVOICE, context(pdf))
    finally:
        server.stop()

    assert refused.value.retryable is False
    assert "STARTTLS" in refused.value.message
    assert inbox.received == []


def test_the_system_ca_store_is_loaded_once_per_process_and_only_for_tls(inbox, server_tls, pdf, monkeypatch):
    # A worker builds a channel for every delivery; loading the CA store each time cost it about half its
    # CPU in bench/month_end.py.
    loads = []
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *args, **kw: loads.append(args) or real(*args, **kw))
    smtp.system_trust.cache_clear()
    server = serve(inbox, tls_context=server_tls, require_starttls=True)
    try:
        for _ in range(50):
            channel(server.port)
        assert loads == [], "building a channel loads nothing"
        for _ in range(2):
            with pytest.raises(AdapterError, match="certificate is not trusted"):
                channel(server.port).deliver(INVOICE, context(pdf))
    finally:
        server.stop()
        smtp.system_trust.cache_clear()
    assert len(loads) == 1, "the first TLS connection loads it; the next one uses it again"
