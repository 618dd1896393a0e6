"""Suggested answers on the ticket page: how likely each is to solve the ticket (calibrated on
the organization's own clicks, and what the auto-answer threshold compares), weak matches
collapsed and the least likely left out, evidence linked to its source within the
organization, and the words it shares with the ticket marked — escaped, whatever the texts
hold.

Results go through the real `ticket_triage_record` (tests/solutions/triage_results), so the
page is checked whatever the tiny model says."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from accounts.models import Role
from ml.engine.solve_calibration import prior_probability
from ml.serving import Suggestion
from solutions import selectors
from solutions.evidence import best_passage, highlight_html, highlight_text, shared_words
from solutions.models import Ticket, TicketSuggestion
from solutions.services import knowledge
from solutions.services import tickets as services
from tests.solutions.triage_results import record, triage_result


@pytest.fixture
def org(make_org_with_model):
    return make_org_with_model()


@pytest.fixture
def owner(org):
    return org.memberships.get(role=Role.OWNER).user


@pytest.fixture
def agent(org, make_user, add_member):
    user = make_user()
    add_member(org, user, Role.AGENT)
    return user


def _threshold(org, owner, value):
    services.solution_settings_update(
        organization=org, actor=owner, auto_answer_threshold=value, categories=[]
    )


def _submit(org, author, title="VPN keeps dropping", body="The vpn drops on the office router."):
    return services.ticket_submit(organization=org, author=author, title=title, body=body)


def _answer(key, title, answer, score, kind="import"):
    return Suggestion(kind, key, title, answer, score)


STRONG = _answer("import:x0", "VPN router drops", "Restart the VPN client and the router.", 0.93)
WEAK = _answer("import:x1", "Office printer jams", "Open tray 2 and take out the paper.", 0.42)
NOISE = _answer("import:x2", "Badge reader broken", "Call facilities.", 0.1)


def _page(client, ticket):
    response = client.get(reverse("ticket_detail", args=[ticket.number]))
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------- probability and threshold


def test_each_suggestion_stores_its_probability_and_the_threshold_compares_it(org, owner, agent):
    # A similarity of 0.88 was below a 0.9 threshold; its probability (0.93) is not.
    _threshold(org, owner, 0.9)
    close = _answer("import:x0", "VPN router drops", "Restart the VPN client.", 0.88)
    ticket = record(_submit(org, agent), triage_result(org, suggestions=[close, WEAK]))
    first, second = ticket.suggestions.order_by("rank")
    assert first.probability == prior_probability(0.88) and first.probability > 0.9
    assert second.probability == prior_probability(0.42)
    assert first.proposed and not second.proposed
    assert ticket.status == Ticket.Status.AI_SUGGESTED
    triaged = ticket.events.filter(kind="triaged").last()
    assert triaged is not None
    assert triaged.details["best_probability"] == first.probability
    assert triaged.details["best_score"] == 0.88 and triaged.details["calibrated"] is False
    assert "proposed an answer (93% likely to solve it)" in triaged.message


def test_below_the_threshold_the_ticket_needs_an_expert(org, owner, agent):
    _threshold(org, owner, 0.6)
    ticket = record(_submit(org, agent), triage_result(org, suggestions=[WEAK]))
    assert ticket.status == Ticket.Status.NEEDS_EXPERT
    assert not ticket.suggestions.get().proposed
    message = ticket.events.filter(kind="triaged").last().message  # type: ignore[union-attr]
    assert "no answer is likely enough to solve it: it needs an expert" in message


def test_the_organizations_clicks_teach_its_probabilities(org, owner, agent):
    """Twelve close matches were not helpful and ten solved: this organization's close
    matches solve less often than the prior says, and its threshold then holds them back."""
    _threshold(org, owner, 0.6)
    assert not selectors.suggestion_solve_calibration(org.pk).learned
    for i in range(22):
        solved = i >= 12
        score = 0.97 if solved else 0.9
        answer = _answer(f"import:c{i}", f"Answer {i}", f"Do thing {i}.", score)
        ticket = record(_submit(org, agent), triage_result(org, suggestions=[answer]))
        services.suggestion_feedback(
            ticket=ticket, actor=agent, suggestion_id=ticket.suggestions.get().pk, solved=solved
        )
    calibration = selectors.suggestion_solve_calibration(org.pk)
    assert calibration.learned and (calibration.solved, calibration.not_helpful) == (10, 12)
    assert selectors.suggestion_solve_calibration(org.pk) is calibration  # cached: no change
    assert calibration.probability(0.9) < prior_probability(0.9)
    ticket = record(
        _submit(org, agent),
        triage_result(org, suggestions=[_answer("import:n", "New", "New answer.", 0.9)]),
    )
    suggestion = ticket.suggestions.get()
    assert suggestion.probability == calibration.probability(0.9) < 0.6
    assert not suggestion.proposed and ticket.status == Ticket.Status.NEEDS_EXPERT
    # One more click changes what every process fits on: the curve is refitted.
    services.suggestion_feedback(
        ticket=ticket, actor=agent, suggestion_id=suggestion.pk, solved=False
    )
    refitted = selectors.suggestion_solve_calibration(org.pk)
    assert refitted is not calibration and refitted.not_helpful == 13


def test_other_organizations_clicks_teach_nothing(org, agent, make_org_with_model):
    other = make_org_with_model()
    for i in range(22):
        ticket = record(
            _submit(org, agent),
            triage_result(org, suggestions=[_answer(f"import:c{i}", "A", "B.", 0.9)]),
        )
        services.suggestion_feedback(
            ticket=ticket, actor=agent, suggestion_id=ticket.suggestions.get().pk, solved=i < 11
        )
    assert selectors.suggestion_solve_calibration(org.pk).learned
    assert not selectors.suggestion_solve_calibration(other.pk).learned


# ---------------------------------------------------------------- weak matches


def test_weak_matches_are_collapsed_and_the_least_likely_left_out(org, owner, agent, login):
    _threshold(org, owner, 0.6)
    ticket = record(_submit(org, agent), triage_result(org, suggestions=[STRONG, WEAK, NOISE]))
    shown = selectors.ticket_suggestions_shown(ticket)
    assert [c.suggestion.title for c in shown.strong] == ["VPN router drops"]
    assert [c.suggestion.title for c in shown.weak] == ["Office printer jams"]
    assert shown.hidden == 1
    page = _page(login(agent), ticket)
    weak = page[page.index('data-testid="weak-matches"') :]
    strong = page[: page.index('data-testid="weak-matches"')]
    assert "<summary>Weak matches (1)</summary>" in weak
    assert "Office printer jams" in strip_tags(weak) and "Office printer jams" not in strong
    assert "VPN router drops" in strip_tags(strong)
    assert "Badge reader broken" not in page
    assert "95% likely to solve it" in strip_tags(strong)
    # In a weak match, "This solved it" is not the primary action.
    assert re.search(r'data-testid="solved" class="secondary outline"', weak)
    assert re.search(r'data-testid="solved">This solved it', strong)


def test_the_proposed_suggestion_is_never_weak(org, owner, agent):
    _threshold(org, owner, 0.0)  # the organization proposes whatever comes first
    ticket = record(_submit(org, agent), triage_result(org, suggestions=[NOISE]))
    shown = selectors.ticket_suggestions_shown(ticket)
    assert [c.suggestion.proposed for c in shown.strong] == [True]
    assert shown.weak == [] and shown.hidden == 0


def test_the_weak_and_hidden_levels_are_settings(org, owner, agent, settings):
    _threshold(org, owner, 1.0)
    ticket = record(_submit(org, agent), triage_result(org, suggestions=[STRONG, WEAK, NOISE]))
    settings.SUGGESTION_WEAK_PROBABILITY = 0.99
    settings.SUGGESTION_HIDDEN_PROBABILITY = 0.5
    shown = selectors.ticket_suggestions_shown(ticket)
    assert ([c.suggestion.title for c in shown.weak], shown.hidden) == (["VPN router drops"], 2)


def test_empty_states(org, owner, agent, login):
    _threshold(org, owner, 0.6)
    client = login(agent)
    only_noise = record(_submit(org, agent), triage_result(org, suggestions=[NOISE]))
    page = _page(client, only_noise)
    assert "Nothing in your solved tickets or articles is close enough" in page
    assert 'data-testid="suggestion"' not in page and "weak-matches" not in page
    nothing = record(_submit(org, agent), triage_result(org, suggestions=[]))
    assert "No similar solved ticket or article yet." in _page(client, nothing)


def test_suggestions_stored_before_probabilities_are_shown_as_they_were(org, agent, login):
    ticket = record(_submit(org, agent), triage_result(org, suggestions=[NOISE]))
    TicketSuggestion.objects.filter(ticket=ticket).update(probability=None)
    shown = selectors.ticket_suggestions_shown(ticket)
    assert len(shown.strong) == 1 and shown.hidden == 0
    assert "similarity 0.10" in _page(login(agent), ticket)


# ---------------------------------------------------------------- evidence


def test_each_suggestion_links_to_its_source(org, owner, agent, login):
    earlier = _submit(org, agent, title="VPN drops every hour")
    article = knowledge.article_create(
        organization=org,
        actor=owner,
        title="Resetting the office router",
        body="Hold the reset button for ten seconds, then reconnect the VPN.",
        category="network",
    )
    ticket = record(
        _submit(org, agent),
        triage_result(
            org,
            suggestions=[
                _answer(f"article:{article.pk}", article.title, article.body, 0.9, "article"),
                _answer(f"ticket:{earlier.pk}", earlier.title, "Renew the lease.", 0.8, "ticket"),
                STRONG,
            ],
        ),
    )
    shown = selectors.ticket_suggestions_shown(ticket)
    assert [c.source_path for c in shown.all] == [
        reverse("kb_detail", args=[article.pk]),
        reverse("ticket_detail", args=[earlier.number]),
        None,
    ]
    assert [c.source_label for c in shown.all] == [
        "knowledge article",
        "solved ticket",
        "solved ticket (imported history)",
    ]
    page = _page(login(agent), ticket)
    assert f'href="{reverse("kb_detail", args=[article.pk])}"' in page
    assert f'href="{reverse("ticket_detail", args=[earlier.number])}"' in page
    assert 'data-testid="suggestion-source-text">solved ticket (imported history)' in page
    # An archived article is withdrawn advice: no link any more.
    knowledge.article_archive(article=article, actor=owner)
    [gone, *_] = selectors.ticket_suggestions_shown(ticket).all
    assert gone.source_path is None
    assert gone.source_label == "knowledge article (no longer available)"


def test_a_source_of_another_organization_is_never_linked(
    org, agent, login, make_org_with_model, make_user, add_member
):
    other = make_org_with_model()
    stranger = make_user()
    add_member(other, stranger, Role.AGENT)
    secret = _submit(other, stranger, title="Payroll server password reset", body="secret")
    # A key naming another organization's ticket (a stale or forged index row).
    forged = _answer(f"ticket:{secret.pk}", "VPN router drops", "Restart it.", 0.9, "ticket")
    ticket = record(_submit(org, agent), triage_result(org, suggestions=[forged]))
    [card] = selectors.ticket_suggestions_shown(ticket).all
    assert card.source_path is None
    page = _page(login(agent), ticket)
    assert "Payroll" not in page
    assert reverse("ticket_detail", args=[secret.number]) not in re.findall(
        r'href="([^"]+)"[^>]*data-testid="suggestion-source"', page
    )


def test_experts_cannot_follow_evidence_into_the_organization(
    org, agent, login, make_expert, owner
):
    """Experts see escalated tickets masked, on their own pages, without suggestions; the
    source pages suggestions link to are the organization's, closed to them."""
    earlier = _submit(org, agent, title="VPN drops every hour", body="Call me at +1 555 0100.")
    ticket = record(
        _submit(org, agent),
        triage_result(
            org,
            suggestions=[_answer(f"ticket:{earlier.pk}", earlier.title, "Renew.", 0.9, "ticket")],
        ),
    )
    [card] = selectors.ticket_suggestions_shown(ticket).all
    assert card.source_path is not None
    expert = login(make_expert())
    for url in (card.source_path, reverse("ticket_detail", args=[ticket.number])):
        response = expert.get(url)
        assert response.status_code != 200
        assert b"555 0100" not in response.content


def test_shared_words_are_marked_and_everything_is_escaped(org, owner, agent, login):
    _threshold(org, owner, 0.0)
    ticket = record(
        _submit(
            org,
            agent,
            title="<script>alert('vpn')</script> VPN router",
            body="The router script fails <img src=x onerror=alert(1)> on AT&T.",
        ),
        triage_result(
            org,
            suggestions=[
                _answer(
                    "import:x0",
                    "<img src=x onerror=alert(2)> VPN router",
                    "Run the **router** script, see [docs](https://docs.example/ "
                    '"a>b onmouseover=alert(3)") on AT&T.\n\n<script>alert(4)</script>',
                    0.9,
                )
            ],
        ),
    )
    page = _page(login(agent), ticket)
    assert "<script>alert" not in page and "<img" not in page
    assert "onerror=" not in page.replace("onerror=alert(1)&gt;", "").replace(
        "&lt;img src=x onerror=alert(2)&gt;", ""
    )
    assert "onmouseover" not in re.sub(r'title="[^"]*"', "", page)
    card = page[page.index('data-testid="suggestion"') :]
    # Markup in a title is text: escaped, and its words are words like any other.
    assert (
        "&lt;<mark>img</mark> <mark>src</mark>=x <mark>onerror</mark>=<mark>alert</mark>(2)&gt; "
        "<mark>VPN</mark> <mark>router</mark>"
    ) in card
    assert "<strong><mark>router</mark></strong> <mark>script</mark>" in card
    assert "AT&amp;T" in card  # an entity is text, not a word to mark


# ---------------------------------------------------------------- evidence helpers


def test_shared_words_ignore_case_plurals_and_stop_words():
    words = shared_words("The Routers drop THE vpn", "router and VPN and the drops")
    assert words == {"router", "vpn", "drop"}
    assert shared_words("it is on", "it is on") == frozenset()


def test_highlighting_text_escapes_it():
    html = highlight_text("<b>VPN</b> & router", frozenset({"vpn"}))
    assert html == "&lt;b&gt;<mark>VPN</mark>&lt;/b&gt; &amp; router"


def test_highlighting_html_marks_text_never_markup():
    rendered = (
        '<p>Open <a href="https://x.example/router" title="router &quot;x&quot; > y">the '
        "router</a> &amp; <code>router --reset</code></p>"
    )
    marked = str(highlight_html(rendered, frozenset({"router"})))
    assert 'href="https://x.example/router"' in marked  # an attribute is not text
    assert "<mark>router</mark></a>" in marked
    assert "<code><mark>router</mark> --reset</code>" in marked
    assert "&amp;" in marked and marked.count("<mark>") == 2


def test_the_passage_of_a_long_answer_is_its_best_paragraph():
    paragraphs = [
        "Printing. " + "Paper goes in tray two. " * 12,
        "Network. The VPN client drops when the router renews its lease. " * 4,
        "Accounts. " + "Unlock the account in the portal. " * 10,
    ]
    article = "\n\n".join(paragraphs)
    assert best_passage(article, "my vpn drops") == paragraphs[1].strip()
    assert best_passage("Restart the VPN client.", "my vpn drops") == ""  # short: the whole
    assert best_passage(article, "nothing in common") == ""


def test_a_long_article_shows_its_matching_passage(org, owner, agent, login):
    body = "\n\n".join(
        [
            "## Printers\n\n" + "Paper goes in tray two. " * 12,
            "The VPN client drops when the office router renews its lease. " * 4,
            "Unlock the account in the portal. " * 10,
        ]
    )
    ticket = record(
        _submit(org, agent),
        triage_result(org, suggestions=[_answer("article:1", "Handbook", body, 0.9, "article")]),
    )
    suggestion = ticket.suggestions.get()
    assert suggestion.passage.startswith("The VPN client drops when the office router")
    page = _page(login(agent), ticket)
    assert 'data-testid="suggestion-passage"' in page and "The whole answer" in page
