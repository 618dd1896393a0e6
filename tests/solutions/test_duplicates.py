"""Duplicates: the open tickets like a new one are found at submission and shown on its page;
an agent merges a duplicate into another ticket (closed, timeline kept, requester told once, a
reserved expert price released); an API submission repeating an open ticket of the same
requester within minutes returns that ticket with `duplicate_of`."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.utils import timezone

from accounts.models import AuditLogEntry, Role
from billing import services as billing
from solutions.models import Notification, Ticket
from solutions.selectors.duplicates import similar_open_tickets, similarities
from solutions.services import duplicates, tickets
from tests.api.conftest import bearer

VPN = ("VPN drops every hour", "Since Monday the VPN disconnects every hour and I reconnect.")
VPN_AGAIN = (
    "VPN drops every hour!",
    "Since monday the vpn disconnects every hour; I must reconnect",
)
PRINTER = ("Printer jams on floor 3", "The printer on floor 3 jams with every A3 print job.")


@pytest.fixture
def org(make_org):
    return make_org(name="Dup Corp")


@pytest.fixture
def agent(org, make_user, add_member):
    user = make_user()
    add_member(org, user, Role.AGENT)
    return user


def _submit(org, author, text):
    # Its commit's callbacks run (as they do outside a test's transaction): the similar open
    # tickets are found by a task after the submission commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        ticket = tickets.ticket_submit(organization=org, author=author, title=text[0], body=text[1])
    ticket.refresh_from_db()
    return ticket


def test_reworded_copies_score_high_and_other_problems_low():
    text = "\n".join(VPN)
    scores = similarities(text, ["\n".join(VPN_AGAIN), "\n".join(PRINTER), text])
    assert scores[0] > 0.7 and scores[1] < 0.2 and scores[2] == pytest.approx(1.0)
    assert similarities("", ["anything"]) == [0.0]


def test_submission_records_the_similar_open_tickets_of_its_organization_only(
    org, agent, make_org, make_user
):
    first = _submit(org, agent, VPN)
    _submit(org, agent, PRINTER)
    other = make_org(name="Elsewhere")
    _submit(other, other.memberships.get(role=Role.OWNER).user, VPN)
    second = _submit(org, agent, VPN_AGAIN)
    assert [number for number, _ in second.similar_open] == [first.number]
    assert second.similar_open[0][1] > 0.7
    # Found after the commit, as the open tickets stood at submission: the later copy is not
    # on the first one's list (recording it again finds the same).
    first.refresh_from_db()
    assert first.similar_open == []
    assert duplicates.ticket_similar_open_record(ticket_id=first.pk) == 0
    assert duplicates.ticket_similar_open_record(ticket_id=second.pk) == 1
    assert duplicates.ticket_similar_open_record(ticket_id=10**9) is None
    # A closed ticket is not an open duplicate.
    tickets.ticket_close(ticket=first, actor=agent)
    assert first.pk not in [
        m.ticket.pk for m in similar_open_tickets(organization=org, title=VPN[0], body=VPN[1])
    ]


def test_merging_closes_the_duplicate_keeps_both_timelines_and_tells_the_requester_once(
    org, agent, make_user, add_member, django_capture_on_commit_callbacks
):
    requester = make_user()
    add_member(org, requester, Role.AGENT)
    target = _submit(org, agent, VPN)
    copy = _submit(org, requester, VPN_AGAIN)
    with django_capture_on_commit_callbacks(execute=True):
        joined = duplicates.ticket_merge(ticket=copy, into_number=target.number, actor=agent)
    assert joined.pk == target.pk
    copy.refresh_from_db()
    assert copy.status == Ticket.Status.CLOSED and copy.duplicate_of_id == target.pk
    assert copy.events.filter(kind="submitted").exists()  # its own timeline is kept
    assert f"Merged into #{target.number}" in copy.events.get(kind="merged").message
    assert f"#{copy.number}" in target.events.get(kind="merged_here").message
    notices = Notification.objects.filter(user=requester, kind="ticket_merged")
    assert notices.count() == 1 and notices[0].url == f"/tickets/{target.number}/"
    assert AuditLogEntry.objects.filter(action="ticket.merged").count() == 1
    # Merging again is refused and tells nobody a second time.
    with pytest.raises(ValidationError, match="already merged"):
        duplicates.ticket_merge(ticket=copy, into_number=target.number, actor=agent)
    assert notices.count() == 1
    # The requester merging their own ticket is not told about it.
    own = _submit(org, agent, VPN_AGAIN)
    duplicates.ticket_merge(ticket=own, into_number=target.number, actor=agent)
    assert not Notification.objects.filter(user=agent, kind="ticket_merged").exists()


def test_merging_an_escalated_ticket_releases_its_reserved_price(org, agent, make_escalated_ticket):
    target = _submit(org, agent, VPN)
    escalated = make_escalated_ticket(org, author=agent)
    hold = billing.spend_hold_of(ticket_id=escalated.pk)
    assert hold is not None and hold.status == "held"
    duplicates.ticket_merge(ticket=escalated, into_number=target.number, actor=agent)
    assert billing.spend_hold_of(ticket_id=escalated.pk) is None  # no open hold left
    assert "reserved for an expert is free again" in escalated.events.get(kind="merged").message


@pytest.mark.parametrize(
    "case, message",
    [
        ("self", "can't be merged into itself"),
        ("missing", "There is no ticket #999"),
        ("claimed", "An expert is working on this ticket"),
        ("closed_target", "is no longer open"),
        ("other_org", "There is no ticket"),
    ],
)
def test_merges_that_cant_be_done_are_refused_and_change_nothing(
    org, agent, make_org, make_escalated_ticket, make_expert, case, message
):
    from solutions.services import experts

    source = _submit(org, agent, VPN_AGAIN)
    target = _submit(org, agent, VPN)
    into = target.number
    if case == "self":
        into = source.number
    elif case == "missing":
        into = 999
    elif case == "claimed":
        source = make_escalated_ticket(org, author=agent)
        experts.expert_claim_ticket(expert=make_expert(), ticket_id=source.pk)
    elif case == "closed_target":
        tickets.ticket_close(ticket=target, actor=agent)
    elif case == "other_org":
        other = make_org(name="Other")
        into = _submit(other, other.memberships.get(role=Role.OWNER).user, VPN).number + 100
    before = Ticket.objects.get(pk=source.pk).status
    with pytest.raises(ValidationError, match=message):
        duplicates.ticket_merge(ticket=source, into_number=into, actor=agent)
    source.refresh_from_db()
    assert source.status == before and source.duplicate_of_id is None


def test_the_ticket_page_shows_similar_tickets_and_the_merge_is_confirmed(org, agent, login):
    target = _submit(org, agent, VPN)
    copy = _submit(org, agent, VPN_AGAIN)
    client = login(agent)
    page = client.get(f"/tickets/{copy.number}/").content.decode()
    assert "1 similar open ticket</strong>" in page
    assert f'href="/tickets/{copy.number}/merge/?into={target.number}"' in page
    confirm = client.get(f"/tickets/{copy.number}/merge/?into={target.number}")
    assert confirm.status_code == 200
    assert f'It joins <a href="/tickets/{target.number}/">#{target.number}' in (
        confirm.content.decode()
    )
    bad = client.post(f"/tickets/{copy.number}/merge/", {"into": copy.number})
    assert bad.status_code == 400 and "can&#x27;t be merged into itself" in bad.content.decode()
    empty = client.post(f"/tickets/{copy.number}/merge/", {"into": ""})
    assert "Type the number of the ticket to merge into." in empty.content.decode()
    done = client.post(f"/tickets/{copy.number}/merge/", {"into": target.number}, follow=True)
    assert done.redirect_chain[-1][0] == f"/tickets/{target.number}/"
    assert f'Merged into this ticket: <a href="/tickets/{copy.number}/">' in (done.content.decode())
    merged_page = client.get(f"/tickets/{copy.number}/").content.decode()
    assert 'data-testid="merged-into"' in merged_page
    assert 'data-testid="similar-open"' not in merged_page


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_an_api_resubmission_returns_the_open_ticket_it_repeats(org, make_user):
    from accounts import services as accounts

    owner = org.memberships.get(role=Role.OWNER).user
    _, key = accounts.api_key_create(
        organization=org, actor=owner, name="CI", scopes=["tickets:read", "tickets:write"]
    )
    client = bearer(key)
    first = _post(client, "/api/v1/tickets/", {"title": VPN[0], "body": VPN[1]})
    assert first.status_code == 201 and first.json()["duplicate_of"] is None
    assert Ticket.objects.get(organization=org, number=first.json()["id"]).channel == "api"
    again = _post(client, "/api/v1/tickets/", {"title": VPN_AGAIN[0], "body": VPN_AGAIN[1]})
    assert again.status_code == 201  # reworded: similar, not a near-identical repeat
    same = _post(client, "/api/v1/tickets/", {"title": VPN[0], "body": VPN[1]})
    assert same.status_code == 200
    assert same.json()["id"] == first.json()["id"] == same.json()["duplicate_of"]
    assert Ticket.objects.filter(organization=org).count() == 2
    # After the window the same text is a new ticket (the problem came back).
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        later = _post(client, "/api/v1/tickets/", {"title": VPN[0], "body": VPN[1]})
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]


def test_the_api_merges_and_refuses_clearly(org, make_org):
    from accounts import services as accounts

    owner = org.memberships.get(role=Role.OWNER).user
    _, key = accounts.api_key_create(
        organization=org, actor=owner, name="CI", scopes=["tickets:read", "tickets:write"]
    )
    client = bearer(key)
    target = _submit(org, owner, VPN)
    copy = _submit(org, owner, PRINTER)
    bad = _post(client, f"/api/v1/tickets/{copy.number}/merge/", {"into": copy.number})
    assert bad.status_code == 400 and "itself" in json.dumps(bad.json())
    assert _post(client, f"/api/v1/tickets/{copy.number}/merge/", {}).status_code == 400
    done = _post(client, f"/api/v1/tickets/{copy.number}/merge/", {"into": target.number})
    assert done.status_code == 200 and done.json()["id"] == target.number
    merged = client.get(f"/api/v1/tickets/{copy.number}/").json()
    assert merged["duplicate_of"] == target.number and merged["status"] == "closed"
