"""An owner opens Reports on the demo's month of history (seeded as `make run` seeds it),
changes the range, downloads the CSV; a requester rates a resolution from the survey e-mail's
link without signing in, and a second click changes nothing. Desktop and phone."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Role
from reports import services as report_services
from reports.demo import seed_reports_demo
from reports.models import SatisfactionSurvey
from solutions.models import Ticket, TicketSuggestion
from solutions.services import tickets as ticket_services
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@WIDTHS
def test_owner_reads_reports_changes_the_range_and_downloads_the_csv(
    new_page, shot, make_org, make_user, add_member, width
):
    org = make_org(name="Acme Reports")
    owner = org.memberships.get(role=Role.OWNER).user
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    seed_reports_demo(organization=org, owner=owner, agent=agent)

    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, owner.email)
    if width > 800:
        page.get_by_test_id("nav-reports").click()
    else:
        page.goto("/reports/")
    page.wait_for_url("**/reports/")
    deflection = page.get_by_test_id("deflection").inner_text()
    assert re.fullmatch(r"\d+%", deflection) and deflection != "0%"
    assert page.locator("svg.chart-deflection rect").count() > 0
    assert page.locator("svg.chart-deflection polyline.rate").count() == 1
    assert page.locator("svg.chart-channel rect").count() > 0
    assert page.get_by_test_id("satisfaction-average").inner_text() != "—"
    assert page.locator("table.report-times tr[data-resolver=expert]").count() == 1
    _fits(page, width)
    shot(page, "reports-30-days")

    # The last 7 days: a shorter range, fewer tickets.
    created_30 = int(page.get_by_test_id("stat-created").locator(".value").inner_text())
    page.get_by_test_id("preset-7").click()
    page.wait_for_load_state()
    created_7 = int(page.get_by_test_id("stat-created").locator(".value").inner_text())
    assert 0 < created_7 < created_30
    shot(page, "reports-7-days")

    # A range typed in, backwards: a clear message, no numbers.
    today = timezone.localdate()
    page.get_by_test_id("range-from").fill(today.isoformat())
    page.get_by_test_id("range-to").fill((today - timedelta(days=3)).isoformat())
    page.get_by_test_id("range-apply").click()
    page.wait_for_load_state()
    assert "before the start date" in page.get_by_test_id("range-errors").inner_text()
    assert page.get_by_test_id("report-stats").count() == 0
    shot(page, "reports-bad-range")

    page.get_by_test_id("range-from").fill((today - timedelta(days=13)).isoformat())
    page.get_by_test_id("range-to").fill(today.isoformat())
    page.get_by_test_id("range-apply").click()
    page.wait_for_load_state()
    assert "14 days" in page.locator(".subtitle").inner_text()
    with page.expect_download() as download:
        page.get_by_test_id("reports-csv").click()
    content = open(download.value.path(), encoding="utf-8").read()
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == ["section", "bucket", "name", "value"]
    values = {(r[0], r[1], r[2]): r[3] for r in rows[1:]}
    assert values["range", "", "from"] == (today - timedelta(days=13)).isoformat()
    shown = page.get_by_test_id("stat-resolved").locator(".value").inner_text()
    assert values["resolutions", "", "resolved"] == shown
    _fits(page, width)
    shot(page, "reports-14-days")


@WIDTHS
def test_the_rating_link_from_the_email_works_without_signing_in(
    new_page, shot, make_org, make_user, add_member, width
):
    org = make_org(name="Rating Corp")
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    ticket = Ticket.objects.create(
        organization=org, author=agent, number=1, title="Printer offline", body="Since today.",
        status=Ticket.Status.AI_SUGGESTED, category="printing", priority="low",
    )  # fmt: skip
    suggestion = TicketSuggestion.objects.create(
        ticket=ticket, rank=1, source_kind="article", source_key="kb:1", title="Restart it",
        answer="Restart the spooler.", score=0.9, probability=0.9, proposed=True,
    )  # fmt: skip
    ticket_services.suggestion_feedback(
        ticket=ticket, actor=agent, suggestion_id=suggestion.pk, solved=True
    )
    assert report_services.surveys_send() == 1
    [email] = [m for m in mail.outbox if "How did we do" in m.subject]
    links = re.findall(r"http://\S+/rate/[^\s/]+/", str(email.body))
    assert len(links) == 5
    path = links[4][links[4].index("/rate/") :]

    page = new_page()  # nobody signed in
    page.set_viewport_size({"width": width, "height": 760})
    page.goto(path)
    assert "Thank you" in page.locator("h1").inner_text()
    assert "5/5" in page.get_by_test_id("rating-message").inner_text()
    _fits(page, width)
    shot(page, "rating-thank-you")
    assert SatisfactionSurvey.objects.get(ticket=ticket).score == 5

    page.goto(links[0][links[0].index("/rate/") :])
    assert "already rated" in page.get_by_test_id("rating-message").inner_text()
    shot(page, "rating-already")
    assert SatisfactionSurvey.objects.get(ticket=ticket).score == 5

    page.goto(path[:-8] + "tampered/")
    assert "doesn't work" in page.locator("h1").inner_text()
    _fits(page, width)
    shot(page, "rating-invalid")
