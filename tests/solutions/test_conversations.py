"""The conversation on a claimed ticket: both sides post, masking both ways, internal notes
that never reach an expert (page, API, webhook, notification), isolation, notifications in the
app and one batched e-mail, the `ticket.message_created` webhook, and the clarifying question
that pauses the claim's SLA clock across a weekend of business hours."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from billing.models import BillingAccount, Plan
from solutions.models import Claim, Notification, SolutionSettings, Ticket, TicketMessage
from solutions.services import conversations as conv
from solutions.services import experts as expert_services
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery

BERLIN = ZoneInfo("Europe/Berlin")
PHONE = "+44 20 7946 0958"
EMAIL = "priya.raman@acme.example"
Side, Kind = TicketMessage.Side, TicketMessage.Kind


@pytest.fixture
def world(make_org, make_user, add_member, make_expert, make_escalated_ticket, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    org = make_org(name="Acme Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    agent = make_user(email="agent@acme.example", full_name="Dora Agent")
    add_member(org, agent, Role.AGENT)
    colleague = make_user(email="colleague@acme.example")
    add_member(org, colleague, Role.AGENT)
    SolutionSettings.objects.update_or_create(
        organization=org, defaults={"masking_terms": ["Project Falcon"]}
    )
    expert = make_expert(skills=("network",))
    ticket = make_escalated_ticket(org, author=agent, title="VPN drops", body="VPN drops hourly.")
    claim = expert_services.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
    return {
        "org": org,
        "owner": owner,
        "agent": agent,
        "colleague": colleague,
        "expert": expert,
        "ticket": ticket,
        "claim": claim,
    }


def post(ticket, author, side, kind=Kind.MESSAGE, body="Does it drop on Wi-Fi only?", **kw):
    return conv.message_post(
        ticket_id=ticket.pk, author=author, side=side, kind=kind, body=body, **kw
    )


def _endpoint(org, owner):
    endpoint, _ = webhook_services.webhook_endpoint_create(
        organization=org,
        actor=owner,
        url="http://127.0.0.1:9/hooks",
        events=[conv.WEBHOOK_EVENT],
    )
    return endpoint


# ------------------------------------------------------------------ posting and masking


def test_a_customer_message_keeps_the_original_and_the_expert_reads_it_masked(world, login):
    message = post(
        world["ticket"],
        world["agent"],
        Side.CUSTOMER,
        body=f"Project Falcon's VPN drops. Mail {EMAIL} or call {PHONE}. <script>x()</script>",
    )
    assert EMAIL in message.body and PHONE in message.body and "Project Falcon" in message.body
    assert "<script>" not in message.body  # sanitized as answers are
    for secret in (EMAIL, PHONE, "Falcon"):
        assert secret not in message.masked_body
    assert "[email]" in message.masked_body and "[phone]" in message.masked_body
    assert message.claim == world["claim"]

    page = login(world["expert"]).get(reverse("expert_ticket", args=[world["ticket"].pk]))
    html = page.content.decode()
    assert "[email]" in html and EMAIL not in html and PHONE not in html and "Falcon" not in html
    # The customer's page shows their own original.
    mine = login(world["agent"]).get(reverse("ticket_detail", args=[world["ticket"].number]))
    assert EMAIL in mine.content.decode()


def test_an_expert_message_is_stored_masked_on_both_sides(world, login):
    message = post(
        world["ticket"],
        world["expert"],
        Side.EXPERT,
        body=f"I called Dora Agent at {PHONE}: is Project Falcon on the new VPN?",
    )
    for text in (message.body, message.masked_body):
        assert PHONE not in text and "Falcon" not in text and "Dora" not in text
    assert message.body == message.masked_body
    html = login(world["agent"]).get(reverse("ticket_detail", args=[world["ticket"].number]))
    assert "[phone]" in html.content.decode() and PHONE not in html.content.decode()


def test_masking_cant_make_a_link_of_its_placeholder(world):
    # "Dora(javascript:…)" would become "[name](javascript:…)": a link, if not sanitized again.
    message = post(world["ticket"], world["agent"], Side.CUSTOMER, body="Dora(javascript:x())")
    assert "](javascript" not in message.masked_body


def test_who_may_post_what(world, make_user, make_expert):
    ticket = world["ticket"]
    outsider = make_user()
    with pytest.raises(ValidationError, match="Only members"):
        post(ticket, outsider, Side.CUSTOMER)
    with pytest.raises(ValidationError, match="no active claim"):
        post(ticket, make_expert(skills=("network",)), Side.EXPERT)
    with pytest.raises(ValidationError):
        post(ticket, world["agent"], Side.CUSTOMER, kind=Kind.QUESTION)
    with pytest.raises(ValidationError):
        post(ticket, world["expert"], Side.EXPERT, kind=Kind.NOTE)
    with pytest.raises(ValidationError, match="characters or fewer"):
        post(ticket, world["agent"], Side.CUSTOMER, body="x" * (conv.MESSAGE_MAX + 1))
    with pytest.raises(ValidationError, match="besides HTML"):
        post(ticket, world["agent"], Side.CUSTOMER, body="<script>alert(1)</script>")
    # After the claim ends: no messages either way, notes still.
    expert_services.expert_release_claim(expert=world["expert"], claim_id=world["claim"].pk)
    with pytest.raises(ValidationError, match="no active claim"):
        post(ticket, world["expert"], Side.EXPERT)
    with pytest.raises(ValidationError, match="while an expert holds"):
        post(ticket, world["agent"], Side.CUSTOMER)
    note = post(ticket, world["agent"], Side.CUSTOMER, kind=Kind.NOTE, body="Ask IT ops.")
    assert note.claim is None and note.masked_body == ""
    assert TicketMessage.objects.filter(ticket=ticket).count() == 1


def test_attachments_use_the_submission_limits_and_customer_files_stay_with_the_customer(
    world, login
):
    ticket = world["ticket"]
    with pytest.raises(ValidationError, match="not an accepted type"):
        post(
            ticket,
            world["agent"],
            Side.CUSTOMER,
            attachments=[SimpleUploadedFile("run.exe", b"MZ\x00\x00")],
        )
    post(
        ticket,
        world["agent"],
        Side.CUSTOMER,
        attachments=[
            SimpleUploadedFile("dora-secret.log", b"line\n"),
            SimpleUploadedFile("b.txt", b"b\n"),
        ],
    )
    post(
        ticket,
        world["expert"],
        Side.EXPERT,
        body="Here is the fixed config.",
        attachments=[SimpleUploadedFile("fixed.conf", b"mtu 1400\n")],
    )
    expert_page = login(world["expert"]).get(reverse("expert_ticket", args=[ticket.pk]))
    html = expert_page.content.decode()
    assert "2 files withheld" in html and "dora-secret.log" not in html
    assert reverse("ticket_attachment", args=[ticket.number, 1])[:-2] not in html
    agent = login(world["agent"])
    page = agent.get(reverse("ticket_detail", args=[ticket.number])).content.decode()
    fixed = ticket.attachments.get(original_name="fixed.conf")
    url = reverse("ticket_attachment", args=[ticket.number, fixed.pk])
    assert url in page and "dora-secret.log" in page
    assert b"".join(agent.get(url).streaming_content) == b"mtu 1400\n"
    api = login(world["expert"]).get(
        reverse("api-expert-ticket-message-list", kwargs={"pk": ticket.pk})
    )
    first, second = api.json()["results"]
    assert first["files_withheld"] == 2 and first["files"] == []
    assert second["files"] == ["fixed.conf"] and "download" not in str(api.json())


# ------------------------------------------------------------------ internal notes


def test_notes_never_reach_an_expert(world, login):
    ticket = world["ticket"]
    endpoint = _endpoint(world["org"], world["owner"])
    post(ticket, world["agent"], Side.CUSTOMER, kind=Kind.NOTE, body="NOTE-SECRET budget")
    assert not Notification.objects.filter(user=world["expert"]).exists()
    assert not WebhookDelivery.objects.filter(endpoint=endpoint).exists()
    expert = login(world["expert"])
    page = expert.get(reverse("expert_ticket", args=[ticket.pk])).content.decode()
    assert "NOTE-SECRET" not in page and "No messages yet" in page
    api = expert.get(reverse("api-expert-ticket-message-list", kwargs={"pk": ticket.pk}))
    assert api.status_code == 200 and api.json()["results"] == []
    # The customer's members see it, marked internal.
    mine = login(world["colleague"]).get(
        reverse("api-ticket-message-list", kwargs={"number": ticket.number})
    )
    [note] = mine.json()["results"]
    assert note["internal"] is True and note["body"] == "NOTE-SECRET budget"


# ------------------------------------------------------------------ isolation


def test_another_expert_and_another_organization_get_404s(world, login, make_org, make_expert):
    ticket = world["ticket"]
    post(ticket, world["agent"], Side.CUSTOMER, body="ISOLATED text")
    other_expert = login(make_expert(skills=("network",)))
    for url in (
        reverse("expert_ticket", args=[ticket.pk]),
        reverse("expert_ticket_messages", args=[ticket.pk]),
        reverse("api-expert-ticket-message-list", kwargs={"pk": ticket.pk}),
    ):
        assert other_expert.get(url).status_code == 404
    assert (
        other_expert.post(reverse("expert_ticket_messages", args=[ticket.pk]), {"body": "hi"})
    ).status_code == 404
    other_org = make_org(name="Other Corp")
    outsider = login(other_org.memberships.get().user)
    for url in (
        reverse("ticket_detail", args=[ticket.number]),
        reverse("ticket_messages", args=[ticket.number]),
        reverse("api-ticket-message-list", kwargs={"number": ticket.number}),
    ):
        response = outsider.get(url)
        assert response.status_code == 404 and b"ISOLATED" not in response.content
    response = outsider.post(
        reverse("ticket_messages", args=[ticket.number]), {"body": "x", "kind": "note"}
    )
    assert response.status_code == 404
    assert TicketMessage.objects.count() == 1


def test_an_expert_reads_only_the_messages_of_their_own_claims(world, make_expert):
    ticket = world["ticket"]
    post(ticket, world["agent"], Side.CUSTOMER, body="To the first expert")
    expert_services.expert_release_claim(expert=world["expert"], claim_id=world["claim"].pk)
    second = make_expert(skills=("network",))
    expert_services.expert_claim_ticket(expert=second, ticket_id=ticket.pk)
    post(ticket, world["agent"], Side.CUSTOMER, body="To the second expert")
    from solutions.selectors.conversations import conversation_of_expert

    assert [m.body for m in conversation_of_expert(ticket, second)] == ["To the second expert"]
    assert [m.body for m in conversation_of_expert(ticket, world["expert"])] == [
        "To the first expert"
    ]


# ------------------------------------------------------------------ notifications


def test_each_side_is_told_in_the_app_and_by_one_batched_email(world):
    ticket, expert, agent = world["ticket"], world["expert"], world["agent"]
    Ticket.objects.filter(pk=ticket.pk).update(
        title=f"VPN of {EMAIL} drops", masked_title="VPN of [email] drops"
    )
    mail.outbox.clear()
    post(ticket, expert, Side.EXPERT, body="First question", kind=Kind.QUESTION)
    post(ticket, world["colleague"], Side.CUSTOMER, body="Only on Wi-Fi.")
    post(ticket, expert, Side.EXPERT, body="Thanks, and since when?")
    post(ticket, expert, Side.EXPERT, body="And which laptop?")
    assert mail.outbox == []  # nothing by e-mail at once
    to_expert = Notification.objects.get(user=expert, kind=conv.NOTIFICATION_KIND)
    assert "[email]" in to_expert.message and EMAIL not in to_expert.message
    # The author hears of all three expert messages; the colleague, once they wrote, of two.
    assert Notification.objects.filter(user=agent, kind=conv.NOTIFICATION_KIND).count() == 3
    assert Notification.objects.filter(user=world["colleague"]).count() == 2
    assert not Notification.objects.filter(user=world["owner"]).exists()

    assert conv.conversation_emails_send() == 3  # one e-mail per person
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {expert.email, agent.email, world["colleague"].email}
    assert "3 new messages" in by_recipient[agent.email].subject
    assert f"/tickets/{ticket.number}/#conversation" in by_recipient[agent.email].body
    assert EMAIL not in by_recipient[expert.email].body
    # A second (or overlapping) run sends nothing more.
    assert conv.conversation_emails_send() == 0 and len(mail.outbox) == 3
    # A notification read in the app needs no e-mail.
    post(ticket, world["agent"], Side.CUSTOMER, body="It's a ThinkPad.")
    Notification.objects.filter(user=expert, emailed_at__isnull=True).update(
        read_at=ticket.updated_at
    )
    assert conv.conversation_emails_send() == 0


def test_a_failed_send_leaves_the_notifications_for_the_next_run(world, monkeypatch):
    post(world["ticket"], world["expert"], Side.EXPERT)

    def refuse(**kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("django.core.mail.send_mail", refuse)
    with pytest.raises(OSError):
        conv.conversation_emails_send()
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 1
    monkeypatch.undo()
    assert conv.conversation_emails_send() == 1


def test_the_batched_email_is_on_the_beat_schedule(settings):
    from celery import current_app

    entry = settings.CELERY_BEAT_SCHEDULE["conversation-emails"]
    assert entry["task"] in current_app.tasks


# ------------------------------------------------------------------ the webhook


def test_messages_and_questions_become_webhooks_in_the_acts_transaction(world):
    endpoint = _endpoint(world["org"], world["owner"])
    ticket = world["ticket"]
    question = post(ticket, world["expert"], Side.EXPERT, kind=Kind.QUESTION, body="Wi-Fi?")
    reply = post(ticket, world["agent"], Side.CUSTOMER, body=f"Yes. Call {PHONE}.")
    first, second = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk")
    assert first.event == second.event == "ticket.message_created"
    data = first.payload["data"]
    assert data["ticket"]["id"] == ticket.number and "body" not in data["ticket"]
    assert data["message"] == {
        "id": question.pk,
        "side": "expert",
        "kind": "question",
        "body": "Wi-Fi?",
        "format": "markdown",
        "attachments": 0,
        "created_at": question.created_at.isoformat(),
    }
    # The customer's own words don't travel in payloads: fetch them through the API.
    assert second.payload["data"]["message"]["id"] == reply.pk
    assert second.payload["data"]["message"]["body"] is None
    assert PHONE not in str(second.payload)
    assert second.payload["data"]["ticket"]["links"]["messages"].endswith(
        f"/api/v1/tickets/{ticket.number}/messages/"
    )
    # A refused message sends nothing.
    with pytest.raises(ValidationError):
        post(ticket, world["agent"], Side.CUSTOMER, body="")
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2


# ------------------------------------------------------------------ the paused SLA clock

OFFICE = {"time_zone": "Europe/Berlin", "opens": "09:00", "closes": "17:00"}


@pytest.fixture
def office_org(world):
    plan = Plan.objects.create(
        code="office-conv",
        name="Office hours",
        base_price_cents=4900,
        included_ai_answers=100,
        ai_overage_cents=50,
        expert_price_cents={"high": 8000},
        sla_hours={"high": 4},
        sla_calendar=OFFICE,
    )
    account, _ = BillingAccount.objects.get_or_create(organization=world["org"])
    account.plan = plan
    account.save()
    return world


def test_a_question_pauses_the_clock_over_a_weekend_and_a_reply_gives_back_what_was_left(
    office_org, make_escalated_ticket, login
):
    world = office_org
    expert = world["expert"]
    # Only this test's claim is on the clock.
    expert_services.expert_release_claim(expert=expert, claim_id=world["claim"].pk)
    ticket = make_escalated_ticket(world["org"], author=world["agent"], title="Printer jams")
    # Claimed Friday 14:00 Berlin: 4 business hours, due Monday 10:00.
    with time_machine.travel(datetime(2026, 12, 4, 14, 0, tzinfo=BERLIN), tick=False):
        claim = expert_services.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
    assert claim.due_at == datetime(2026, 12, 7, 10, 0, tzinfo=BERLIN)
    # Friday 15:30 the expert asks: 2.5 business hours are left.
    with time_machine.travel(datetime(2026, 12, 4, 15, 30, tzinfo=BERLIN), tick=False):
        post(ticket, expert, Side.EXPERT, kind=Kind.QUESTION, body="Which tray jams?")
    claim.refresh_from_db()
    ticket.refresh_from_db()
    assert claim.paused_at is not None and claim.remaining_seconds == int(2.5 * 3600)
    assert ticket.sla_paused_at == claim.paused_at
    agent_page = login(world["agent"]).get(reverse("ticket_detail", args=[ticket.number]))
    assert b"Waiting for you" in agent_page.content
    expert_page = login(expert).get(reverse("expert_ticket", args=[ticket.pk]))
    assert b"SLA clock paused" in expert_page.content
    # Long past the old deadline the paused claim does not expire.
    with time_machine.travel(datetime(2026, 12, 8, 12, 0, tzinfo=BERLIN), tick=False):
        assert expert_services.claims_expire_due() == 0
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE
    # The customer replies Tuesday 12:00: 2.5 business hours from then, due 14:30.
    with time_machine.travel(datetime(2026, 12, 8, 12, 0, tzinfo=BERLIN), tick=False):
        post(ticket, world["agent"], Side.CUSTOMER, body="Tray 2, since Friday.")
    claim.refresh_from_db()
    ticket.refresh_from_db()
    assert claim.paused_at is None and claim.remaining_seconds is None
    assert claim.due_at == datetime(2026, 12, 8, 14, 30, tzinfo=BERLIN)
    assert ticket.sla_due_at == claim.due_at and ticket.sla_paused_at is None
    assert claim.paused_seconds == int(
        (
            datetime(2026, 12, 8, 12, 0, tzinfo=BERLIN)
            - datetime(2026, 12, 4, 15, 30, tzinfo=BERLIN)
        ).total_seconds()
    )
    # A note doesn't resume a paused clock; an expert's plain message doesn't pause it.
    with time_machine.travel(datetime(2026, 12, 8, 13, 0, tzinfo=BERLIN), tick=False):
        post(ticket, expert, Side.EXPERT, body="Thanks, checking.")
    claim.refresh_from_db()
    assert claim.paused_at is None
    # After the new deadline the claim expires as usual.
    with time_machine.travel(datetime(2026, 12, 8, 14, 31, tzinfo=BERLIN), tick=False):
        assert expert_services.claims_expire_due() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.ESCALATED


def test_a_note_does_not_resume_a_paused_clock(world):
    ticket = world["ticket"]
    post(ticket, world["expert"], Side.EXPERT, kind=Kind.QUESTION)
    post(ticket, world["agent"], Side.CUSTOMER, kind=Kind.NOTE, body="Who knows this?")
    world["claim"].refresh_from_db()
    assert world["claim"].paused_at is not None
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds.count("sla_paused") == 1 and "sla_resumed" not in kinds


# ------------------------------------------------------------------ the pages


def test_the_panels_post_and_come_back_to_the_conversation(world, login):
    ticket = world["ticket"]
    agent = login(world["agent"])
    empty = agent.get(reverse("ticket_detail", args=[ticket.number])).content.decode()
    assert "No messages yet" in empty and 'id="conversation"' in empty
    response = agent.post(
        reverse("ticket_messages", args=[ticket.number]), {"body": "Hello", "kind": "message"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("ticket_detail", args=[ticket.number]) + "#conversation"
    expert = login(world["expert"])
    response = expert.post(
        reverse("expert_ticket_messages", args=[ticket.pk]),
        {"body": "Which laptop?", "kind": "question"},
    )
    assert response["Location"] == reverse("expert_ticket", args=[ticket.pk]) + "#conversation"
    page = expert.get(response["Location"]).content.decode()
    assert "Question sent" in page and "Which laptop?" in page
    # An error is shown at the form, the text kept.
    long = "y" * (conv.MESSAGE_MAX + 1)
    response = agent.post(
        reverse("ticket_messages", args=[ticket.number]), {"body": long, "kind": "message"}
    )
    assert response.status_code == 400
    assert "characters or fewer" in response.content.decode() and long in response.content.decode()
    response = expert.post(
        reverse("expert_ticket_messages", args=[ticket.pk]), {"body": "", "kind": "message"}
    )
    assert response.status_code == 400 and "Write your message first" in response.content.decode()


def test_a_long_thread_is_paged_with_the_latest_messages_first_shown(world, login):
    from solutions.selectors.conversations import CONVERSATION_PAGE_SIZE

    ticket = world["ticket"]
    for i in range(CONVERSATION_PAGE_SIZE + 2):
        post(ticket, world["agent"], Side.CUSTOMER, kind=Kind.NOTE, body=f"note number {i:03d}")
    page = login(world["agent"]).get(reverse("ticket_detail", args=[ticket.number]))
    html = page.content.decode()
    assert f"note number {CONVERSATION_PAGE_SIZE + 1:03d}" in html
    assert "note number 000" not in html and "Earlier messages" in html
    earlier = login(world["agent"]).get(
        reverse("ticket_detail", args=[ticket.number]), {"conversation": 1}
    )
    assert "note number 000" in earlier.content.decode()
