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
