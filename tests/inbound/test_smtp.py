"""Tickets by e-mail, end to end over real SMTP: the test starts the inbound server
(inbound/smtp.py) on a free port and sends with smtplib; what it stores is read back."""

from __future__ import annotations

import smtplib
from typing import Any

import pytest
from django.core import mail as django_mail

from accounts.models import AuditLogEntry
from inbound.models import InboundMessage, OutboundEmail
from inbound.services import addresses
from inbound.services.outbound import requester_reply_send
from solutions.models import Attachment, Contact, Ticket
from tests.inbound.conftest import smtp_started

pytestmark = pytest.mark.django_db(transaction=True)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
Result = InboundMessage.Result


@pytest.fixture
def org(make_org: Any, make_user: Any, inbound_settings: Any) -> Any:
    return make_org(name="Acme Support", creator=make_user(email="owner@acme.example"))


@pytest.fixture
def address(org: Any) -> str:
    return addresses.primary_address(org)


def _only_ticket(org: Any) -> Ticket:
    [ticket] = Ticket.objects.filter(organization=org)
    return ticket


def test_a_plain_text_mail_becomes_a_triaged_ticket_of_its_sender(
    smtp_server: Any, mail: Any, org: Any, address: str
) -> None:
    assert address == f"{org.slug}@in.expertdesk.test"
    smtp_server.send(mail(to=address))

    ticket = _only_ticket(org)
    assert ticket.channel == Ticket.Channel.EMAIL
    assert ticket.author is None
    assert ticket.title == "Printer on floor 3 jams"
    assert ticket.body == "The printer on floor 3 jams on every page since Monday."
    assert ticket.requester == Contact.objects.get(
        organization=org, email="ann@customer.example", name="Ann Requester"
    )
    # Triaged like any ticket: with no model yet, it goes to an expert and says why.
    assert ticket.status == Ticket.Status.NEEDS_EXPERT
    assert ticket.events.filter(kind="triage_unavailable").exists()
    record = InboundMessage.objects.get(organization=org)
    assert (record.result, record.ticket_id, record.recipient) == (
        Result.CREATED,
        ticket.pk,
        address,
    )
    assert AuditLogEntry.objects.filter(
        action="ticket.submitted", details__channel="email", target_id=str(ticket.pk)
    ).exists()


def test_a_mail_is_triaged_by_the_organizations_model(
    inbound_settings: Any, mail: Any, make_org_with_model: Any
) -> None:
    org = make_org_with_model()
    with smtp_started() as server:
        server.send(
            mail(
                to=addresses.primary_address(org),
                subject="VPN keeps disconnecting",
                text="The VPN router drops the connection every hour, wifi is fine.",
            )
        )
    ticket = _only_ticket(org)
    assert ticket.model_version is not None
    assert ticket.predicted_category in {"access", "hardware", "network", "software"}
    assert ticket.events.filter(kind="triaged").exists()


def test_html_mail_is_converted_to_text_and_sanitized(
    smtp_server: Any, mail: Any, org: Any, address: str
) -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert('head')</script></head><body>"
        "<p>Hello,</p><p>Outlook <b>crashes</b> when I open <a href='https://x.example/a'>"
        "the shared calendar</a>.</p><img src=x onerror=alert('img')>"
        "<script>document.cookie</script><ul><li>Windows 11</li><li>Office 365</li></ul>"
        "</body></html>"
    )
    smtp_server.send(mail(to=address, subject="Outlook crashes", text=None, html=html))

    body = _only_ticket(org).body
    assert "Outlook crashes when I open the shared calendar (https://x.example/a)." in body
    assert "- Windows 11\n- Office 365" in body
    for gone in ("<", "script", "alert", "cookie", "onerror", "color:red"):
        assert gone not in body, body


def test_quoted_replies_and_the_signature_are_stripped(
    smtp_server: Any, mail: Any, org: Any, address: str
) -> None:
    text = (
        "The scanner shows error E42.\n\nThanks\n-- \nAnn Requester\nFloor 3, ext. 4411\n"
        "\nOn Mon, 1 Dec 2026 at 09:00, Bob <bob@customer.example> wrote:\n> old text\n"
    )
    smtp_server.send(mail(to=address, subject="Scanner error", text=text))
    assert _only_ticket(org).body == "The scanner shows error E42.\n\nThanks"

    html = (
        "<div>Still broken after the update.</div><div class='gmail_quote'>On Tue, Bob "
        "wrote:<blockquote>Did you update?</blockquote></div>"
    )
    smtp_server.send(mail(to=address, subject="Scanner again", text=None, html=html))
    second = Ticket.objects.get(organization=org, title="Scanner again")
    assert second.body == "Still broken after the update."


def test_attachments_are_kept_within_the_ticket_limits(
    smtp_server: Any, mail: Any, org: Any, address: str
) -> None:
    message = mail(
        to=address,
        attachments=[
            ("screen.png", PNG, "image/png"),
            ("printer.log", b"E42 paper jam\n", "text/plain"),
            ("setup.exe", b"MZ\x90\x00binary", "application/octet-stream"),
        ],
    )
    smtp_server.send(message)

    ticket = _only_ticket(org)
    kept = {(a.original_name, a.content_type) for a in ticket.attachments.all()}
    assert kept == {("screen.png", "image/png"), ("printer.log", "text/plain")}
    left_out = ticket.events.get(kind="attachments_left_out").message
    assert "setup.exe" in left_out and "not an accepted type" in left_out
    assert InboundMessage.objects.get(organization=org).attachments_left_out


def test_an_oversized_mail_is_refused_at_smtp_time(
    inbound_settings: Any, mail: Any, org: Any, address: str
) -> None:
    inbound_settings.INBOUND_MAX_BYTES = 4000
    with smtp_started() as server:
        big_log = ("big.log", b"E42 paper jam\n" * 600, "text/plain")
        message = mail(to=address, attachments=[big_log])
        with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
            server.send(message)
        assert refused.value.smtp_code == 552
        # Without the SIZE the client announces, the server still counts the data (552).
        with smtplib.SMTP(server.host, server.port, timeout=30) as smtp:
            smtp.ehlo()
            smtp.mail("ann@customer.example")
            smtp.rcpt(address)
            big = b"Subject: big\r\n\r\n" + b"E42 paper jam\r\n" * 600
            code, text = smtp.data(big)
        assert code == 552, text
    assert not Ticket.objects.filter(organization=org).exists()


def test_an_unknown_address_bounces(smtp_server: Any, mail: Any, org: Any) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp_server.send(mail(to="nobody@in.expertdesk.test"))
    [(code, _)] = refused.value.recipients.values()
    assert code == 550
    bounce = InboundMessage.objects.get(recipient="nobody@in.expertdesk.test")
    assert (bounce.result, bounce.organization) == (Result.BOUNCED, None)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"X-Autoreply": "yes"},
    ],
)
def test_auto_replies_are_accepted_and_ignored(
    smtp_server: Any, mail: Any, org: Any, address: str, headers: dict[str, str]
) -> None:
    smtp_server.send(mail(to=address, subject="Out of office", headers=headers))
    assert not Ticket.objects.exists()
    record = InboundMessage.objects.get(organization=org)
    assert record.result == Result.IGNORED
    assert "automatic message" in record.reason


def test_auto_submitted_no_is_a_person_writing(
    smtp_server: Any, mail: Any, org: Any, address: str
) -> None:
    smtp_server.send(mail(to=address, headers={"Auto-Submitted": "no"}))
    assert _only_ticket(org).channel == Ticket.Channel.EMAIL


def test_loops_are_accepted_and_ignored(
    smtp_server: Any, mail: Any, org: Any, address: str
) -> None:
    smtp_server.send(mail(to=address, sender="Expertdesk <no-reply@expertdesk.test>"))
    smtp_server.send(mail(to=address, sender=address, subject="From ourselves"))
    smtp_server.send(
        mail(to=address, subject="Bounced back", headers={"X-Expertdesk-Ticket": "acme#1"})
    )
    # A null envelope sender: a delivery status notification.
    smtp_server.send(mail(to=address, subject="Undeliverable"), sender="<>", to=[address])

    assert not Ticket.objects.exists()
    reasons = sorted(InboundMessage.objects.values_list("result", "reason"))
    assert [r for r, _ in reasons] == [Result.IGNORED] * 4
    assert sum("loop" in reason for _, reason in reasons) == 3
    assert any("null sender" in reason for _, reason in reasons)


def test_too_many_messages_from_one_sender_are_refused(
    smtp_server: Any, mail: Any, org: Any, address: str, inbound_settings: Any
) -> None:
    inbound_settings.INBOUND_SENDER_PER_HOUR = 2
    smtp_server.send(mail(to=address, subject="One"))
    smtp_server.send(mail(to=address, subject="Two"))
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp_server.send(mail(to=address, subject="Three"))
    [(code, text)] = refused.value.recipients.values()
    assert code == 451 and b"ann@customer.example" in text
    # Someone else still gets through, until the organization's own limit.
    smtp_server.send(mail(to=address, sender="bob@customer.example", subject="Bob's"))
    inbound_settings.INBOUND_ORGANIZATION_PER_HOUR = 3
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        smtp_server.send(mail(to=address, sender="cyd@customer.example", subject="Cyd's"))
    assert Ticket.objects.filter(organization=org).count() == 3


def test_the_same_message_delivered_twice_is_one_ticket(
    smtp_server: Any, mail: Any, org: Any, address: str
) -> None:
    message = mail(to=address)
    smtp_server.send(message)
    smtp_server.send(message)
    assert Ticket.objects.filter(organization=org).count() == 1
    assert InboundMessage.objects.filter(organization=org).count() == 1


def test_the_agents_reply_and_the_requesters_answer_share_the_ticket(
    smtp_server: Any, mail: Any, org: Any, address: str
) -> None:
    smtp_server.send(mail(to=address))
    ticket = _only_ticket(org)
    owner = org.memberships.get().user

    django_mail.outbox.clear()
    sent = requester_reply_send(ticket=ticket, actor=owner, body="Which tray is it, 1 or 2?")
    [outgoing] = django_mail.outbox
    assert outgoing.to == ["ann@customer.example"]
    assert outgoing.subject == f"Re: [Expertdesk #{ticket.number}] Printer on floor 3 jams"
    assert outgoing.reply_to == [address]
    assert outgoing.extra_headers["Message-ID"] == sent.message_id
    first = InboundMessage.objects.get(ticket=ticket)
    assert outgoing.extra_headers["In-Reply-To"] == first.message_id
    assert "Which tray" in outgoing.body
    assert OutboundEmail.objects.get(pk=sent.pk).sent_at is not None
    assert ticket.events.filter(kind="requester_emailed", actor=owner).exists()

    # The requester answers from a mail client: quoting us, with In-Reply-To our Message-ID.
    reply = mail(
        to=address,
        subject=outgoing.subject,
        text="Tray 2.\n\nOn Tue, Expertdesk wrote:\n> Which tray is it, 1 or 2?\n",
        headers={"In-Reply-To": sent.message_id, "References": sent.message_id},
    )
    smtp_server.send(reply)

    assert Ticket.objects.filter(organization=org).count() == 1
    ticket.refresh_from_db()
    # Nobody had taken the ticket on: the answer is added as detail and triaged again.
    assert ticket.body.endswith("\n\nTray 2.")
    assert ticket.events.filter(kind="detail_added").exists()
    assert "Tray 2." in ticket.events.get(kind="requester_replied").message
    record = InboundMessage.objects.get(message_id=reply["Message-ID"])
    assert (record.result, record.ticket_id) == (Result.REPLIED, ticket.pk)


def test_the_subject_reference_alone_finds_the_ticket_but_only_for_its_requester(
    smtp_server: Any, mail: Any, org: Any, address: str
) -> None:
    smtp_server.send(mail(to=address))
    ticket = _only_ticket(org)
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.RESOLVED)
    subject = f"Re: [Expertdesk #{ticket.number}] Printer on floor 3 jams"
    smtp_server.send(mail(to=address, subject=subject, text="Works now, thanks!"))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED  # a resolved ticket takes no detail
    assert "Works now" in ticket.events.get(kind="requester_replied").message
    assert "Works now" not in ticket.body

    smtp_server.send(
        mail(to=address, sender="mallory@elsewhere.example", subject=subject, text="Me too")
    )
    other = Ticket.objects.get(organization=org, requester__email="mallory@elsewhere.example")
    assert other.pk != ticket.pk
    assert "whose requester is someone else" in InboundMessage.objects.get(ticket=other).reason


def test_an_accepted_expert_answer_is_emailed_to_the_requester(
    smtp_server: Any, mail: Any, org: Any, address: str, make_expert: Any
) -> None:
    from billing import services as billing
    from solutions.services import experts as expert_services
    from solutions.services import tickets as ticket_services

    smtp_server.send(mail(to=address, subject="VPN drops", text="The VPN drops every hour."))
    ticket = _only_ticket(org)
    owner = org.memberships.get().user
    price = 8000
    pay = billing.expert_pay(gross_cents=price, commission_bps=billing.commission_bps_of(org))
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Ticket.Status.ESCALATED,
        category="network",
        masked_title="VPN drops",
        masked_body="The VPN drops every hour.",
        expert_price_cents=price,
        expert_net_cents=pay.net_cents,
    )
    billing.spend_hold_place(organization=org, ticket_id=ticket.pk, amount_cents=price)
    expert = make_expert(skills=("network",))
    claim = expert_services.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
    answer = expert_services.expert_answer_submit(
        expert=expert, claim_id=claim.pk, body="Renew the **DHCP lease** of the VPN router."
    )
    django_mail.outbox.clear()
    ticket_services.expert_answer_accept(ticket=ticket, actor=owner, answer_id=answer.pk, score=5)

    [sent] = [m for m in django_mail.outbox if m.to == ["ann@customer.example"]]
    assert f"[Expertdesk #{ticket.number}]" in sent.subject
    assert "Renew the **DHCP lease** of the VPN router." in sent.body
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    row = OutboundEmail.objects.get(ticket=ticket, kind=OutboundEmail.Kind.EXPERT_ANSWER)
    assert row.message_id == sent.extra_headers["Message-ID"]


def test_an_alias_of_one_organization_never_creates_tickets_in_another(
    smtp_server: Any, mail: Any, org: Any, address: str, make_org: Any, make_user: Any
) -> None:
    owner_a = org.memberships.get().user
    org_b = make_org(name="Bravo", creator=make_user())
    addresses.alias_add(actor=owner_a, organization=org, address="Help@Acme.example")
    # B's ticket #1 from the same requester: A's mail naming #1 must not reach it.
    smtp_server.send(mail(to=addresses.primary_address(org_b), subject="B's printer"))
    smtp_server.send(
        mail(to="help@acme.example", subject="Re: [Expertdesk #1] B's printer", text="Hello A")
    )
    [a_ticket] = Ticket.objects.filter(organization=org)
    [b_ticket] = Ticket.objects.filter(organization=org_b)
    assert a_ticket.body == "Hello A"
    assert a_ticket.requester is not None and a_ticket.requester.organization == org
    assert "Hello A" not in b_ticket.body
    assert not b_ticket.events.filter(kind="requester_replied").exists()
    assert Contact.objects.filter(email="ann@customer.example").count() == 2  # one per org

    # One mail to both organizations: one ticket in each.
    smtp_server.send(
        mail(to=f"help@acme.example, {addresses.primary_address(org_b)}", subject="Both of you")
    )
    assert Ticket.objects.filter(title="Both of you").count() == 2


def test_a_failure_in_triage_keeps_the_ticket(
    smtp_server: Any, mail: Any, org: Any, address: str, monkeypatch: Any
) -> None:
    from solutions.services import tickets as ticket_services

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("triage exploded")

    monkeypatch.setattr(ticket_services, "ticket_triage_record", broken)
    smtp_server.send(mail(to=address))  # accepted: 250
    ticket = _only_ticket(org)
    assert ticket.status == Ticket.Status.NEW
    record = InboundMessage.objects.get(organization=org)
    assert record.result == Result.CREATED
    assert "triage failed: RuntimeError: triage exploded" in record.reason


def test_a_failure_before_the_commit_leaves_nothing_and_the_retry_works(
    smtp_server: Any, mail: Any, org: Any, address: str, monkeypatch: Any
) -> None:
    from solutions.services import tickets as ticket_services

    real = ticket_services.audit_log_record

    def broken(**kwargs: Any) -> Any:
        if kwargs.get("action") == "ticket.submitted":
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(ticket_services, "audit_log_record", broken)
    message = mail(to=address, attachments=[("printer.log", b"E42\n", "text/plain")])
    with pytest.raises(smtplib.SMTPDataError) as refused:
        smtp_server.send(message)
    assert refused.value.smtp_code == 451
    assert not Ticket.objects.exists()
    assert not Contact.objects.exists()
    assert not Attachment.objects.exists()
    failed = InboundMessage.objects.get(organization=org)
    assert failed.result == Result.FAILED and "disk full" in failed.reason
    assert failed.raw.read().startswith(b"From: Ann Requester")

    # The sender's server tries again once the cause is gone: the record becomes the ticket's.
    monkeypatch.setattr(ticket_services, "audit_log_record", real)
    smtp_server.send(message)
    ticket = _only_ticket(org)
    assert ticket.attachments.count() == 1
    again = InboundMessage.objects.get(organization=org)
    assert (again.pk, again.result, again.ticket_id) == (failed.pk, Result.CREATED, ticket.pk)


def test_authentication_results_are_stored_and_a_dmarc_reject_is_ignored(
    smtp_server: Any, mail: Any, org: Any, address: str
) -> None:
    passed = (
        "mx.relay.example; spf=pass smtp.mailfrom=customer.example; dkim=pass "
        "header.d=customer.example; dmarc=pass (p=REJECT) header.from=customer.example"
    )
    smtp_server.send(mail(to=address, headers={"Authentication-Results": passed}))
    record = InboundMessage.objects.get(organization=org)
    assert (record.spf, record.dkim, record.dmarc) == ("pass", "pass", "pass")
    assert record.result == Result.CREATED

    failed = (
        "mx.relay.example; spf=fail smtp.mailfrom=bank.example; dkim=none; "
        "dmarc=fail (p=REJECT sp=REJECT dis=NONE) header.from=bank.example"
    )
    smtp_server.send(
        mail(
            to=address,
            sender="security@bank.example",
            subject="Reset your password",
            headers={"Authentication-Results": failed},
        )
    )
    spoofed = InboundMessage.objects.get(from_address="security@bank.example")
    assert (spoofed.result, spoofed.dmarc, spoofed.spf) == (Result.IGNORED, "fail", "fail")
    assert "DMARC" in spoofed.reason
    assert Ticket.objects.filter(organization=org).count() == 1


def test_an_organization_that_cannot_take_tickets_bounces_the_mail(
    smtp_server: Any, mail: Any, org: Any, address: str, monkeypatch: Any
) -> None:
    from billing import services as billing

    class Closed:
        can_submit = False
        banner = "The subscription is canceled."

    monkeypatch.setattr(billing, "organization_access", lambda organization: Closed())
    with pytest.raises(smtplib.SMTPDataError) as refused:
        smtp_server.send(mail(to=address))
    assert refused.value.smtp_code == 550
    assert b"subscription is canceled" in refused.value.smtp_error
    assert InboundMessage.objects.get(organization=org).result == Result.BOUNCED
    assert not Ticket.objects.exists()
