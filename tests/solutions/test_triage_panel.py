"""The ticket page's triage panel: "Why <category>?" with the terms' signed weights and the
neighbours linked to their ticket or article (imported rows have no page), the candidates, the
honest low-confidence states, and the follow-up question with its answer box."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Role
from solutions.models import KnowledgeArticle, Ticket
from solutions.selectors import triage_neighbour_paths
from solutions.services import knowledge
from solutions.services import tickets as services
from tests.solutions.triage_results import (
    network_explanation,
    record,
    triage_result,
    unsure_result,
    vague_result,
)


@pytest.fixture
def org(make_org_with_model):
    return make_org_with_model()


@pytest.fixture
def agent(org, make_user, add_member):
    user = make_user()
    add_member(org, user, Role.AGENT)
    return user


@pytest.fixture
def cited(org, agent):
    """A solved-looking ticket and an article an explanation can cite."""
    earlier = services.ticket_submit(
        organization=org, author=agent, title="VPN disconnects every hour", body="vpn drops"
    )
    article = knowledge.article_create(
        organization=org,
        actor=org.memberships.get(role=Role.OWNER).user,
        title="Resetting the office router",
        body="Hold the reset button for 10 s.",
        category="network",
    )
    return earlier, article


def _page(client, ticket) -> str:
    response = client.get(reverse("ticket_detail", args=[ticket.number]))
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}".*?</(?:section|article)>', page, re.S)
    assert match, testid
    return match.group(0)


def test_why_shows_signed_terms_and_linked_neighbours(org, agent, cited, login):
    earlier, article = cited
    ticket = services.ticket_submit(
        organization=org, author=agent, title="VPN keeps dropping", body="the vpn router drops"
    )
    ticket = record(
        ticket, triage_result(org, explanation=network_explanation(earlier.pk, article.pk))
    )
    why = _section(_page(login(agent), ticket), "why")
    assert 'id="why-title"' in why and "Why network?" in why
    # Toward the category with a plus, against it with a true minus; read out for screen
    # readers, drawn as bars right or left of the centre line.
    assert re.search(r'class="term toward">\s*<span class="term-word">vpn</span>', why)
    assert "+0.42" in why and "\u22120.05" in why
    assert "toward network, weight </span>+0.42" in why
    assert "against network, weight </span>\u22120.05" in why
    assert '<rect x="50%" width="50.0%"' in why  # the strongest fills its half
    assert '<rect x="44.0%" width="6.0%"' in why  # −0.05 is 12% of 0.42, left of the centre
    hrefs = re.findall(r'<a href="([^"]+)">([^<]+)</a>', why)
    assert hrefs == [
        (f"/tickets/{earlier.number}/", "VPN disconnects every hour"),
        (f"/kb/{article.pk}/", "Resetting the office router"),
    ]
    assert 'Dock drops the network</span> <small class="muted">(imported)' in why
    assert "similarity 0.87" in why and "similarity 0.61" in why


def test_candidates_are_listed_with_the_chosen_one_marked(org, agent, login):
    ticket = record(
        services.ticket_submit(organization=org, author=agent, title="VPN", body="vpn"),
        triage_result(org),
    )
    candidates = _section(_page(login(agent), ticket), "candidates")
    assert re.findall(r'class="candidate-name">([^<]+)<', candidates) == [
        "network",
        "software",
        "hardware",
    ]
    assert '<li class="chosen"><span class="candidate-name">network' in candidates
    assert "91%" in candidates and "5%" in candidates


def test_not_sure_says_so_and_proposes_nothing(org, agent, login):
    owner = org.memberships.get(role=Role.OWNER).user
    services.solution_settings_update(
        organization=org, actor=owner, auto_answer_threshold=0.0, categories=[]
    )
    ticket = services.ticket_submit(organization=org, author=agent, title="ERP", body="erp blank")
    ticket = record(ticket, unsure_result(org), precision_target=0.975)
    page = _page(login(agent), ticket)
    triage = _section(page, "triage")
    assert "Not sure — needs an expert" in triage
    assert "48% is below what the 97.5% precision target needs for software" in triage
    assert 'class="confidence low"' in triage and "A best guess." in triage
    assert "Proposed resolution" not in page and 'data-testid="suggestion"' in page
    assert "not sure what this ticket is about (software at 48%)" in _section(page, "suggestions")
    assert 'data-testid="escalate"' in page
    assert 'data-testid="add-detail-more"' in page  # detail can still help before escalating


def test_needs_detail_asks_the_question_with_an_answer_box(org, agent, login):
    ticket = services.ticket_submit(
        organization=org, author=agent, title="Help", body="it doesn't work"
    )
    ticket = record(ticket, vague_result(org))
    page = _page(login(agent), ticket)
    assert 'data-testid="ticket-status">Needs more detail<' in page
    follow_up = _section(page, "follow-up")
    assert str(escape(ticket.follow_up_question)) in follow_up
    assert f'action="{reverse("ticket_action", args=[ticket.number, "add-detail"])}"' in follow_up
    assert '<label for="detail">' in follow_up and 'id="detail" name="detail"' in follow_up
    triage = _section(page, "triage")
    assert "Needs more detail" in triage and "best guess, hardware at 22%, is not used" in triage
    assert 'class="value">—<' in triage  # no category until someone says what it is
    assert 'data-testid="suggestion"' not in page
    assert "No answers are suggested until the ticket says more" in page
    # Answering is the way on; choosing a category by hand is there but not pressed on them.
    assert '<option value="" selected>Choose a category</option>' in page
    assert re.search(r"<details\s*>\s*<summary>Correct the triage", page)
    assert '<li class="asked">' in page  # the question on the timeline, marked


def test_the_answer_box_adds_detail_and_the_ticket_is_triaged_again(org, agent, login):
    ticket = services.ticket_submit(
        organization=org, author=agent, title="Help", body="it doesn't work"
    )
    record(ticket, vague_result(org))
    client = login(agent)
    url = reverse("ticket_action", args=[ticket.number, "add-detail"])
    empty = client.post(url, {"detail": "  "}, follow=True)
    assert "Write the detail to add" in empty.content.decode()
    response = client.post(url, {"detail": "laptop battery and docking monitor dead"}, follow=True)
    assert "triaged again with your detail" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.body.endswith("laptop battery and docking monitor dead")
    assert ticket.events.filter(kind="detail_added", actor=agent).exists()
    assert ticket.events.filter(kind="triaged").count() == 3  # submit, recorded, again


def test_a_page_without_an_explanation_has_no_why(org, agent, login):
    ticket = services.ticket_submit(organization=org, author=agent, title="VPN", body="vpn")
    Ticket.objects.filter(pk=ticket.pk).update(triage_explanation={}, triage_candidates=[])
    page = _page(login(agent), ticket)
    assert 'data-testid="why"' not in page and 'data-testid="candidates"' not in page
    assert "confident" in _section(page, "triage")


def test_neighbour_links_stay_inside_the_organization(org, agent, cited, make_org):
    earlier, article = cited
    other = make_org()
    other_ticket = services.ticket_submit(
        organization=other,
        author=other.memberships.get().user,
        title="Elsewhere",
        body="not yours",
    )
    keys = [
        f"ticket:{earlier.pk}",
        f"article:{article.pk}",
        f"ticket:{other_ticket.pk}",  # another organization's: no link
        "import:INC-1",
        "ticket:abc",
        "article:99999999999999999999",
        "nonsense",
    ]
    assert triage_neighbour_paths(org.pk, keys) == {
        f"ticket:{earlier.pk}": f"/tickets/{earlier.number}/",
        f"article:{article.pk}": f"/kb/{article.pk}/",
    }
    KnowledgeArticle.objects.filter(pk=article.pk).update(status=KnowledgeArticle.Status.ARCHIVED)
    assert f"article:{article.pk}" not in triage_neighbour_paths(org.pk, keys)


def test_terms_and_titles_are_escaped(org, agent, login):
    ticket = services.ticket_submit(organization=org, author=agent, title="VPN", body="vpn")
    explanation = {
        "terms": [{"term": "<script>x</script>", "weight": 0.3}],
        "neighbours": [
            {"key": "import:1", "label": "<b>n</b>", "similarity": 0.5, "title": "<img src=x>"}
        ],
    }
    record(ticket, triage_result(org, explanation=explanation))
    page = _page(login(agent), ticket)
    assert "<script>x</script>" not in page and "<img src=x>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "&lt;img src=x&gt;" in page


def test_the_panel_says_so_when_the_ranking_and_the_confidence_differ(org, agent, login):
    ticket = services.ticket_submit(organization=org, author=agent, title="Help", body="help")
    # The engine ranks with the classifier's probabilities; the confidence also weighs how
    # familiar the text is ("it doesn't work": hardware 100% as a ranking, 3% confident).
    ranked = [("hardware", 1.0), ("access", 0.0), ("network", 0.0)]
    record(ticket, vague_result(org), precision_target=0.95)
    assert 'data-testid="candidates-note"' not in _page(login(agent), ticket)  # 22% and 22%
    record(
        ticket,
        triage_result(
            org,
            category="hardware",
            category_confidence=0.03,
            candidates=ranked,
            needs_detail=True,
            abstained=True,
        ),
    )
    page = _page(login(agent), ticket)
    assert "The confidence above also weighs how familiar the text is" in page
    triaged = ticket.events.filter(kind="triaged").last()
    assert triaged is not None and "best guess hardware 3%)" in triaged.message  # no "0%" others
