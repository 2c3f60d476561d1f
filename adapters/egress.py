"""Outbound safety: which hosts the adapters may reach, checked when a setting is saved and again at connect time.

A tenant's admin types webhook URLs and channel hosts; the worker then calls them from inside the operator's
network. Unchecked, that is server-side request forgery (SSRF): `http://169.254.169.254/` reads cloud
credentials, `http://127.0.0.1:5432` probes the database. Following the OWASP SSRF Prevention Cheat Sheet
("Application layer", case 2: the application can send requests to any external address), we

- refuse at save time (`check_url`, `check_host`) any target that is not https, or whose host is, or resolves
  to, an address that is not public: loopback, private, link-local, multicast, reserved, unspecified, in any
  spelling (`2130706433`, `0x7f000001`, `0177.0.0.1`, `[::ffff:127.0.0.1]`, 6to4 and NAT64 forms), and
  names that only mean something inside a network (`localhost`, `*.internal`, `*.local`, single labels);
- check again the address actually connected (`GuardedSession`, `GuardedSMTP`): the cheat sheet warns that
  validating the name is not enough, because DNS can answer differently at connect time (DNS rebinding);
- never follow redirects (a public endpoint could answer 302 to an internal one).

`INVOICING_ALLOW_PRIVATE_TARGETS=true` turns every check off (and allows plain http): for the demo's and the
tests' sandboxes on loopback, and for installations that deliberately deliver inside their own network.
`INVOICING_EGRESS_PROXY` sends every outbound HTTP call through that proxy. The proxy itself may be a private
address, and the target's name is then resolved and connected by the proxy, not here: the proxy must refuse
internal targets (OWASP's network-layer advice). Save-time checks of literal addresses and names still apply.
"""

from __future__ import annotations

import ipaddress
import os
import re
import smtplib
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from adapters.base import AdapterError
from invoicing_plugin.config import parse_flag

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that only mean something inside a network: RFC 6761 (localhost), RFC 6762 (.local, mDNS),
# RFC 8375 (home.arpa), ICANN's reserved private-use .internal (GCP metadata.google.internal lives there).
_LOCAL_NAMES = ("localhost", "localhost.localdomain")
_LOCAL_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")
# Parts of an IPv4 address in the forms inet_aton(3) accepts: decimal, 0x hex, 0-prefixed octal.
_NUMERIC_PART = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))  # RFC 6052, RFC 8215
_COMPAT = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible addresses, ::a.b.c.d
_HINT = "outbound calls go to public hosts only (INVOICING_ALLOW_PRIVATE_TARGETS)"


class UnsafeTarget(ValueError):
    """A URL or host refused when it is saved; the message names the problem, never a secret."""


class RefusedConnection(AdapterError):
    """A call refused at send or connect time. Not retryable: the same name keeps pointing to the same place
    (a rebinding attack or a wrong DNS record), so the delivery goes to `dead` for a person to look at."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, code="unsafe_target")


@dataclass(frozen=True)
class Policy:
    allow_private_targets: bool = False
    proxy: str | None = None  # http://proxy.internal:3128: every outbound HTTP call goes through it


def policy_from_environment(environ: Mapping[str, str] = os.environ) -> Policy:
    """The default policy, for processes that never call `configure` (a bare worker, a script, the tests)."""
    return Policy(parse_flag(environ.get("INVOICING_ALLOW_PRIVATE_TARGETS") or False,
                             "INVOICING_ALLOW_PRIVATE_TARGETS"),
                  environ.get("INVOICING_EGRESS_PROXY") or None)


_policy: Policy | None = None


def current_policy() -> Policy:
    global _policy
    if _policy is None:
        _policy = policy_from_environment()
    return _policy


def configure(*, allow_private_targets: bool, proxy: str | None = None) -> Policy:
    """Set the process-wide policy (create_app and init_app do, from Settings); returns the one replaced."""
    global _policy
    if proxy and urlsplit(proxy).scheme not in ("http", "https"):
        raise ValueError("INVOICING_EGRESS_PROXY must be an http:// or https:// URL")
    previous = current_policy()
    _policy = Policy(bool(allow_private_targets), proxy or None)
    return previous


def restore(policy: Policy) -> None:
    global _policy
    _policy = policy


# -- save time --------------------------------------------------------------------------------------

def check_url(url: object) -> str:
    """The URL when an adapter may call it; UnsafeTarget naming the problem otherwise (resolves the host)."""
    host, port = _split(url, current_policy(), UnsafeTarget)
    check_host(host, port)
    return str(url)


def check_host(host: object, port: int | None = None) -> None:
    """Refuse a host name or address that is, or resolves to, a non-public address (SMTP hosts, URL hosts)."""
    policy = current_policy()
    if policy.allow_private_targets:
        return
    if not isinstance(host, str) or not host.strip():
        raise UnsafeTarget("a host is missing")
    problem = _name_problem(host)
    if problem:
        raise UnsafeTarget(problem)
    if policy.proxy or literal_address(_normal(host)) is not None:
        return  # the proxy resolves and connects, not us; a literal was judged above
    try:
        found = socket.getaddrinfo(_normal(host), port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        # Not resolvable now (a typo, a name not yet published, a resolver down): accepted, because the
        # address is checked again at every connect, and a transient resolver failure must not refuse a save.
        return
    for *_, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0])
        kind = non_public_kind(address)
        if kind:
            raise UnsafeTarget(f"{host} resolves to {address}, {kind} address: {_HINT}")


def _split(url: object, policy: Policy, error: type[Exception]) -> tuple[str, int | None]:
    """Host and port of an http(s) URL that two parsers read the same way."""
    if not isinstance(url, str) or not url:
        raise error("must be a URL")
    if any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in url):
        # Browsers and WHATWG read "\" as "/", Python does not: such a URL means different hosts to different
        # parsers, the classic way past a check (Orange Tsai, "A New Era of SSRF", 2017).
        raise error("must not contain spaces, control characters or backslashes")
    schemes = ("https", "http") if policy.allow_private_targets else ("https",)
    try:
        parts = urlsplit(url)
        port = parts.port
        theirs = parse_url(url).host  # what urllib3, which makes the connection, will connect to
    except (ValueError, LocationParseError):
        raise error("is not a valid URL (check the host and port)") from None
    if parts.scheme.lower() not in schemes:
        raise error("must be an https URL" + ("" if "http" in schemes else
                                             " (plain http only with INVOICING_ALLOW_PRIVATE_TARGETS)"))
    host = parts.hostname
    if not host:
        raise error("must name a host")
    if _normal(theirs or "") != _normal(host):
        raise error("is ambiguous: its host reads differently to different URL parsers")
    return host, port


def _normal(host: str) -> str:
    """Lower case, no brackets, no trailing dot, IDNA-encoded: "１２７。０。０。１" is 127.0.0.1 on the wire."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if not name.isascii() and "%" not in name:
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            pass  # left as is: the resolver will not find it either
    return name


def _name_problem(host: str) -> str | None:
    name = _normal(host)
    if not name:
        return "a host is missing"
    address = literal_address(name)
    if address is None and all(_NUMERIC_PART.fullmatch(part) for part in name.split(".")):
        return f"{host} is not a valid IP address"  # 999.1.1.1, 08.1.1.1: resolvers differ, so refused
    if address is not None:
        kind = non_public_kind(address)
        return f"{host} is {kind} address ({address}): {_HINT}" if kind else None
    if name in _LOCAL_NAMES or name.endswith(_LOCAL_SUFFIXES):
        return f"{host} is a name inside the local network: {_HINT}"
    if "." not in name:
        return f"{host} is a single-label name, which resolves inside the local network: {_HINT}"
    return None


def literal_address(name: str) -> Address | None:
    """The address a host spells, in any form resolvers accept (2130706433, 0x7f.1, 0177.0.0.1, ::1), or None."""
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    parts = name.split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMERIC_PART.fullmatch(part) for part in parts):
        return None
    try:
        values = [int(p[2:] or "0", 16) if p[:2].lower() == "0x" else int(p, 8) if p[0] == "0" else int(p)
                  for p in parts]
    except ValueError:  # 08: not octal
        return None
    # inet_aton(3): the last part fills the bytes the others leave (a.b.c.d, a.b.cd, a.bcd, abcd).
    *leading, last = values
    if any(value > 255 for value in leading) or last >= 256 ** (4 - len(leading)):
        return None
    number = last
    for index, value in enumerate(leading):
        number |= value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def non_public_kind(address: Address) -> str | None:
    """Why the address is not a public one ("a loopback"), or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d on a dual-stack socket
            inner = non_public_kind(address.ipv4_mapped)
            return f"{inner} (IPv4-mapped)" if inner else None
        embedded = [address.sixtofour] if address.sixtofour else []
        compat = address in _COMPAT and int(address) > 1  # :: and ::1 are themselves, not IPv4-compatible
        if compat or any(address in network for network in _NAT64):
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        for inner_address in embedded:
            inner = non_public_kind(inner_address)
            if inner:
                return f"{inner} (embedded in {address})"
    for flag, kind in (("is_unspecified", "an unspecified"), ("is_loopback", "a loopback"),
                       ("is_link_local", "a link-local"), ("is_multicast", "a multicast"),
                       ("is_reserved", "a reserved"), ("is_private", "a private"),
                       ("is_site_local", "a site-local")):
        if getattr(address, flag, False):
            return kind
    return None if address.is_global else "a non-public"


# -- send and connect time ------------------------------------------------------------------------

def check_connected(sock: socket.socket, host: str) -> None:
    """Refuse a socket whose peer is not public: the address actually connected, whatever DNS said before."""
    if current_policy().allow_private_targets:
        return
    peer = ipaddress.ip_address(sock.getpeername()[0])
    kind = non_public_kind(peer)
    if kind:
        sock.close()
        raise RefusedConnection(f"refused to connect to {host}: it resolved to {peer}, {kind} address, "
                                f"when the call was made; {_HINT}")


class _CheckedConnection:
    """Mixed into urllib3's connections: the check runs after TCP connect, before TLS or a byte of HTTP."""

    host: str

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        check_connected(sock, self.host)
        return sock


class _HTTPConnection(_CheckedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_CheckedConnection, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """A transport whose direct connections are checked (proxied ones go through requests' ProxyManager)."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class GuardedSession(requests.Session):
    """A requests session that calls only allowed targets, never follows a redirect, and uses the egress proxy.

    Environment proxies (HTTPS_PROXY, NO_PROXY) are ignored: NO_PROXY could route around the egress proxy,
    and an unchecked proxy would route around the connect-time check. The CA bundle variables still count.
    """

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False
        self.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self.max_redirects = 0
        adapter = GuardedAdapter()
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def get_redirect_target(self, resp: requests.Response) -> None:
        return None  # a 3xx is handed back as it is: the caller sees it as a failure, nothing is followed

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        policy = current_policy()
        # Stored settings may predate these checks, or the proxy hides the connection: judge the URL itself.
        try:
            host, _ = _split(request.url, policy, RefusedConnection)
        except RefusedConnection as error:
            raise RefusedConnection(f"refused to call {request.url}: it {error.message}") from None
        if not policy.allow_private_targets and (problem := _name_problem(host)):
            raise RefusedConnection(f"refused to call {host}: {problem}")
        kwargs["allow_redirects"] = False
        kwargs["proxies"] = {"http": policy.proxy, "https": policy.proxy} if policy.proxy else {}
        return super().send(request, **kwargs)


def safe_session() -> GuardedSession:
    """The HTTP client every adapter uses (e-invoice, Netvisor, Ropo24, the shop's webhooks)."""
    return GuardedSession()


class GuardedSMTP(smtplib.SMTP):
    """smtplib.SMTP that checks the connected address before the server's greeting is read."""

    def _get_socket(self, host, port, timeout):
        sock = super()._get_socket(host, port, timeout)
        check_connected(sock, host)
        return sock


class GuardedSMTP_SSL(smtplib.SMTP_SSL, GuardedSMTP):  # noqa: N801 - named after smtplib.SMTP_SSL
    """Implicit TLS: SMTP_SSL wraps what GuardedSMTP returns, so the check runs before the TLS handshake."""
