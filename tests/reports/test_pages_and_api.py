"""The Reports page, its CSV and `GET /api/v1/reports/summary/`: the range (defaults,
validation, never a 500), the same numbers everywhere, who may read them, and nothing of
another organization."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import ApiKey, Role
from reports.forms import ReportRangeForm

pytestmark = pytest.mark.django_db

QUERY = {"from": "2026-03-01", "to": "2026-03-10"}


def _key(history, scopes):
    _, raw = accounts_services.api_key_create(
        organization=history.org, actor=history.owner, name="Reports", scopes=scopes
    )
    return raw


# ------------------------------------------------------------------ the range


def test_the_range_defaults_to_the_last_30_days_today_included():
    form = ReportRangeForm({})
    assert form.is_valid()
    chosen = form.report_range
    assert chosen.last == timezone.localdate() and chosen.days == 30
    only_to = ReportRangeForm({"to": "2026-03-31"})
    assert only_to.is_valid() and only_to.report_range.first.isoformat() == "2026-03-02"


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"from": "2026-03-10", "to": "2026-03-01"}, "to", "before the start"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "to", "at most 366 days"),
        ({"from": "03/01/2026"}, "from", "YYYY-MM-DD"),
        ({"from": "2026-02-30"}, "from", "YYYY-MM-DD"),
        ({"to": "9999-12-31"}, "to", "between"),
        ({"from": "1999-12-31", "to": "2000-01-05"}, "from", "between"),
    ],
)
def test_a_bad_range_is_refused_with_a_clear_message(data, field, words):
    form = ReportRangeForm(data)
    assert not form.is_valid()
    assert words in " ".join(str(m) for m in form.errors[field])


def test_366_days_are_allowed():
    form = ReportRangeForm({"from": "2024-01-01", "to": "2024-12-31"})  # a leap year
    assert form.is_valid() and form.report_range.days == 366


# ------------------------------------------------------------------ the page and the CSV


def test_the_page_shows_the_numbers_and_the_charts(history, login):
    response = login(history.owner).get("/reports/", QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="deflection">40%' in html
    assert "chart-deflection" in html and "chart-channel" in html
    assert 'data-testid="expert-spend">$140.00' in html
    assert 'data-testid="cost-per-resolved">$48.20' in html
    assert "secret-category" not in html  # the other organization's


def test_the_page_without_a_range_shows_the_last_30_days(history, login):
    response = login(history.owner).get("/reports/")
    assert response.status_code == 200
    today = timezone.localdate()
    assert f'value="{today.isoformat()}"' in response.content.decode()
    assert f'value="{(today - timedelta(days=29)).isoformat()}"' in response.content.decode()


def test_a_bad_range_on_the_page_is_a_400_with_the_message(history, login):
    response = login(history.owner).get("/reports/", {"from": "2026-03-10", "to": "2026-03-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


def test_agents_are_refused_the_page_and_the_csv(history, login):
    agent = login(history.agent)
    assert agent.get("/reports/", QUERY).status_code == 403
    assert agent.get("/reports/export.csv", QUERY).status_code == 403


def test_the_csv_holds_the_same_numbers(history, login):
    response = login(history.owner).get("/reports/export.csv", QUERY)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "expertdesk-report-2026-03-01-2026-03-10.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "bucket", "name", "value"]
    values = {(r[0], r[1], r[2]): r[3] for r in rows[1:]}
    assert values["tickets", "", "created"] == "8"
    assert values["tickets_by_channel", "", "email"] == "1"
    assert values["tickets_by_channel", "2026-03-03", "api"] == "1"
    assert values["resolutions", "", "deflection_rate"] == "0.4"
    assert values["deflection", "2026-03-02", "deflection_rate"] == "1.0"
    assert values["times", "", "ai_first_response_seconds_avg"] == "45.0"
    assert values["sla", "", "compliance"] == "0.6667"
    assert values["spend", "", "expert_cents"] == "14000"
    assert values["spend", "", "cost_per_resolved_cents"] == "4820"
    assert values["satisfaction", "", "average"] == "4.0"
    assert values["satisfaction", "", "response_rate"] == "0.6667"
    assert "secret-category" not in response.content.decode()


def test_a_bad_range_on_the_csv_is_a_400_in_words(history, login):
    response = login(history.owner).get("/reports/export.csv", {"from": "nope"})
    assert response.status_code == 400
    assert "from: Use a date as YYYY-MM-DD" in response.content.decode()


def test_category_names_cannot_become_spreadsheet_formulas(history, login):
    history.tickets["u1"].category = "=HYPERLINK(1)"
    history.tickets["u1"].save()
    body = login(history.owner).get("/reports/export.csv", QUERY).content.decode()
    assert ",'=HYPERLINK(1)," in body and ",=HYPERLINK" not in body


# ------------------------------------------------------------------ the API


def test_the_api_gives_the_same_numbers_to_a_key_with_tickets_read(history, client):
    key = _key(history, [ApiKey.Scope.TICKETS_READ])
    response = client.get("/api/v1/reports/summary/", QUERY, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["from"], data["to"], data["days"], data["bucket"]) == (
        "2026-03-01", "2026-03-10", 10, "day",
    )  # fmt: skip
    assert len(data["buckets"]) == 10
    assert data["tickets"]["created"] == 8
    assert data["tickets"]["by_channel"] == {"web": 6, "api": 1, "email": 1}
    assert data["resolutions"]["by_resolver"] == {"ai": 2, "expert": 2, "internal": 1}
    assert data["resolutions"]["deflection_rate"] == 0.4
    assert data["resolutions"]["trend"][1]["deflection_rate"] == 1.0
    times = {t["resolver"]: t for t in data["times"]}
    assert times["expert"]["resolution_seconds_avg"] == 54000.0
    assert data["sla"] == {"on_time": 2, "breached": 1, "compliance": 0.6667}
    assert data["spend"]["expert_cents"] == 14000
    assert data["spend"]["total_cents"] == 24100
    assert data["satisfaction"]["average"] == 4.0
    assert data["satisfaction"]["scores"]["5"] == 1
    assert "secret-category" not in response.content.decode()


def test_a_key_without_tickets_read_is_refused(history, client):
    key = _key(history, [ApiKey.Scope.USAGE_READ])
    response = client.get("/api/v1/reports/summary/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 403
    assert "tickets:read" in response.json()["detail"]


def test_a_managers_session_reads_it_and_an_agents_is_refused(history, login):
    assert login(history.owner).get("/api/v1/reports/summary/", QUERY).status_code == 200
    refused = login(history.agent).get("/api/v1/reports/summary/", QUERY)
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("application/problem+json")


def test_a_bad_range_on_the_api_is_a_400_problem(history, login):
    response = login(history.owner).get(
        "/api/v1/reports/summary/", {"from": "2026-03-10", "to": "2026-03-01"}
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "before the start date" in response.content.decode()


def test_another_organization_sees_only_its_own_numbers(history, login):
    other_owner = (
        history.org.__class__.objects.get(name="Other Corp").memberships.get(role=Role.OWNER).user
    )
    data = login(other_owner).get("/api/v1/reports/summary/", QUERY).json()
    assert data["resolutions"]["by_resolver"] == {"ai": 0, "expert": 3, "internal": 0}
    assert data["tickets"]["by_category"] == {"secret-category": 3}
    assert data["sla"]["breached"] == 3 and data["sla"]["on_time"] == 0
    assert data["spend"]["expert_cents"] == 150_000
    assert data["satisfaction"]["average"] == 1.0


def test_the_schema_documents_the_endpoint(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/reports/summary/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to"}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"from", "to", "tickets", "resolutions", "times", "sla", "spend", "satisfaction"} <= set(
        component["properties"]
    )
