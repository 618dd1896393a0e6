"""Suggested answers in the browser, at desktop and phone width: a strong suggestion says how
likely it is to solve the ticket, links to the knowledge article it comes from and marks the
words it shares with the ticket; a weak match waits collapsed under "Weak matches (1)" with
"This solved it" as a secondary button; an unrelated answer is not shown at all.

The engine's result is recorded through the real `ticket_triage_record`
(tests/solutions/triage_results), so the page is checked whatever the tiny model says."""

from __future__ import annotations

import pytest

from accounts.models import Role
from ml.serving import Suggestion
from solutions.models import Ticket
from solutions.services import knowledge
from solutions.services import tickets as services
from tests.e2e.conftest import sign_in
from tests.solutions.triage_results import record, triage_result

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


@pytest.fixture
def desk(make_org_with_model, make_user, add_member):
    org = make_org_with_model(name="Evidence Corp")
    agent = make_user(email="agent@evidence.test")
    add_member(org, agent, Role.AGENT)
    owner = org.memberships.get(role=Role.OWNER).user
    services.solution_settings_update(
        organization=org, actor=owner, auto_answer_threshold=0.6, categories=[]
    )
    article = knowledge.article_create(
        organization=org,
        actor=owner,
        title="VPN drops on the office router",
        body="Renew the **router** lease, then restart the VPN client. If the VPN still "
        "drops, switch the client to TCP.",
        category="network",
    )
    ticket = record(
        services.ticket_submit(
            organization=org,
            author=agent,
            title="VPN keeps dropping",
            body="Since Monday the vpn drops every ten minutes on the office router.",
        ),
        triage_result(
            org,
            suggestions=[
                Suggestion("article", f"article:{article.pk}", article.title, article.body, 0.9),
                Suggestion(
                    "import", "import:x1", "Wi-Fi drops at noon", "Move the access point.", 0.42
                ),
                Suggestion("import", "import:x2", "Badge reader broken", "Call facilities.", 0.1),
            ],
        ),
    )
    return org, agent, article, ticket


def _no_horizontal_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_strong_suggestion_with_evidence_and_weak_matches_collapsed(desk, new_page, shot):
    org, agent, article, ticket = desk
    assert ticket.status == Ticket.Status.AI_SUGGESTED
    page = new_page()
    sign_in(page, agent.email)
    page.goto(f"/tickets/{ticket.number}/")

    suggestions = page.get_by_test_id("suggestions")
    strong = suggestions.get_by_test_id("suggestion").first
    assert strong.is_visible()
    assert "Proposed resolution" in strong.inner_text()
    assert "95% likely to solve it" not in strong.inner_text()  # 0.9 → 94%
    assert "94% likely to solve it" in strong.inner_text()
    marked = [m.inner_text() for m in strong.locator(".markdown mark").all()]
    assert {"router", "VPN", "drops"} <= set(marked)
    assert strong.locator(".suggestion-title mark").count() >= 3
    assert strong.get_by_role("button", name="This solved it").get_attribute("class") is None

    weak = page.get_by_test_id("weak-matches")
    assert weak.locator("summary").inner_text() == "Weak matches (1)"
    assert weak.get_attribute("open") is None
    assert not page.get_by_text("Wi-Fi drops at noon").is_visible()  # collapsed
    assert "Badge reader broken" not in page.content()  # too unlikely to show
    _no_horizontal_scroll(page, DESKTOP["width"])
    shot(page, "desktop")

    weak.locator("summary").click()
    assert page.get_by_text("Wi-Fi drops at noon").is_visible()
    weak_solved = weak.get_by_role("button", name="This solved it")
    assert "secondary" in (weak_solved.get_attribute("class") or "")
    assert "imported history" in weak.inner_text()
    shot(page, "desktop-weak-open")

    page.set_viewport_size(PHONE)
    page.reload()
    _no_horizontal_scroll(page, PHONE["width"])
    page.get_by_test_id("suggestions").scroll_into_view_if_needed()
    shot(page, "phone")
    page.get_by_test_id("weak-matches").locator("summary").click()
    _no_horizontal_scroll(page, PHONE["width"])
    page.get_by_test_id("weak-matches").scroll_into_view_if_needed()
    shot(page, "phone-weak-open")

    # The evidence can be opened: the knowledge article it came from.
    page.set_viewport_size(DESKTOP)
    page.get_by_test_id("suggestion-source").first.click()
    page.wait_for_url(f"**/kb/{article.pk}/")
    assert "switch the client to TCP" in page.content()
    page.go_back()
    page.get_by_test_id("suggestions").get_by_role("button", name="This solved it").first.click()
    page.wait_for_load_state()
    assert page.get_by_test_id("ticket-status").inner_text() == "Resolved"
