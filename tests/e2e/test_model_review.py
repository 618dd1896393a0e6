"""An owner works through the model page's Review queue in Chromium: opens the Review tab,
confirms one prediction in a click, corrects another by choosing a category, skips to the next
batch, ends on "Nothing to review" — at desktop and at phone width."""

from __future__ import annotations

import pytest

from ml.labels import collect_labels
from solutions.models import Ticket
from solutions.services import tickets as ticket_services

from .conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Doubtful tickets (they mix the tiny model's categories), so the queue has something to ask.
TICKETS = [
    ("Login on the printer fails", "password printer toner login excel install since today"),
    ("Excel crashes when the VPN is up", "excel crash vpn router plugin wifi outlook update"),
    ("Docking station and the MFA token", "docking laptop mfa token account monitor firewall"),
]


def phone_fits(page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= 390"))


@pytest.fixture
def review_org(make_org_with_model, make_user, add_member):
    org = make_org_with_model(name="Review Corp")
    owner = org.memberships.get().user
    for title, body in TICKETS:
        ticket_services.ticket_submit(organization=org, author=owner, title=title, body=body)
    return org, owner


def item(page, ticket: Ticket):
    return page.locator(f"[data-testid=review-item][data-key='ticket:{ticket.pk}']")


def test_owner_confirms_corrects_and_empties_the_review_queue(review_org, new_page, shot):
    org, owner = review_org
    tickets = list(Ticket.objects.filter(organization=org).order_by("category_confidence"))
    page = new_page()
    sign_in(page, owner.email)
    page.goto("/model/")
    page.get_by_test_id("review-tab").click()
    page.wait_for_url("**/model/review/")
    assert page.get_by_test_id("review-item").count() == 3
    first = page.get_by_test_id("review-item").first
    assert first.get_attribute("data-key") == f"ticket:{tickets[0].pk}", "least sure first"
    assert page.get_by_test_id("review-list").get_attribute("data-diverse") == "true"
    shot(page, "queue-desktop")

    # One click confirms the prediction.
    confirmed = tickets[0]
    item(page, confirmed).get_by_test_id("review-confirm").click()
    page.wait_for_url("**/model/review/")
    assert f"Confirmed #{confirmed.number}" in page.locator(".flash-success").inner_text()
    assert item(page, confirmed).count() == 0
    shot(page, "after-confirm")

    # Choose a category, then one click corrects it.
    corrected = tickets[1]
    other = next(c for c in ("access", "hardware", "network") if c != corrected.predicted_category)
    row = item(page, corrected)
    row.get_by_test_id("review-correct-select").select_option(other)
    row.get_by_test_id("review-correct").click()
    page.wait_for_url("**/model/review/")
    assert f"Corrected #{corrected.number}" in page.locator(".flash-success").inner_text()

    labels = {r.key: r.category for r in collect_labels(org)}
    assert labels[f"ticket:{confirmed.pk}"] == confirmed.predicted_category
    assert labels[f"ticket:{corrected.pk}"] == other
    assert f"ticket:{tickets[2].pk}" not in labels  # a prediction alone is no label

    # The ticket link opens the ticket.
    remaining = tickets[2]
    item(page, remaining).get_by_test_id("review-ticket-link").click()
    page.wait_for_url(f"**/tickets/{remaining.number}/")
    page.goto("/model/review/")
    # The sidebar still says where we are: the Review tab is part of the Model page.
    model_link = page.locator("nav a", has_text="Model").first
    assert model_link.get_attribute("aria-current") == "page"

    # Phone width: nothing wider than the screen, the buttons still reachable.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert phone_fits(page)
    assert item(page, remaining).get_by_test_id("review-confirm").is_visible()
    assert item(page, remaining).get_by_test_id("review-correct").is_visible()
    shot(page, "queue-phone")
    item(page, remaining).get_by_test_id("review-confirm").click()
    page.wait_for_url("**/model/review/")
    assert "Nothing to review" in page.get_by_test_id("review-empty").inner_text()
    assert phone_fits(page)
    shot(page, "empty-phone")


def test_the_next_batch_link_and_a_bad_choice_at_phone_width(
    review_org, new_page, shot, monkeypatch
):
    from ml.views import ReviewQueueView

    org, owner = review_org
    monkeypatch.setattr(ReviewQueueView, "batch_size", 2)  # the live server is in this process
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, owner.email)
    page.goto("/model/review/")
    first_batch = [e.get_attribute("data-key") for e in page.get_by_test_id("review-item").all()]
    assert len(first_batch) == 2
    page.get_by_test_id("review-next").click()
    page.wait_for_url("**/model/review/?skip=*")
    second = page.get_by_test_id("review-item")
    assert second.count() == 1 and second.first.get_attribute("data-key") not in first_batch
    assert phone_fits(page)
    shot(page, "next-batch-phone")

    # Correct without choosing: the browser asks for a choice and nothing is sent.
    select = second.first.get_by_test_id("review-correct-select")
    assert select.evaluate("element => element.validity.valueMissing")
    second.first.get_by_test_id("review-correct").click()
    assert page.get_by_test_id("review-item").count() == 1
    assert page.locator(".flash-error").count() == 0
    assert not any(r.category for r in collect_labels(org) if r.key.startswith("ticket:"))

    page.get_by_test_id("review-restart").click()
    page.wait_for_url("**/model/review/")
    assert page.get_by_test_id("review-item").count() == 2
