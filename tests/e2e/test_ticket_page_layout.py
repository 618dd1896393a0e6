"""The pages people use every day hold up, at desktop and phone width: one 200-character word
(a pasted path, a hash) in a ticket's title and body, an answer, a name, an e-mail address and
an article never makes a page scroll sideways; on a phone the ticket list is a stack of cards
and the triage panel comes right under the title; after a person corrects the triage, the
panel says who set the value instead of the model's confidence in another one; and the
escalation confirmation says when the expert's answer is due."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from accounts.models import Organization, Role, User
from billing.services import billing_account_for, sla_hours
from solutions.models import KnowledgeArticle, Ticket
from solutions.services import experts as expert_services
from solutions.services import knowledge
from solutions.services import tickets as ticket_services
from tests.e2e.conftest import sign_in
from tests.solutions.conftest import make_expert, make_open_ticket  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
WIDTHS = (DESKTOP, PHONE)

# Letters only, so masking sees a word rather than a key or a token and experts get it whole.
LONG_TITLE = ("Outlookcrashesonstartupafterupdate" * 7)[:200]
LONG_BODY = "Theerrorlogsays" + "Z" * 400 + "\n\nIt started on Monday."
LONG_NAME = "Maximilianalexanderwolfgangamadeus" * 2
LONG_EMAIL = "maximilian.alexander.wolfgang.amadeus.mozart.salzburg@example.test"
LONG_ANSWER = "Delete the folder\n\n" + "C:/Users/" + "AppDataLocalMicrosoftOutlook" * 6


@dataclass
class Desk:
    org: Organization
    agent: User
    owner: User
    expert: User
    open_ticket: Ticket
    answered: Ticket
    queued: Ticket
    article: KnowledgeArticle


@pytest.fixture
def desk(make_org, make_user, add_member, make_expert, make_open_ticket):  # noqa: F811
    org = make_org(name="Layout Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    agent = make_user(email=LONG_EMAIL, full_name=LONG_NAME)
    add_member(org, agent, Role.AGENT)
    billing_account_for(org)
    ticket_services.solution_settings_update(
        organization=org,
        actor=owner,
        auto_answer_threshold=0.8,
        categories=["network", "hardware", "software"],
    )
    triaged = {
        "predicted_category": "network",
        "category_confidence": 0.47,
        "predicted_priority": "high",
        "priority_confidence": 0.62,
        "triage_outcome": Ticket.TriageOutcome.CONFIDENT,
        "triage_candidates": [["network", 0.47], ["software", 0.31], ["hardware", 0.22]],
    }
    open_ticket = make_open_ticket(org, agent, LONG_TITLE, LONG_BODY, **triaged)
    answered = make_open_ticket(org, agent, LONG_TITLE, LONG_BODY, **triaged)
    queued = make_open_ticket(org, agent, LONG_TITLE, LONG_BODY, **triaged)
    expert = make_expert(skills=("network",))
    for ticket in (answered, queued):
        ticket_services.ticket_escalate(
            ticket=ticket,
            actor=owner,
            confirmed_price_cents=ticket_services.escalation_price_cents(ticket),
        )
    claim = expert_services.expert_claim_ticket(expert=expert, ticket_id=answered.pk)
    expert_services.expert_answer_submit(expert=expert, claim_id=claim.pk, body=LONG_ANSWER)
    article = knowledge.article_create(
        organization=org, actor=owner, title=LONG_TITLE, body=LONG_BODY, category="network"
    )
    return Desk(org, agent, owner, expert, open_ticket, answered, queued, article)


def _scroll_width(page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _box(page, test_id: str) -> dict[str, float]:
    box = page.get_by_test_id(test_id).first.bounding_box()
    assert box is not None, f"{test_id} is not shown"
    return box


def test_one_long_word_never_makes_a_page_scroll_sideways(desk, new_page, shot):
    agent = new_page()
    sign_in(agent, desk.agent.email)
    bench = new_page()
    sign_in(bench, desk.expert.email)
    pages = [
        (agent, "/tickets/", "ticket-list"),
        (agent, f"/tickets/{desk.open_ticket.number}/", "ticket"),
        (agent, f"/tickets/{desk.answered.number}/", "ticket-answered"),
        (agent, f"/tickets/{desk.open_ticket.number}/escalate/", "escalate"),
        (agent, f"/kb/{desk.article.pk}/", "kb-article"),
        (agent, "/kb/", "kb-list"),
        (bench, "/experts/queue/", "expert-queue"),
        (bench, f"/experts/tickets/{desk.queued.pk}/", "expert-ticket"),
        (bench, f"/experts/tickets/{desk.answered.pk}/", "expert-ticket-claimed"),
        (bench, "/experts/claims/", "expert-claims"),
    ]
    measured = {}
    for viewport in WIDTHS:
        for page, path, name in pages:
            page.set_viewport_size(viewport)
            page.goto(path)
            measured[(name, viewport["width"])] = _scroll_width(page)
            shot(page, f"{name}-{viewport['width']}")
    too_wide = {k: w for k, w in measured.items() if w > k[1]}
    assert not too_wide, f"wider than the viewport: {too_wide}"
    # The long word is on the pages, broken, not hidden or cut.
    agent.goto(f"/tickets/{desk.open_ticket.number}/")
    assert agent.get_by_role("heading", level=1).inner_text() == LONG_TITLE


def test_names_e_mail_addresses_and_webhook_urls_break_too(desk, new_page, shot, settings):
    from webhooks import services as webhooks

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # 127.0.0.1: resolved, never called here
    url = "http://127.0.0.1:9/" + "hooks" * 40 + "?token=" + "x" * 60
    endpoint, _ = webhooks.webhook_endpoint_create(
        organization=desk.org, actor=desk.owner, url=url, events=["ticket.answered"]
    )
    page = new_page()
    sign_in(page, desk.owner.email)
    measured = {}
    for viewport in WIDTHS:
        page.set_viewport_size(viewport)
        for path, name in [
            ("/members/", "members"),
            ("/audit/", "audit-log"),
            ("/settings/webhooks/", "webhooks"),
            (f"/settings/webhooks/{endpoint.pk}/", "webhook"),
        ]:
            page.goto(path)
            measured[(name, viewport["width"])] = _scroll_width(page)
            shot(page, f"{name}-{viewport['width']}")
    too_wide = {k: w for k, w in measured.items() if w > k[1]}
    assert not too_wide, f"wider than the viewport: {too_wide}"
    page.goto("/members/")
    assert LONG_EMAIL in page.content()


def test_at_phone_width_the_list_is_cards_and_triage_comes_under_the_title(desk, new_page, shot):
    page = new_page()
    sign_in(page, desk.agent.email)

    page.goto("/tickets/")
    # The desktop table keeps its columns side by side.
    status, category = _box(page, "row-status"), _box(page, "row-category")
    assert abs(status["y"] - category["y"]) < 5 and status["x"] < category["x"]

    page.set_viewport_size(PHONE)
    page.goto("/tickets/")
    assert _scroll_width(page) <= PHONE["width"]
    for test_id in ("row-title", "row-status", "row-category", "row-priority", "row-updated"):
        box = _box(page, test_id)
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], test_id
    row = page.get_by_test_id("ticket-row").first
    assert row.bounding_box()["width"] <= PHONE["width"]
    assert "network" in row.inner_text() and "High" in row.inner_text().title()
    shot(page, "phone-ticket-cards")

    page.goto(f"/tickets/{desk.open_ticket.number}/")
    title, triage, body = (
        _box(page, "ticket-title"),
        _box(page, "triage"),
        _box(page, "ticket-body"),
    )
    assert title["y"] < triage["y"] < body["y"]
    assert _scroll_width(page) <= PHONE["width"]
    shot(page, "phone-ticket-page")

    page.set_viewport_size(DESKTOP)
    page.reload()
    triage, body = _box(page, "triage"), _box(page, "ticket-body")
    ticket_card = page.locator(".ticket-main > article").first.bounding_box()
    # Desktop: triage in the right-hand column beside the ticket, level with its first card.
    assert triage["x"] > body["x"] + body["width"] and abs(triage["y"] - ticket_card["y"]) < 2
    shot(page, "desktop-ticket-page")


def test_after_a_correction_the_panel_says_who_set_it_not_the_models_confidence(
    desk, new_page, shot
):
    ticket = desk.open_ticket
    for viewport in WIDTHS:
        page = new_page()
        page.set_viewport_size(viewport)
        sign_in(page, desk.agent.email)
        page.goto(f"/tickets/{ticket.number}/")
        triage = page.get_by_test_id("triage")
        assert "47% confident" in triage.inner_text()
        if viewport is DESKTOP:
            page.get_by_text("Correct the triage").click()
            page.get_by_label("Category").select_option("software")
            page.get_by_label("Priority").select_option("low")
            page.get_by_role("button", name="Save correction").click()
            page.wait_for_selector("text=The correction becomes a training label")
        triage = page.get_by_test_id("triage")
        category = triage.get_by_test_id("category-set-by").inner_text()
        assert category.startswith(f"Set by {LONG_NAME}")
        assert "software" in triage.inner_text()
        assert triage.get_by_test_id("category-confidence").count() == 0
        assert triage.get_by_test_id("priority-confidence").count() == 0
        history = triage.get_by_test_id("category-suggested").inner_text()
        assert history == "The model suggested network (47% confident)."
        assert "high (62% confident)" in triage.get_by_test_id("priority-suggested").inner_text()
        assert triage.get_by_test_id("priority-set-by").inner_text().startswith("Set by")
        assert _scroll_width(page) <= viewport["width"]
        shot(page, f"corrected-{viewport['width']}")
        page.close()


def test_the_escalation_confirmation_says_when_the_answer_is_due(desk, new_page, shot):
    ticket = desk.open_ticket
    hours = sla_hours(organization=desk.org, priority=ticket.priority)
    for viewport in WIDTHS:
        page = new_page()
        page.set_viewport_size(viewport)
        sign_in(page, desk.agent.email)
        page.goto(f"/tickets/{ticket.number}/escalate/")
        sla = page.get_by_test_id("escalation-sla").inner_text()
        assert f"within {hours} hours" in sla and "high priority" in sla
        assert _scroll_width(page) <= viewport["width"]
        shot(page, f"escalate-sla-{viewport['width']}")
        page.close()
