"""Server-side request forgery: with the default settings, loopback, private, link-local (the
cloud metadata service) and other non-public targets are refused when an endpoint is saved and
again right before each attempt, which connects to the address it checked."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from django.core.exceptions import ValidationError

from webhooks import services, transport
from webhooks.models import WebhookEndpoint

REFUSED = [
    ("http://127.0.0.1:8000/hooks", "loopback"),
    ("http://localhost/hooks", "loopback"),
    ("http://[::1]/hooks", "loopback"),
    ("http://[::ffff:127.0.0.1]/hooks", "loopback"),
    ("http://[64:ff9b::7f00:1]/hooks", "loopback"),  # NAT64 of 127.0.0.1
    ("http://10.1.2.3/hooks", "private"),
    ("http://172.16.0.1/hooks", "private"),
    ("http://192.168.1.10/hooks", "private"),
    ("http://100.64.0.1/hooks", "private"),  # carrier-grade NAT
    ("http://[fd00::1]/hooks", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fe80::1]/hooks", "link-local"),
    ("http://0.0.0.0/hooks", "unspecified"),
    ("http://224.0.0.1/hooks", "multicast"),
    ("http://240.0.0.1/hooks", "reserved"),
]


@pytest.mark.parametrize(("url", "kind"), REFUSED)
def test_non_public_targets_are_refused_when_saved(make_org, make_endpoint, url, kind):
    org = make_org()
    with pytest.raises(ValidationError) as refused:
        make_endpoint(org, url)
    [message] = refused.value.message_dict["url"]
    assert f"{kind} address" in message and "public addresses" in message
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hooks", "http:// or https://"),
        ("http://user:pw@example.com/hooks", "credentials"),
        ("http://hooks.nonexistent.invalid/x", "can't be resolved"),
        ("http://example.com:99999/x", "not a valid URL"),
        ("", "Enter the URL"),
    ],
)
def test_malformed_urls_are_refused_with_a_reason(make_org, make_endpoint, url, message):
    with pytest.raises(ValidationError) as refused:
        make_endpoint(make_org(), url)
    assert message in refused.value.message_dict["url"][0]


def test_allowing_private_targets_still_refuses_link_local_and_metadata(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert transport.resolve_target("http://127.0.0.1:9/x").address == "127.0.0.1"
    assert transport.resolve_target("http://10.0.0.1/x").address == "10.0.0.1"
    for url in ("http://169.254.169.254/", "http://0.0.0.0/", "http://224.0.0.1/"):
        with pytest.raises(transport.UnsafeTarget):
            transport.resolve_target(url)


def test_https_can_be_required(settings):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    with pytest.raises(transport.UnsafeTarget, match="https://"):
        transport.resolve_target("http://93.184.216.34/hooks")
    assert transport.resolve_target("https://93.184.216.34/hooks").scheme == "https"


def test_public_addresses_are_accepted():
    for address in ("93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"):
        assert transport.address_refusal(ipaddress.ip_address(address), allow_private=False) is None
    target = transport.resolve_target("https://93.184.216.34:8443/in?x=1")
    assert (target.address, target.port, target.path) == ("93.184.216.34", 8443, "/in?x=1")
    assert target.host_header == "93.184.216.34:8443"


def test_a_target_turned_private_after_saving_is_refused_at_send(
    make_org, make_endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    org = make_org()
    make_endpoint(org, receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False  # e.g. production settings
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = services.webhook_event_emit(
            organization=org, event="ticket.triaged", data={"ticket": {"id": 1}}
        )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("pending", 1, None)
    assert delivery.last_error.startswith("Refused: 127.0.0.1 is a loopback address")
    assert receiver.requests == []


def test_dns_rebinding_to_the_metadata_service_is_refused_at_send(
    make_org, make_endpoint, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    """A name that resolved to a public address when saved and to 169.254.169.254 when sent.
    (No DNS server is available to the tests, so the resolver is replaced by a fake one.)"""
    answers = iter(["93.184.216.34", "169.254.169.254"])
    real_getaddrinfo = socket.getaddrinfo

    def rebinding_getaddrinfo(host, port, *args, **kwargs):
        if host != "hooks.rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)
    org = make_org()
    make_endpoint(org, "http://hooks.rebind.test/hooks")
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = services.webhook_event_emit(
            organization=org, event="ticket.triaged", data={"ticket": {"id": 1}}
        )
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_response_code is None
    assert delivery.last_error == (
        "Refused: hooks.rebind.test resolves to 169.254.169.254, which is a link-local "
        "address; webhooks can only be sent to public addresses."
    )


def test_an_attempt_connects_to_the_address_it_checked(
    make_org, make_endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    """`localhost` is resolved once, checked, and connected to by address; the name still
    goes in the Host header."""
    if socket.getaddrinfo("localhost", receiver.port, type=socket.SOCK_STREAM)[0][4][0] != (
        "127.0.0.1"
    ):
        pytest.skip("localhost does not resolve to 127.0.0.1 first here")
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    org = make_org()
    make_endpoint(org, f"http://localhost:{receiver.port}/hooks?source=expertdesk")
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_event_emit(organization=org, event="ticket.triaged", data={})
    [request] = receiver.wait_for(1)
    assert request.headers["host"] == f"localhost:{receiver.port}"
    assert request.path == "/hooks?source=expertdesk"


# ---------------------------------------------------------------- the deny list, address by address

# (address, what the refusal calls it, whether WEBHOOK_ALLOW_PRIVATE_TARGETS lets it through)
DENIED = [
    ("0.0.0.0", "unspecified", False),  # noqa: S104 - an address refused, not bound
    ("0.1.2.3", "unspecified", False),  # "this network", 0.0.0.0/8
    ("10.0.0.1", "private", True),
    ("10.255.255.255", "private", True),
    ("100.64.0.1", "private", True),  # carrier-grade NAT
    ("100.127.255.254", "private", True),
    ("127.0.0.1", "loopback", True),
    ("127.255.0.9", "loopback", True),
    ("169.254.169.254", "link-local", False),  # the cloud metadata service
    ("172.16.0.1", "private", True),
    ("172.31.255.254", "private", True),
    ("192.0.0.1", "IETF protocol", False),
    ("192.0.0.9", "IETF protocol", False),
    ("192.0.0.170", "IETF protocol", False),
    ("192.0.2.1", "documentation", False),
    ("192.88.99.1", "6to4 relay", False),
    ("192.168.1.1", "private", True),
    ("198.18.0.1", "benchmarking", False),
    ("198.19.255.254", "benchmarking", False),
    ("198.51.100.7", "documentation", False),
    ("203.0.113.9", "documentation", False),
    ("224.0.0.1", "multicast", False),
    ("239.255.255.250", "multicast", False),
    ("240.0.0.1", "reserved", False),
    ("255.255.255.254", "reserved", False),
    ("255.255.255.255", "broadcast", False),
    ("::", "unspecified", False),
    ("::1", "loopback", True),
    ("::ffff:127.0.0.1", "loopback", True),  # IPv4-mapped: judged by the IPv4 inside
    ("::ffff:10.1.2.3", "private", True),
    ("::ffff:169.254.169.254", "link-local", False),
    ("::7f00:1", "reserved", False),  # IPv4-compatible (deprecated), outside 2000::/3
    ("::ffff:0:a00:1", "reserved", False),  # IPv4-translated, outside 2000::/3
    ("64:ff9b::7f00:1", "loopback", True),  # NAT64 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", "link-local", False),  # NAT64 of 169.254.169.254
    ("64:ff9b::c000:201", "documentation", False),  # NAT64 of 192.0.2.1
    ("64:ff9b:1::a00:1", "local-use NAT64", True),
    ("64:ff9b:1:ffff::808:808", "local-use NAT64", True),
    ("100::1", "discard-only", False),
    ("100:0:0:1::1", "reserved", False),
    ("2001::1", "Teredo", False),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo", False),
    ("2001:1::1", "IETF protocol", False),
    ("2001:2::1", "benchmarking", False),
    ("2001:3::1", "IETF protocol", False),
    ("2001:10::1", "ORCHID", False),
    ("2001:20::1", "ORCHID", False),
    ("2001:1ff::1", "IETF protocol", False),
    ("2001:db8::1", "documentation", False),
    ("2001:db8:ffff::1", "documentation", False),
    ("2002:7f00:1::1", "loopback", True),  # 6to4 of 127.0.0.1
    ("2002:a00:1::1", "private", True),  # 6to4 of 10.0.0.1
    ("2002:c0a8:101::1", "private", True),  # 6to4 of 192.168.1.1
    ("2002:a9fe:a9fe::1", "link-local", False),  # 6to4 of 169.254.169.254
    ("3fff::1", "documentation", False),
    ("3fff:fff:ffff::1", "documentation", False),
    ("5f00::1", "SRv6 segment-identifier", False),
    ("fc00::1", "private", True),
    ("fd12:3456:789a::1", "private", True),
    ("fe80::1", "link-local", False),
    ("febf:ffff::1", "link-local", False),
    ("fec0::1", "site-local", False),
    ("feff:ffff::1", "site-local", False),
    ("ff02::1", "multicast", False),
    ("ff0e::1", "multicast", False),
    ("4000::1", "reserved", False),  # outside the global unicast range 2000::/3
    ("e000::1", "reserved", False),
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "192.0.1.1",  # next to 192.0.0.0/24 and 192.0.2.0/24, but ordinary
    "192.31.196.1",  # AS112, globally reachable
    "198.20.0.1",  # just past the benchmarking /15
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "2620:4f:8000::1",  # AS112 for IPv6, globally reachable
    "2001:200::1",  # just past 2001::/23
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "::ffff:8.8.8.8",
]


def _url(address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}/hooks"


def test_every_entry_of_the_deny_list_is_tested_here():
    tested = [ipaddress.ip_address(address) for address, _, _ in DENIED]
    for denied in transport.DENIED_NETWORKS:
        assert any(ip in denied.network for ip in tested), f"no test address in {denied.network}"


@pytest.mark.parametrize(("address", "kind", "bypassable"), DENIED)
def test_denied_address_is_refused_when_the_endpoint_is_saved(
    make_org, make_endpoint, address, kind, bypassable
):
    with pytest.raises(ValidationError) as refused:
        make_endpoint(make_org(), _url(address))
    [message] = refused.value.message_dict["url"]
    assert f"{kind} address" in message and "public addresses" in message
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(("address", "kind", "bypassable"), DENIED)
def test_denied_address_is_refused_at_attempt_time(address, kind, bypassable):
    with pytest.raises(transport.UnsafeTarget, match=f"{kind} address"):
        transport.resolve_target(_url(address), allow_private=False)
    result = transport.post(_url(address), body=b"{}", headers={})
    assert result.status_code is None and result.error.startswith("Refused: ")
    assert f"{kind} address" in result.error


@pytest.mark.parametrize(("address", "kind", "bypassable"), DENIED)
def test_only_loopback_and_private_space_open_up_for_development(address, kind, bypassable):
    if bypassable:
        target = transport.resolve_target(_url(address), allow_private=True)
        assert ipaddress.ip_address(target.address) == ipaddress.ip_address(address)
    else:
        with pytest.raises(transport.UnsafeTarget, match=f"{kind} address"):
            transport.resolve_target(_url(address), allow_private=True)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_address_is_accepted_at_save_and_attempt_time(make_org, make_endpoint, address):
    assert transport.address_refusal(ipaddress.ip_address(address), allow_private=False) is None
    target = transport.resolve_target(_url(address), allow_private=False)
    assert ipaddress.ip_address(target.address) == ipaddress.ip_address(address)
    endpoint, _secret = make_endpoint(make_org(), _url(address))
    assert endpoint.url == _url(address)


def test_an_embedded_ipv4_address_is_named_in_the_refusal():
    with pytest.raises(transport.UnsafeTarget) as refused:
        transport.resolve_target("http://[64:ff9b::a00:1]/", allow_private=False)
    assert "a private address (NAT64 form of 10.0.0.1)" in str(refused.value)
