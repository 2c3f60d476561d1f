"""Loopback doubles for the outbound-safety tests: a TCP server that records every byte, and a DNS we control."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from adapters import egress

NO_CONTENT = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class RecordingServer:
    """Accepts TCP connections on 127.0.0.1, records what each one sent, answers `reply` once it has a head.

    Raw TCP on purpose: a refused call must not reach it with a single byte (not even a TLS ClientHello),
    which an HTTP server could not tell apart from no connection at all.
    """

    def __init__(self, reply: bytes = NO_CONTENT) -> None:
        self.reply = reply
        self.received: list[bytes] = []  # per connection, in order of closing
        self._accepted = 0
        self._settled = threading.Condition()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def requests(self) -> list[bytes]:
        """What connections sent, leaving out those that sent nothing (connected, then refused)."""
        return [data for data in self.settle() if data]

    def settle(self, connections: int = 0, timeout: float = 20) -> list[bytes]:
        """`received`, once every connection accepted so far (and at least `connections`) is closed and recorded."""
        with self._settled:
            self._settled.wait_for(lambda: len(self.received) >= max(self._accepted, connections), timeout)
            return list(self.received)

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._settled:
                self._accepted += 1
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        connection.settimeout(2)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                data += chunk
            if b"\r\n\r\n" in data:
                connection.sendall(self.reply)
        except OSError:
            pass
        finally:
            connection.close()
            with self._settled:
                self.received.append(data)
                self._settled.notify_all()


class FakeDns:
    """socket.getaddrinfo answering chosen names with chosen addresses; every other name as the system does.

    `answers[name]` is the answer to every lookup; `rounds(name, first, second, ...)` answers each lookup
    with the next one (the last repeats): a name that changes its answer between two lookups.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: dict[str, list[str]] = {}
        self._rounds: dict[str, list[list[str]]] = {}
        self.asked: list[str] = []
        real = socket.getaddrinfo

        def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 - socket's own names
            name = host.decode() if isinstance(host, bytes) else host
            if name in self._rounds:
                rounds = self._rounds[name]
                self.answers[name] = rounds.pop(0) if len(rounds) > 1 else rounds[0]
            if name in self.answers:
                self.asked.append(name)
                return [(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                         (address, int(port or 0))) for address in self.answers[name]]
            return real(host, port, family, type, proto, flags)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def rounds(self, name: str, *answers: list[str]) -> None:
        self._rounds[name] = list(answers)


@contextmanager
def policy(*, allow_private_targets: bool = False, proxy: str | None = None) -> Iterator[None]:
    """The egress policy for a block (strict by default), then the one before it again."""
    previous = egress.configure(allow_private_targets=allow_private_targets, proxy=proxy)
    try:
        yield
    finally:
        egress.restore(previous)


@contextmanager
def recording_server(reply: bytes = NO_CONTENT) -> Iterator[RecordingServer]:
    server = RecordingServer(reply)
    try:
        yield server
    finally:
        server.close()


def redirect_to(url: str) -> bytes:
    return (f"HTTP/1.1 302 Found\r\nLocation: {url}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").encode()


# The spellings of issue 8 and their relatives: each names a host that is not public.
UNSAFE_HOSTS = [
    "127.0.0.1", "::1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.0.0.1", "169.254.169.254",
    "metadata.google.internal", "::ffff:127.0.0.1", "::ffff:7f00:1", "0.0.0.0", "::", "localhost",
    "LOCALHOST.", "10.0.0.8", "192.168.1.1", "172.16.0.1", "100.64.0.1", "fd00::1", "fe80::1", "224.0.0.1",
    "ff02::1", "240.0.0.1", "2002:7f00:1::", "64:ff9b::a9fe:a9fe", "db.internal", "printer.local", "intranet",
    "999.1.1.1",
]


def url_of(host: str, scheme: str = "https", path: str = "/hook") -> str:
    return f"{scheme}://{f'[{host}]' if ':' in host else host}{path}"


class Mailbox:
    """What a test SMTP server received: (recipients, parsed message) per mail."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        import email
        import email.policy

        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"
