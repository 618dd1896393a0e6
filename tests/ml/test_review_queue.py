"""The Review queue on the model page: which tickets it offers, in what order, who may use it,
and how a confirmation or a correction becomes a training label through the label source."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.models import AuditLogEntry, Organization, Role, User
from ml import review, serving
from ml.labels import collect_labels
from ml.models import ModelVersion
from ml.views import ReviewQueueView
from solutions.models import Feedback, Ticket
from solutions.services import tickets as ticket_services

# Clear tickets of one category, and doubtful ones that mix the words of several; the tiny
# model (tests/conftest.py) is sure about the first and split on the second.
CLEAR = [
    ("VPN and wifi router drop", "the vpn router and wifi drop, dns and firewall too"),
    ("Printer toner empty", "the printer toner and the laptop monitor keyboard"),
    ("Account locked", "my password login account is locked, mfa token"),
]
DOUBTFUL = [
    ("Login on the printer", "password printer toner login excel install"),
    ("Excel crashes on the vpn", "excel crash vpn router plugin wifi"),
]


def submit(org: Organization, author: User, title: str, body: str) -> Ticket:
    return ticket_services.ticket_submit(organization=org, author=author, title=title, body=body)


@pytest.fixture
def org(make_org_with_model) -> Organization:
    return make_org_with_model()


@pytest.fixture
def owner(org) -> User:
    return org.memberships.get().user


@pytest.fixture
def owner_client(owner, login) -> Client:
    return login(owner)


@pytest.fixture
def tickets(org, owner) -> list[Ticket]:
    return [submit(org, owner, t, b) for t, b in CLEAR + DOUBTFUL]


def label_of(org: Organization, ticket: Ticket) -> str | None:
    rows = {row.key: row for row in collect_labels(org)}
    row = rows.get(f"ticket:{ticket.pk}")
    return row.category if row else None


def decide(client: Client, ticket: Ticket, category: str, **extra: str):
    """Posts the Review queue's one-click decision; `extra` are more form fields."""
    return client.post(
        reverse("ml_review_decide"),
        {"key": f"ticket:{ticket.pk}", "category": category, **extra},
    )


def shown(response) -> list[str]:
    return [item.key for item in response.context["batch"].items]


def test_the_queue_offers_predictions_nobody_labelled_least_confident_first(
    org, owner, owner_client, tickets
):
    corrected, resolved = tickets[0], tickets[1]
    ticket_services.ticket_correct(ticket=corrected, actor=owner, category="access")
    suggestion = resolved.suggestions.first()
    assert suggestion is not None
    ticket_services.suggestion_feedback(
        ticket=resolved, actor=owner, suggestion_id=suggestion.pk, solved=True
    )

    response = owner_client.get(reverse("ml_review"))
    assert response.status_code == 200
    keys = shown(response)
    open_tickets = [t for t in tickets if t.pk not in (corrected.pk, resolved.pk)]
    assert sorted(keys) == sorted(f"ticket:{t.pk}" for t in open_tickets)
    least_sure = min(open_tickets, key=lambda t: t.category_confidence or 0)
    assert keys[0] == f"ticket:{least_sure.pk}"
    assert response.context["batch"].diverse is True
    assert response.context["batch"].note == ""
    page = response.content.decode()
    assert f"Confirm {least_sure.predicted_category}" in page
    assert reverse("ticket_detail", args=[least_sure.number]) in page
    # The correct-to list offers every category but the predicted one.
    options = set(response.context["batch"].categories) - {least_sure.predicted_category}
    assert all(f'<option value="{c}">' in page for c in options)
    # A prediction alone is never a label: nothing is a category label yet but the two
    # tickets a person decided.
    assert [label_of(org, t) for t in open_tickets] == [None] * len(open_tickets)
    assert label_of(org, corrected) == "access"
    assert label_of(org, resolved) == resolved.category


def test_near_copies_are_not_offered_in_one_batch(org, owner):
    first = submit(org, owner, "Login on the printer", "password printer toner login excel")
    copy = submit(org, owner, "Login on the printer", "password printer toner login excel!")
    other = submit(org, owner, "Excel crashes on the vpn", "excel crash vpn router plugin wifi")
    # The two copies are the least confident: by uncertainty alone they would fill the batch.
    by_confidence = sorted([first, copy, other], key=lambda t: t.category_confidence or 0)
    assert by_confidence[-1] == other
    batch = review.review_batch(org, size=2)
    keys = [item.key for item in batch.items]
    assert batch.diverse and len(keys) == 2
    assert f"ticket:{other.pk}" in keys, "the second pick is the other ticket, not the copy"
    assert {f"ticket:{first.pk}", f"ticket:{copy.pk}"} & set(keys)


def test_confirming_makes_the_prediction_a_label(org, owner, owner_client, tickets):
    ticket = tickets[3]
    response = decide(owner_client, ticket, ticket.predicted_category)
    assert response.status_code == 302 and response.url == reverse("ml_review")
    ticket.refresh_from_db()
    assert ticket.category == ticket.predicted_category and not ticket.category_corrected
    assert ticket.feedback.get().kind == Feedback.Kind.CATEGORY_CONFIRMED
    assert label_of(org, ticket) == ticket.predicted_category
    entry = AuditLogEntry.objects.get(action="ticket.category_confirmed")
    assert entry.actor == owner and entry.organization == org
    assert entry.target_id == str(ticket.pk) and entry.details["via"] == "review"
    assert ticket.events.filter(kind="category_confirmed").exists()
    follow = owner_client.get(response.url)
    assert f"ticket:{ticket.pk}" not in shown(follow)
    assert f"Confirmed #{ticket.number}" in follow.content.decode()


def test_correcting_makes_the_chosen_category_the_label(org, owner, owner_client, tickets):
    ticket = tickets[4]
    other = next(c for c in ("access", "hardware", "network") if c != ticket.predicted_category)
    skip = f"ticket:{tickets[3].pk}"
    response = decide(owner_client, ticket, other.upper(), skip=skip)
    assert response.status_code == 302
    assert response.url == reverse("ml_review") + "?skip=ticket%3A" + str(tickets[3].pk)
    ticket.refresh_from_db()
    assert ticket.category == other and ticket.category_corrected
    assert label_of(org, ticket) == other
    entry = AuditLogEntry.objects.get(action="ticket.category_corrected")
    assert entry.details["was"] == ticket.predicted_category and entry.details["category"] == other
    assert f"ticket:{ticket.pk}" not in shown(owner_client.get(reverse("ml_review")))


def test_agents_other_organizations_and_visitors_are_kept_out(
    org, tickets, make_org, make_user, add_member, login
):
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    agent_client = login(agent)
    assert agent_client.get(reverse("ml_review")).status_code == 403
    assert decide(agent_client, tickets[3], tickets[3].predicted_category).status_code == 403
    assert Client().get(reverse("ml_review")).status_code == 302

    stranger = login(make_org().memberships.get().user)
    assert decide(stranger, tickets[3], tickets[3].predicted_category).status_code == 404
    response = stranger.get(reverse("ml_review"))
    assert response.status_code == 200 and shown(response) == []
    assert not Feedback.objects.filter(ticket=tickets[3]).exists()

    # The service checks the role again, so a page that forgot could not grant more.
    with pytest.raises(PermissionDenied):
        ticket_services.ticket_category_review(
            ticket=tickets[3], actor=agent, category=tickets[3].predicted_category
        )


@pytest.mark.parametrize(
    "key", ["ticket:abc", "nonsense", "ticket:", ":3", "ticket:99999999999999999999", "kb:1"]
)
def test_a_bad_item_is_a_404(owner_client, tickets, key):
    response = owner_client.post(reverse("ml_review_decide"), {"key": key, "category": "network"})
    assert response.status_code == 404


def test_a_bad_category_or_a_second_decision_is_refused_with_a_message(owner_client, tickets):
    ticket = tickets[3]
    for category in ("no-such-category", "", "x" * 5000):
        response = decide(owner_client, ticket, category)
        assert response.status_code == 302
    assert not ticket.feedback.exists()
    page = owner_client.get(reverse("ml_review")).content.decode()
    assert "not one of this organization" in page or "Choose a category" in page

    assert decide(owner_client, ticket, ticket.predicted_category).status_code == 302
    again = owner_client.post(
        reverse("ml_review_decide"),
        {"key": f"ticket:{ticket.pk}", "category": "access"},
        follow=True,
    )
    ticket.refresh_from_db()
    assert ticket.feedback.count() == 1 and not ticket.category_corrected
    assert "already decided by a person" in again.content.decode()
    assert owner_client.get(reverse("ml_review_decide")).status_code == 405


def test_skipping_shows_the_next_batch(owner_client, tickets, monkeypatch):
    monkeypatch.setattr(ReviewQueueView, "batch_size", 2)
    first = owner_client.get(reverse("ml_review"))
    first_keys = shown(first)
    assert len(first_keys) == 2
    next_url = first.context["next_url"]
    assert next_url and first.context["restart_url"] == ""
    second = owner_client.get(next_url)
    assert len(shown(second)) == 2 and not set(shown(second)) & set(first_keys)
    assert second.context["restart_url"] == reverse("ml_review")
    third = owner_client.get(second.context["next_url"])
    assert len(shown(third)) == 1 and third.context["next_url"] == ""
    # Malformed skip lists are ignored, not errors.
    for junk in ("ticket:1,,%%,drop table", "x" * 10000, "ticket:-1"):
        assert owner_client.get(reverse("ml_review"), {"skip": junk}).status_code == 200


def test_nothing_to_review(owner_client, org):
    response = owner_client.get(reverse("ml_review"))
    assert response.status_code == 200
    assert "Nothing to review" in response.content.decode()
    assert response.context["next_url"] == ""


def test_without_a_usable_champion_the_queue_is_ordered_by_confidence_and_says_why(
    org, owner_client, tickets
):
    by_confidence = [f"ticket:{t.pk}" for t in sorted(tickets, key=lambda t: t.category_confidence)]
    champion = ModelVersion.objects.get(organization=org)
    champion.artifact_checksum = "0" * 64
    champion.save()
    serving.reset_caches()
    response = owner_client.get(reverse("ml_review"))
    assert response.status_code == 200
    assert shown(response) == by_confidence
    assert "could not be loaded" in response.context["batch"].note
    assert "could not be loaded" in response.content.decode()

    champion.status = ModelVersion.Status.RETIRED
    champion.save()
    response = owner_client.get(reverse("ml_review"))
    assert shown(response) == by_confidence
    assert "No champion model" in response.content.decode()


def test_the_model_page_links_to_the_review_tab(owner_client):
    page = owner_client.get(reverse("ml_model")).content.decode()
    assert f'href="{reverse("ml_review")}"' in page
