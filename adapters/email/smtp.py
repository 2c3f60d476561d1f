"""One SMTP submission over a fresh connection, and what each SMTP failure means for a retry.

Reply codes follow RFC 5321 §4.2: 4yz is a transient failure (try again later), 5yz a permanent one.
Implicit TLS follows RFC 8314, STARTTLS RFC 3207, AUTH RFC 4954 (535: credentials invalid).
"""

from __future__ import annotations

import base64
import logging
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass, field
from email import policy
from functools import cache

from adapters.base import AdapterError
from adapters.egress import GuardedSMTP, GuardedSMTP_SSL

from .config import EmailConfig
from .message import Outgoing

EXCERPT_LIMIT = 500

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    reply: str  # the server's final reply to the message, "250 2.0.0 Ok: queued as 4Xk2"
    refused: dict[str, str] = field(default_factory=dict)  # archive copy refused: address -> reply


class SmtpSender:
    """Submits messages to the tenant's SMTP server; raises AdapterError(retryable=...) when it cannot."""

    def __init__(self, config: EmailConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self._ssl_context = ssl_context  # tests pass a context that trusts their own CA

    @property
    def ssl_context(self) -> ssl.SSLContext:
        return self._ssl_context or system_trust()

    def send(self, outgoing: Outgoing) -> Sent:
        # CRLF line ends on the wire (RFC 5321 §2.3.8); smtplib dot-stuffs bytes but does not convert them.
        data = outgoing.message.as_bytes(policy=policy.SMTP)
        recipients = [outgoing.recipient] + ([outgoing.bcc] if outgoing.bcc else [])
        started = time.monotonic()
        try:
            connection = self._connect()
            try:
                self._secure_and_log_in(connection)
                sent = _transaction(connection, outgoing.sender, recipients, data)
            finally:
                _close(connection)
        except (smtplib.SMTPException, OSError) as error:
            failure = self._adapter_error(error)
            log.info("smtp %s:%s %s failed in %.0f ms: %s", self.config.host, self.config.port,
                     outgoing.message_id, (time.monotonic() - started) * 1000, failure.message)
            raise failure from None
        log.info("smtp %s:%s %s -> %s in %.0f ms", self.config.host, self.config.port, outgoing.message_id,
                 sent.reply, (time.monotonic() - started) * 1000)
        return sent

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        # The guarded classes check the address connected before a byte of SMTP (adapters/egress.py).
        if c.security == "ssl":
            return GuardedSMTP_SSL(c.host, c.port, timeout=c.timeout, context=self.ssl_context)
        return GuardedSMTP(c.host, c.port, timeout=c.timeout)

    def _secure_and_log_in(self, connection: smtplib.SMTP) -> None:
        if self.config.security == "starttls":
            connection.ehlo()
            # No STARTTLS on offer is refused, never sent in the clear: it is a misconfigured server,
            # or someone in between removing it from the EHLO reply.
            connection.starttls(context=self.ssl_context)
            connection.ehlo()
        if self.config.username:
            connection.login(self.config.username, self.config.password or "")

    def _adapter_error(self, error: OSError) -> AdapterError:
        where = f"{self.config.host}:{self.config.port}"
        secrets = _secret_forms(self.config.username, self.config.password)

        def refused(message: str, code: int, reply: bytes | str) -> AdapterError:
            excerpt = _scrub(f"{code} {_text(reply)}", secrets)[:EXCERPT_LIMIT]
            return AdapterError(f"SMTP {where}: {message}: {excerpt}", retryable=400 <= code < 500,
                                response_excerpt=excerpt, code=str(code))

        if isinstance(error, smtplib.SMTPRecipientsRefused):
            (address, (code, reply)), *_ = error.recipients.items()
            return refused(f"the recipient {address} was refused", code, reply)
        if isinstance(error, smtplib.SMTPSenderRefused):
            return refused(f"the sender {_text(error.sender)} was refused", error.smtp_code, error.smtp_error)
        if isinstance(error, smtplib.SMTPAuthenticationError):
            if 400 <= error.smtp_code < 500:  # 454: the server cannot check credentials just now
                return refused("authentication failed for now", error.smtp_code, error.smtp_error)
            return refused("authentication failed; check username and password", error.smtp_code,
                           error.smtp_error)
        if isinstance(error, smtplib.SMTPResponseException):  # greeting, EHLO, DATA and the rest
            return refused("the server refused the message", error.smtp_code, error.smtp_error)
        if isinstance(error, smtplib.SMTPNotSupportedError):
            # STARTTLS or AUTH missing from the server's EHLO reply: a setting to correct, not a hiccup.
            return AdapterError(f"SMTP {where}: {error} Check the security and username settings.",
                                retryable=False, code="not_supported")
        if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
            # smtplib reports a reply that never came as SMTPServerDisconnected, the timeout as its context.
            return AdapterError(f"SMTP {where}: no answer within {self.config.timeout:g} s", retryable=True,
                                code="timeout")
        if isinstance(error, smtplib.SMTPServerDisconnected):
            return AdapterError(f"SMTP {where}: the server closed the connection", retryable=True,
                                code="disconnected")
        if isinstance(error, smtplib.SMTPException):  # SMTPException is an OSError too: ask it first
            # e.g. "No suitable authentication method found."
            return AdapterError(f"SMTP {where}: {_scrub(str(error), secrets)}", retryable=False, code="smtp")
        if isinstance(error, ssl.SSLCertVerificationError):
            return AdapterError(f"SMTP {where}: the server's TLS certificate is not trusted "
                                f"({error.verify_message}); check host and security", retryable=False,
                                code="tls_certificate")
        if isinstance(error, ssl.SSLError):
            return AdapterError(f"SMTP {where}: the TLS handshake failed ({error.reason or error})",
                                retryable=True, code="tls")
        if isinstance(error, ConnectionRefusedError):
            return AdapterError(f"SMTP {where}: connection refused", retryable=True, code="connection")
        if isinstance(error, socket.gaierror):
            # Retryable: a resolver may be down for a while; a typo ends in `dead` once retries run out.
            return AdapterError(f"SMTP {where}: the host name cannot be resolved", retryable=True,
                                code="connection")
        return AdapterError(f"SMTP {where}: connection failed ({type(error).__name__})", retryable=True,
                            code="connection")


@cache
def system_trust() -> ssl.SSLContext:
    """The system's trusted CAs and host name checking, loaded once per process and only when a connection
    uses TLS. Loading the CA store costs more than a whole submission to a server nearby, and a worker
    builds a sender for every delivery (and asks each channel what documents it needs); one context serves
    every connection (CPython's SSLContext is safe to share between threads). A changed CA store is read by
    the next process."""
    return ssl.create_default_context()


def _transaction(connection: smtplib.SMTP, sender: str, recipients: list[str], data: bytes) -> Sent:
    """MAIL, RCPT, DATA by hand rather than sendmail(): sendmail delivers to the archive copy alone when
    only the customer is refused, and reports that as success."""
    connection.ehlo_or_helo_if_needed()
    options = [f"SIZE={len(data)}"] if connection.has_extn("size") else []  # a too large message fails early
    code, reply = connection.mail(sender, options)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    customer, *archive = recipients
    code, reply = connection.rcpt(customer)
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({customer: (code, reply)})
    refused = {}
    for address in archive:
        code, reply = connection.rcpt(address)
        if code not in (250, 251):
            refused[address] = f"{code} {_text(reply)}"[:EXCERPT_LIMIT]  # the customer still gets it
    code, reply = connection.data(data)  # raises SMTPDataError unless 250
    final_line = _text(reply).splitlines()[-1:] or [""]
    return Sent(f"{code} {final_line[0]}".strip()[:EXCERPT_LIMIT], refused)


def _close(connection: smtplib.SMTP) -> None:
    # After the server took the message, nothing about QUIT may turn the delivery into a failure (and a
    # second copy): a QUIT refused or unanswered is ignored.
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _secret_forms(username: str | None, password: str | None) -> list[str]:
    """The password as itself and as AUTH PLAIN / LOGIN put it on the wire, in case a server echoes it."""
    if not password:
        return []
    plain = f"\0{username or ''}\0{password}".encode()
    return [password, base64.b64encode(password.encode()).decode(), base64.b64encode(plain).decode()]


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
