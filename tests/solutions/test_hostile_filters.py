"""Ids from query strings and forms that no object can have — beyond 64 bits, negative, digits
`int()` refuses ("²³") — and NUL characters: the ticket list, its CSV export and the small
POST forms answer them like any unknown id, never with a 500."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import Role
from solutions.models import Ticket
from solutions.services import tickets as services

HOSTILE_IDS = ["99999999999999999999", "-1", "²³", "abc", "1e3", "١"]


@pytest.fixture
def agent_with_tickets(make_org, make_user, add_member, make_expert):
    org = make_org()
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    expert = make_expert()
    for title in ("VPN drops", "Printer jams"):
        services.ticket_submit(organization=org, author=agent, title=title, body="Details.")
    Ticket.objects.filter(organization=org, title="VPN drops").update(assignee=expert)
    return org, agent, expert


def _exported_titles(response) -> list[str]:
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    return [row[1] for row in rows[1:]]


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_an_assignee_no_user_can_be_lists_and_exports_no_ticket(agent_with_tickets, login, value):
    _, agent, _ = agent_with_tickets
    client = login(agent)
    page = client.get(reverse("ticket_list"), {"assignee": value})
    assert page.status_code == 200
    assert list(page.context["page"]) == []
    export = client.get(reverse("ticket_export"), {"assignee": value})
    assert export.status_code == 200 and _exported_titles(export) == []


def test_a_real_assignee_and_none_still_filter(agent_with_tickets, login):
    _, agent, expert = agent_with_tickets
    client = login(agent)
    by_expert = client.get(reverse("ticket_list"), {"assignee": str(expert.pk)})
    assert [t.title for t in by_expert.context["page"]] == ["VPN drops"]
    unassigned = client.get(reverse("ticket_export"), {"assignee": "none"})
    assert _exported_titles(unassigned) == ["Printer jams"]


def test_a_ticket_number_search_beyond_64_bits_is_a_text_search(agent_with_tickets, login):
    _, agent, _ = agent_with_tickets
    client = login(agent)
    response = client.get(reverse("ticket_list"), {"q": "#99999999999999999999"})
    assert response.status_code == 200 and list(response.context["page"]) == []
    assert [t.number for t in client.get(reverse("ticket_list"), {"q": "#2"}).context["page"]] == [
        2
    ]


def test_nul_in_a_query_string_or_form_is_a_400(agent_with_tickets, login):
    _, agent, _ = agent_with_tickets
    client = login(agent)
    assert client.get(reverse("ticket_list"), {"q": "vpn\x00"}).status_code == 400
    response = client.post(reverse("organization_switch"), {"org": "1\x00"})
    assert response.status_code == 400 and b"NUL" in response.content


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_the_organization_switch_refuses_ids_no_organization_has(agent_with_tickets, login, value):
    org, agent, _ = agent_with_tickets
    client = login(agent)
    response = client.post(reverse("organization_switch"), {"org": value}, follow=True)
    assert response.status_code == 200
    assert "You are not a member of that organization." in response.content.decode()


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_marking_a_notification_read_with_an_impossible_id_is_a_404(
    agent_with_tickets, login, value
):
    _, _, expert = agent_with_tickets
    response = login(expert).post(reverse("notifications_mark_read"), {"id": value})
    assert response.status_code == 404


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_a_ticket_action_with_an_impossible_suggestion_is_a_message(
    agent_with_tickets, login, value
):
    org, agent, _ = agent_with_tickets
    ticket = Ticket.objects.get(organization=org, title="Printer jams")
    url = reverse("ticket_action", kwargs={"number": ticket.number, "action": "solved"})
    response = login(agent).post(url, {"suggestion": value}, follow=True)
    assert response.status_code == 200
    assert "does not belong to this ticket" in response.content.decode()
