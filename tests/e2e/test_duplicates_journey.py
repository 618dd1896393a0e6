"""An agent submits the same problem twice: the second ticket's page says "1 similar open
ticket", the agent merges it into the first after a confirmation, and both pages say where the
conversation went. Desktop and phone."""

from __future__ import annotations

import pytest

from accounts.models import Role
from solutions.models import Ticket
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "VPN disconnects every hour"
BODY = "Since Monday the VPN disconnects every hour on the office wifi and I have to reconnect."


def _submit(page, title: str, body: str) -> None:
    page.goto("/tickets/new/")
    page.fill("input[name=title]", title)
    page.fill("textarea[name=body]", body)
    page.get_by_test_id("submit-ticket").click()
    page.wait_for_url("**/tickets/*/")


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_duplicate_is_shown_and_merged(new_page, shot, make_org, width):
    org = make_org(name="Dup Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    page = new_page()
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, owner.email)
    _submit(page, TITLE, BODY)
    assert page.get_by_test_id("similar-open").count() == 0  # the first of its kind
    _submit(page, f"{TITLE}!", BODY.replace("Monday", "monday"))
    first, second = Ticket.objects.filter(organization=org).order_by("number")
    similar = page.get_by_test_id("similar-open")
    assert "1 similar open ticket" in similar.inner_text()
    assert f"#{first.number} {TITLE}" in page.get_by_test_id("similar-ticket").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, "similar-open")

    page.get_by_test_id(f"merge-into-{first.number}").click()
    assert f"#{first.number}" in page.get_by_test_id("merge-target").inner_text()
    shot(page, "merge-confirm")
    page.get_by_test_id("confirm-merge").click()
    page.wait_for_url(f"**/tickets/{first.number}/")
    assert (
        f"Merged #{second.number} into #{first.number}" in page.locator(".flash").first.inner_text()
    )
    assert f"#{second.number}" in page.get_by_test_id("merged-here").inner_text()
    shot(page, "merged-here")
    page.goto(f"/tickets/{second.number}/")
    assert f"#{first.number}" in page.get_by_test_id("merged-into").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, "merged-into")
