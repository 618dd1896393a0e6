"""The E-mail settings page (owners add and remove aliases; admins look; agents can't), the
reply form on an e-mail ticket's page, and a provider's inbound webhook through anymail."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.core import mail as django_mail
from django.urls import reverse

from accounts.audit import audit_sentence
from accounts.models import AuditLogEntry, Role
from inbound.models import InboundAlias, InboundMessage
from inbound.services import addresses
from solutions.models import Contact, Ticket
from solutions.services import tickets as ticket_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_org: Any, make_user: Any, add_member: Any, settings: Any) -> dict[str, Any]:
    settings.INBOUND_EMAIL_DOMAIN = "in.expertdesk.test"
    owner = make_user(email="owner@acme.example")
    org = make_org(name="Acme", creator=owner)
    admin, agent = make_user(), make_user()
    add_member(org, admin, Role.ADMIN)
    add_member(org, agent, Role.AGENT)
    return {"org": org, "owner": owner, "admin": admin, "agent": agent}


def test_an_owner_adds_and_removes_an_alias(world: dict[str, Any], login: Any) -> None:
    client = login(world["owner"])
    page = client.get(reverse("inbound_settings"))
    assert page.status_code == 200
    assert addresses.primary_address(world["org"]).encode() in page.content

    done = client.post(reverse("inbound_alias_add"), {"address": " Support@Acme.Example "})
    assert done.status_code == 302
    alias = InboundAlias.objects.get(organization=world["org"])
    assert alias.address == "support@acme.example"
    assert b"support@acme.example" in client.get(reverse("inbound_settings")).content
    entry = AuditLogEntry.objects.get(action="inbound.alias_added")
    assert "added the e-mail alias support@acme.example" in audit_sentence(entry)

    client.post(reverse("inbound_alias_remove", args=[alias.pk]))
    assert not InboundAlias.objects.exists()
    assert AuditLogEntry.objects.filter(action="inbound.alias_removed").exists()


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("not an address", "Type an e-mail address"),
        ("help@in.expertdesk.test", "are not aliases"),
        ("taken@other.example", "in use by another organization"),
    ],
)
def test_an_alias_is_validated_and_unique_across_organizations(
    world: dict[str, Any], login: Any, make_org: Any, make_user: Any, address: str, error: str
) -> None:
    other_owner = make_user()
    other = make_org(name="Other", creator=other_owner)
    addresses.alias_add(actor=other_owner, organization=other, address="taken@other.example")
    client = login(world["owner"])
    page = client.post(reverse("inbound_alias_add"), {"address": address}, follow=True)
    assert error in page.content.decode()
    assert not InboundAlias.objects.filter(organization=world["org"]).exists()


def test_admins_read_the_page_and_agents_are_refused(world: dict[str, Any], login: Any) -> None:
    admin = login(world["admin"])
    page = admin.get(reverse("inbound_settings"))
    assert page.status_code == 200 and b"Only owners can add" in page.content
    refused = admin.post(reverse("inbound_alias_add"), {"address": "x@acme.example"}, follow=True)
    assert "Only owners can change the organization" in refused.content.decode()
    assert not InboundAlias.objects.exists()
    assert login(world["agent"]).get(reverse("inbound_settings")).status_code == 403


def _email_ticket(org: Any) -> Ticket:
    contact = Contact.objects.create(organization=org, email="ann@customer.example", name="Ann")
    return ticket_services.ticket_submit(
        organization=org,
        author=None,
        requester=contact,
        title="Printer jams",
        body="Floor 3.",
        channel="email",
    )


def test_an_agent_replies_to_the_requester_from_the_ticket_page(
    world: dict[str, Any], login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = _email_ticket(world["org"])
    client = login(world["agent"])
    page = client.get(reverse("ticket_detail", args=[ticket.number]))
    assert b'data-testid="requester-email"' in page.content
    assert b"Ann &lt;ann@customer.example&gt;" in page.content

    django_mail.outbox.clear()
    url = reverse("ticket_requester_reply", args=[ticket.number])
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"body": "Please restart it."}, follow=True)
    assert "on its way to ann@customer.example" in done.content.decode()
    [sent] = django_mail.outbox
    assert sent.subject == f"Re: [Expertdesk #{ticket.number}] Printer jams"
    assert sent.body == "Please restart it."
    entry = AuditLogEntry.objects.get(action="ticket.requester_emailed")
    assert "e-mailed ann@customer.example, the requester of" in audit_sentence(entry)

    empty = client.post(url, {"body": "  "}, follow=True)
    assert "Write the reply first" in empty.content.decode()
    assert len(django_mail.outbox) == 1


def test_tickets_without_a_requester_have_no_email_panel(world: dict[str, Any], login: Any) -> None:
    ticket = ticket_services.ticket_submit(
        organization=world["org"], author=world["agent"], title="Web ticket", body="From the page."
    )
    client = login(world["agent"])
    page = client.get(reverse("ticket_detail", args=[ticket.number]))
    assert b'data-testid="requester-email"' not in page.content
    refused = client.post(
        reverse("ticket_requester_reply", args=[ticket.number]), {"body": "Hi"}, follow=True
    )
    assert "has no requester" in refused.content.decode()


def test_another_organizations_ticket_is_a_404_for_the_reply_form(
    world: dict[str, Any], login: Any, make_org: Any, make_user: Any
) -> None:
    outsider = make_user()
    make_org(name="Outside", creator=outsider)
    ticket = _email_ticket(world["org"])
    answer = login(outsider).post(
        reverse("ticket_requester_reply", args=[ticket.number]), {"body": "Hi"}
    )
    assert answer.status_code == 404


def _postmark_payload(raw: str, recipient: str) -> str:
    return json.dumps({"RawEmail": raw, "OriginalRecipient": recipient, "Headers": []})


def test_a_providers_inbound_webhook_feeds_the_same_processing(
    world: dict[str, Any], client: Any, settings: Any
) -> None:
    settings.INBOUND_ANYMAIL_ESP = "postmark"
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    recipient = addresses.primary_address(world["org"])
    raw = (
        f"From: Ann <ann@customer.example>\r\nTo: {recipient}\r\nSubject: Laptop fan loud\r\n"
        "Message-ID: <hook-1@customer.example>\r\n\r\nThe fan is loud since the update.\r\n"
    )
    url = reverse("inbound_anymail_webhook", args=["postmark"])
    auth = "Basic " + base64.b64encode(b"hook:s3cret").decode()

    unauthenticated = client.post(
        url, _postmark_payload(raw, recipient), content_type="application/json"
    )
    assert unauthenticated.status_code == 400
    assert not Ticket.objects.exists()

    answer = client.post(
        url,
        _postmark_payload(raw, recipient),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )
    assert answer.status_code == 200
    ticket = Ticket.objects.get(organization=world["org"])
    assert (ticket.title, ticket.body) == ("Laptop fan loud", "The fan is loud since the update.")
    record = InboundMessage.objects.get(ticket=ticket)
    assert record.channel == InboundMessage.Channel.WEBHOOK

    # Another provider's path, or none configured: 404.
    other = reverse("inbound_anymail_webhook", args=["mailgun"])
    assert client.post(other, {}, HTTP_AUTHORIZATION=auth).status_code == 404
