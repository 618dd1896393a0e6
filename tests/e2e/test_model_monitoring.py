"""An owner reads the Model page's Monitoring section: twelve weeks of triaged tickets whose
accuracy falls and whose categories drift, at desktop and phone width; a new organization
sees the empty state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from ml import monitoring
from solutions.models import Ticket
from tests.e2e.conftest import sign_in
from tests.ml.test_monitoring import Tickets, champion

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def build_history(org) -> None:
    champion(org)
    tickets = Tickets(org)
    this_week = monitoring.week_start(timezone.now())
    for back in range(10, 0, -1):
        when = this_week - timedelta(weeks=back) + timedelta(days=2)
        drift = back <= 3  # the last three weeks: mostly network, and more corrections
        for category in ("access", "hardware", "network"):
            count = 14 if drift and category == "network" else (4 if drift else 8)
            tickets.add(when, category, confirmed=True, count=count - 2)
            tickets.add(
                when,
                category,
                corrected_to="network" if category != "network" else "access",
                count=6 if drift else 1,
            )
        tickets.add(
            when,
            "hardware",
            outcome=Ticket.TriageOutcome.ABSTAINED,
            confidence=0.35,
            count=5 if drift else 2,
        )
        tickets.add(when, "", outcome=Ticket.TriageOutcome.NEEDS_DETAIL, confidence=0.2)
    tickets.add(this_week + timedelta(hours=1), "network", count=3)


def test_owner_reads_monitoring_desktop_and_phone(new_page, shot, make_org):
    org = make_org(name="Monitoring Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    build_history(org)
    assert monitoring.model_degradation_check(organization=org) is not None

    page = new_page()
    sign_in(page, owner.email)
    page.goto("/model/")
    section = page.get_by_test_id("monitoring")
    section.scroll_into_view_if_needed()
    assert section.get_by_test_id("monitoring-alert").is_visible()
    for chart in (
        "volume-chart",
        "abstain-chart",
        "accuracy-chart",
        "label-drift-chart",
        "lexical-drift-chart",
    ):
        assert section.get_by_test_id(chart).locator("svg").count() == 1
    assert section.get_by_test_id("class-accuracy-row").count() == 3
    assert section.locator("line.threshold").count() == 3
    section.screenshot(
        path=str(shot(page, "monitoring-desktop").with_name("monitoring-desktop-section.png"))
    )

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    section = page.get_by_test_id("monitoring")
    section.scroll_into_view_if_needed()
    # Nothing in the section wider than the phone (the per-category table scrolls inside
    # its box). The header's user menu is not this page's concern.
    overflow = page.evaluate(
        """[...document.querySelectorAll('[data-testid=monitoring] *')]
        .filter(e => !e.closest('.scroll-x') && e.getBoundingClientRect().right > 391)
        .map(e => e.tagName)"""
    )
    assert overflow == []
    section.screenshot(
        path=str(shot(page, "monitoring-phone").with_name("monitoring-phone-section.png"))
    )


def test_new_organization_sees_the_empty_state(new_page, shot, make_org):
    org = make_org(name="Fresh Corp")
    champion(org)
    page = new_page()
    sign_in(page, org.memberships.get(role=Role.OWNER).user.email)
    page.goto("/model/")
    empty = page.get_by_test_id("no-monitoring")
    assert empty.is_visible()
    shot(page, "monitoring-empty")
