"""Outbound safety: what the egress checks refuse, at save time and at connect time, and what they let through."""

from __future__ import annotations

import ipaddress

import pytest
import requests

from adapters import egress
from adapters.base import AdapterError
from adapters.email.config import EmailConfig
from adapters.email.message import Outgoing
from adapters.email.smtp import SmtpSender
from adapters.netvisor.client import NetvisorClient
from adapters.netvisor.config import NetvisorConfig
from adapters.ropo24.client import Ropo24Client, Ropo24Config
from invoicing_plugin.config import load_settings
from tests.outbound import UNSAFE_HOSTS, FakeDns, policy, recording_server, redirect_to, url_of

PUBLIC = "93.184.216.34"  # example.com's long-standing address


@pytest.fixture
def strict():
    with policy():
        yield


@pytest.fixture
def dns(monkeypatch) -> FakeDns:
    return FakeDns(monkeypatch)


@pytest.mark.parametrize(("spelled", "address"), [
    ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"), ("127.0.1", "127.0.0.1"), ("0xa9fea9fe", "169.254.169.254"), ("0", "0.0.0.0"),
    ("::ffff:127.0.0.1", "::ffff:7f00:1"), ("8.8.8.8", "8.8.8.8"),
])
def test_every_spelling_of_an_address_is_read_as_resolvers_read_it(spelled, address):
    assert egress.literal_address(spelled) == ipaddress.ip_address(address)


@pytest.mark.parametrize("name", ["example.com", "0x7f.example", "1.2.3.4.5", "08.0.0.1", "256.0.0.1"])
def test_names_and_impossible_numbers_are_not_addresses(name):
    assert egress.literal_address(name) is None


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "a loopback"), ("::1", "a loopback"), ("10.1.2.3", "a private"), ("169.254.169.254", "a link-local"),
    ("0.0.0.0", "an unspecified"), ("::", "an unspecified"), ("224.0.0.1", "a multicast"), ("ff02::1", "a multicast"),
    ("240.0.0.1", "a reserved"), ("fec0::1", "a site-local"), ("100.64.0.1", "a non-public"),
    ("::ffff:127.0.0.1", "a loopback (IPv4-mapped)"), ("2002:7f00:1::", "a loopback (embedded in 2002:7f00:1::)"),
    ("64:ff9b::a9fe:a9fe", "a link-local (embedded in 64:ff9b::a9fe:a9fe)"), ("::127.0.0.1", "a loopback (embedded"),
])
def test_non_public_addresses_are_named_for_what_they_are(address, kind):
    assert egress.non_public_kind(ipaddress.ip_address(address)).startswith(kind)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "::ffff:93.184.216.34", "2002:5db8:d822::"])
def test_public_addresses_pass(address):
    assert egress.non_public_kind(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("host", UNSAFE_HOSTS)
def test_every_unsafe_spelling_is_refused_at_save_time(strict, host):
    with pytest.raises(egress.UnsafeTarget):
        egress.check_url(url_of(host))
    with pytest.raises(egress.UnsafeTarget):
        egress.check_host(host)


def test_the_refusal_says_what_the_host_is(strict):
    with pytest.raises(egress.UnsafeTarget, match=r"^0x7f000001 is a loopback address \(127\.0\.0\.1\)"):
        egress.check_url("https://0x7f000001/hook")
    with pytest.raises(egress.UnsafeTarget, match="a name inside the local network"):
        egress.check_url("https://metadata.google.internal/computeMetadata/v1/")


def test_a_name_resolving_to_any_internal_address_is_refused(strict, dns):
    dns.answers["shop.example"] = [PUBLIC, "10.0.0.5"]
    with pytest.raises(egress.UnsafeTarget, match=r"shop\.example resolves to 10\.0\.0\.5, a private address"):
        egress.check_url("https://shop.example/hook")


def test_a_public_https_url_is_accepted(strict, dns):
    dns.answers["shop.example"] = [PUBLIC, "2606:4700::1111"]
    assert egress.check_url("https://shop.example:8443/hook?x=1") == "https://shop.example:8443/hook?x=1"
    assert dns.asked == ["shop.example"]


def test_a_name_that_does_not_resolve_yet_is_accepted_and_left_to_the_connect_time_check(strict):
    egress.check_url("https://not-there.invalid/hook")  # RFC 6761: .invalid never resolves


@pytest.mark.parametrize(("url", "problem"), [
    ("http://shop.example/hook", "must be an https URL"),
    ("ftp://shop.example/", "must be an https URL"),
    ("https://shop.example\\@127.0.0.1/", "backslashes"),
    ("https://shop example/", "spaces"),
    ("https://shop.example:99999/", "not a valid URL"),
    ("https:///hook", "must name a host"),
    ("https://１２７。０。０。１/", "not a valid URL"),
])
def test_urls_that_are_not_plainly_https_are_refused(strict, url, problem):
    with pytest.raises(egress.UnsafeTarget, match=problem):
        egress.check_url(url)


def test_allowing_private_targets_allows_loopback_and_http():
    with policy(allow_private_targets=True):
        egress.check_url("http://127.0.0.1:8080/hook")
        egress.check_host("localhost")
        with pytest.raises(egress.UnsafeTarget, match="must be an https URL"):
            egress.check_url("ftp://127.0.0.1/")


# -- connect time -----------------------------------------------------------------------------------

def test_a_name_that_rebinds_to_loopback_is_refused_at_connect_time_before_a_byte_is_sent(strict, dns):
    with recording_server() as server:
        dns.answers["shop.example"] = [PUBLIC]
        egress.check_url(f"https://shop.example:{server.port}/hook")  # fine at save time
        dns.answers["shop.example"] = ["127.0.0.1"]  # the attacker's DNS answers otherwise a moment later
        with egress.safe_session() as http, pytest.raises(egress.RefusedConnection) as refused:
            http.post(f"https://shop.example:{server.port}/hook", data=b"{}", timeout=5)
        # Before the listener closes: a connection still in its backlog would be lost, not recorded.
        assert server.settle(connections=1) == [b""], "the TCP connection opened, then closed without a byte"
    assert "resolved to 127.0.0.1, a loopback address" in refused.value.message
    assert refused.value.retryable is False and isinstance(refused.value, AdapterError)


def test_each_http_client_refuses_a_rebound_name(strict, dns):
    with recording_server() as server:
        dns.answers["api.service.example"] = ["127.0.0.1"]
        base = f"https://api.service.example:{server.port}"
        netvisor = NetvisorClient(NetvisorConfig(sender="s", customer_id="c", customer_key="k", partner_id="p",
                                                 partner_key="k", organisation_id="0737546-2", host=base))
        with pytest.raises(egress.RefusedConnection):
            netvisor.list_sales_payments()
        with pytest.raises(egress.RefusedConnection):
            Ropo24Client(Ropo24Config(cid="1", apicode="a", base_url=f"{base}/rest")).status_updates(billnum="1")
    assert server.requests == []


def test_a_stored_loopback_url_is_refused_when_called_even_through_a_proxy(strict):
    with recording_server() as proxy:
        with policy(proxy=proxy.url), egress.safe_session() as http:
            with pytest.raises(egress.RefusedConnection, match="127.0.0.1 is a loopback address"):
                http.get("https://127.0.0.1:5432/", timeout=5)
            with pytest.raises(egress.RefusedConnection, match="must be an https URL"):
                http.get("http://shop.example/", timeout=5)
    assert proxy.requests == []


def test_smtp_refuses_a_host_that_rebinds_to_loopback(strict, dns):
    with recording_server() as server:
        dns.answers["mail.example"] = [PUBLIC]
        config = EmailConfig.from_settings({"host": "mail.example", "port": server.port, "security": "none",
                                            "from_address": "laskut@kahvila.fi"})
        dns.answers["mail.example"] = ["127.0.0.1"]
        outgoing = Outgoing(message=_message(), sender="laskut@kahvila.fi", recipient="laskut@esimerkki.fi",
                            bcc=None, message_id="<m@kahvila.fi>", attachments=())
        with pytest.raises(egress.RefusedConnection, match="resolved to 127.0.0.1") as refused:
            SmtpSender(config).send(outgoing)
    assert refused.value.retryable is False
    assert server.requests == []


def _message():
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = "Lasku"
    message.set_content("Hei")
    return message


# -- redirects and the proxy ----------------------------------------------------------------------

def test_redirects_are_never_followed():
    with recording_server() as inner, recording_server(redirect_to(f"{inner.url}/stolen")) as outer:
        with policy(allow_private_targets=True), egress.safe_session() as http:
            response = http.get(f"{outer.url}/hook", timeout=5)  # requests would follow by default
            token = Ropo24Client(Ropo24Config(cid="1", apicode="a", base_url=f"{outer.url}/rest"))
            with pytest.raises(AdapterError):
                token.status_updates(billnum="1")  # POST /token answered 302: a failure, not a detour
    assert response.status_code == 302
    assert inner.settle() == []
    assert len(outer.requests) == 2


def test_the_egress_proxy_carries_every_call(strict):
    refused = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    with recording_server(refused) as proxy:
        with policy(proxy=proxy.url), egress.safe_session() as http:
            # No local lookup: the proxy resolves and connects (and must refuse internal targets itself).
            egress.check_url("https://shop.example/hook")
            with pytest.raises(requests.exceptions.ProxyError):
                http.post("https://shop.example/hook", data=b"{}", timeout=5)
        with policy(allow_private_targets=True, proxy=proxy.url), egress.safe_session() as http:
            assert http.get("http://shop.example/plain", timeout=5).status_code == 403
    # The two connections' handlers may finish in either order: compare what arrived, not its order.
    received = sorted(proxy.settle(connections=2))
    assert received[0].startswith(b"CONNECT shop.example:443 HTTP/1.")
    assert received[1].startswith(b"GET http://shop.example/plain HTTP/1.1\r\n")


def test_environment_proxies_are_ignored(monkeypatch):
    with recording_server() as target, recording_server() as env_proxy:
        monkeypatch.setenv("HTTP_PROXY", env_proxy.url)
        with policy(allow_private_targets=True), egress.safe_session() as http:
            assert http.get(f"{target.url}/x", timeout=5).status_code == 204
    assert env_proxy.settle() == [] and len(target.requests) == 1


# -- settings ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("1", True), ("YES", True), ("false", False),
                                               ("0", False), ("no", False), (True, True)])
def test_allow_private_targets_is_a_yes_or_no_setting(tmp_path, raw, expected):
    settings = load_settings(str(tmp_path), {"INVOICING_ALLOW_PRIVATE_TARGETS": raw}, environ={})
    assert settings.allow_private_targets is expected


def test_a_misspelt_yes_is_refused_rather_than_read_as_no(tmp_path):
    with pytest.raises(ValueError, match="INVOICING_ALLOW_PRIVATE_TARGETS must be true or false"):
        load_settings(str(tmp_path), {"INVOICING_ALLOW_PRIVATE_TARGETS": "ture"}, environ={})


def test_the_defaults_are_strict_and_without_a_proxy(tmp_path):
    settings = load_settings(str(tmp_path), environ={})
    assert (settings.allow_private_targets, settings.egress_proxy) == (False, None)
    assert egress.policy_from_environment({}) == egress.Policy(allow_private_targets=False, proxy=None)
    assert egress.policy_from_environment({"INVOICING_EGRESS_PROXY": "http://proxy:3128"}).proxy == "http://proxy:3128"


def test_a_proxy_must_be_an_http_url():
    with pytest.raises(ValueError, match="INVOICING_EGRESS_PROXY"), policy(proxy="socks5://proxy:1080"):
        pass
