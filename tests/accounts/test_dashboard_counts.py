"""The dashboard counts tickets as the ticket list does: "open" is every status in which a
ticket still needs someone (solutions.selectors.TICKET_OPEN_STATUSES), one count per open
status links to the list filtered by it, and another organization's tickets never count."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from solutions.models import Ticket
from solutions.selectors import TICKET_OPEN_STATUSES, ticket_counts, tickets_filtered

pytestmark = pytest.mark.django_db


def _ticket(org, status: str, number: int) -> Ticket:
    return Ticket.objects.create(
        organization=org, number=number, title=f"Ticket {number}", body="text", status=status
    )


@pytest.fixture
def desk(make_org, make_user, add_member):
    """One ticket in every status, and a second organization with open tickets of its own."""
    org = make_org(name="Counted Corp")
    for number, status in enumerate(Ticket.Status.values, start=1):
        _ticket(org, status, number)
    _ticket(org, Ticket.Status.ESCALATED, 99)  # two escalated
    other = make_org(name="Elsewhere")
    for number in range(1, 4):
        _ticket(other, Ticket.Status.NEEDS_EXPERT, number)
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    return org, agent


def test_open_is_every_status_that_still_needs_someone():
    assert set(TICKET_OPEN_STATUSES) == set(Ticket.Status.values) - {"resolved", "closed"}
    # The statuses the issue named as missing from the count are all open.
    for status in ("new", "triaged", "needs_expert", "escalated", "claimed", "answered"):
        assert status in TICKET_OPEN_STATUSES


def test_the_counts_agree_with_the_lists_open_filter(desk):
    org, _ = desk
    counts = ticket_counts(org)
    listed = tickets_filtered(org, {"status": "open"})
    assert counts.open == listed.count() == len(Ticket.Status.values) - 2 + 1
    assert {c.status: c.count for c in counts.by_status} == {
        status: tickets_filtered(org, {"status": status}).count() for status in TICKET_OPEN_STATUSES
    }
    assert [c.status for c in counts.by_status] == list(TICKET_OPEN_STATUSES)  # lifecycle order
    assert next(c for c in counts.by_status if c.status == "escalated").count == 2
    assert "resolved" not in {c.status for c in counts.by_status}


def test_the_dashboard_shows_the_count_and_links_each_status_to_the_list(desk, login):
    org, agent = desk
    client = login(agent)
    html = client.get(reverse("dashboard")).content.decode()
    open_count = re.search(r'data-testid="open-count">(\d+)<', html)
    assert open_count and int(open_count.group(1)) == ticket_counts(org).open == 10
    assert f'href="{reverse("ticket_list")}?status=open"' in html
    assert 'data-testid="open-escalated" class="nowrap">Escalated: 2<' in html
    assert 'data-testid="open-answered" class="nowrap">Answered: 1<' in html
    assert 'data-testid="open-resolved"' not in html and 'data-testid="open-closed"' not in html
    # The list the dashboard links to shows the same tickets.
    listed = client.get(reverse("ticket_list"), {"status": "open"}).content.decode()
    assert listed.count('data-testid="ticket-row"') == 10
    escalated = client.get(reverse("ticket_list"), {"status": "escalated"}).content.decode()
    assert escalated.count('data-testid="ticket-row"') == 2


def test_an_organization_without_open_tickets_says_nothing_is_waiting(make_org, login):
    org = make_org()
    _ticket(org, Ticket.Status.CLOSED, 1)
    html = login(org.memberships.get().user).get(reverse("dashboard")).content.decode()
    assert 'data-testid="open-count">0<' in html and "Nothing is waiting." in html
