"""The report's numbers from a constructed history (tests/reports/history.py), each written
out from docs/reports.md's definitions."""

from __future__ import annotations

from datetime import date

import pytest

from reports.forms import ReportRange
from reports.selectors import report_summary
from tests.reports.history import RANGE

pytestmark = pytest.mark.django_db


def test_tickets_created_by_channel_category_and_priority(history):
    s = report_summary(organization=history.org, chosen=RANGE)
    assert s.created == 8
    assert s.by_channel == {"web": 6, "api": 1, "email": 1}
    assert s.by_category == {"network": 7, "email": 1}
    assert s.by_priority == {"high": 7, "low": 1}
    assert s.bucket == "day" and len(s.buckets) == 10 and s.buckets[0] == date(2026, 3, 1)
    # Over time: the API ticket on March 3, the e-mail one on March 9.
    assert s.created_series["channel"]["api"] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    assert s.created_series["channel"]["email"][8] == 1
    assert sum(s.created_series["category"]["network"]) == 7


def test_deflection_is_the_ai_share_of_resolved_tickets_and_its_trend(history):
    s = report_summary(organization=history.org, chosen=RANGE)
    # a1, a2 by the AI; e1, e2 by experts; i1 closed internally. Not: the merged duplicate,
    # the open ticket, the one resolved in February, the one closed after the range.
    assert s.resolved_by == {"ai": 2, "expert": 2, "internal": 1}
    assert s.resolved == 5
    assert s.deflection_rate == pytest.approx(0.4)
    by_day = {p.bucket.day: p for p in s.trend}
    assert by_day[2].deflection_rate == 1.0 and by_day[3].deflection_rate == 1.0
    assert by_day[5].deflection_rate == 0.0  # e1 resolved on the 5th
    assert by_day[4].deflection_rate is None  # nothing resolved that day
    assert by_day[7].by_resolver == {"ai": 0, "expert": 0, "internal": 1}


def test_first_response_and_resolution_times_by_resolver(history):
    times = {t.resolver: t for t in report_summary(organization=history.org, chosen=RANGE).times}
    # AI: proposed 30 s and 60 s after submission (a2's earlier, abstaining triage proposed
    # nothing); resolved after 1 h and 31 min.
    assert times["ai"].tickets == 2 and times["ai"].responded == 2
    assert times["ai"].first_response_seconds_avg == pytest.approx(45)
    assert times["ai"].resolution_seconds_avg == pytest.approx((3600 + 1860) / 2)
    # Experts: e1's expert message after 1 h (before the answer; its unproposed suggestion is
    # no response); e2's colleague's message after 30 min (the note and the author's own
    # message don't count). Resolved after 24 h and 6 h.
    assert times["expert"].first_response_seconds_avg == pytest.approx((3600 + 1800) / 2)
    assert times["expert"].resolution_seconds_avg == pytest.approx((86400 + 21600) / 2)
    # Internal: closed after 2 h, nobody responded.
    assert times["internal"].tickets == 1 and times["internal"].responded == 0
    assert times["internal"].first_response_seconds_avg is None
    assert times["internal"].resolution_seconds_avg == pytest.approx(7200)
    assert times["all"].tickets == 5 and times["all"].responded == 4
    assert times["all"].resolution_seconds_avg == pytest.approx(
        (3600 + 1860 + 86400 + 21600 + 7200) / 5
    )
    assert times["all"].first_response_seconds_avg == pytest.approx((30 + 60 + 3600 + 1800) / 4)


def test_sla_compliance_of_the_organizations_expert_claims(history):
    sla = report_summary(organization=history.org, chosen=RANGE).sla
    # e1's claim and e2's second were answered in time; e2's first breached. The other
    # organization's three breaches are not ours.
    assert (sla.on_time, sla.breached) == (2, 1)
    assert sla.rate == pytest.approx(2 / 3)


def test_expert_spend_and_cost_per_resolved_ticket_against_the_plan(history):
    spend = report_summary(organization=history.org, chosen=RANGE).spend
    assert (spend.expert_answers, spend.expert_cents) == (2, 8000 + 6000)
    # $310 a month, 10 of March's 31 days.
    assert spend.plan_cents == 31_000 * 10 // 31 == 10_000
    # No AI answer included: March's 3 are overage at 50 ¢; 2 of them fell in the range.
    assert spend.ai_overage_cents == 100
    assert spend.total_cents == 10_000 + 100 + 14_000
    assert spend.cost_per_resolved_cents == round(24_100 / 5)
    assert spend.expert_cost_per_expert_resolved_cents == 7000
    assert spend.plan_code == "report-plan"


def test_satisfaction_average_and_response_rate(history):
    sat = report_summary(organization=history.org, chosen=RANGE).satisfaction
    # Surveys of tickets resolved in the range: a1 (5), a2 (3), e1 (sent, no answer), e2 (not
    # sent yet). February's survey and the other organization's are not counted.
    assert (sat.sent, sat.rated) == (3, 2)
    assert sat.average == pytest.approx(4.0)
    assert sat.response_rate == pytest.approx(2 / 3)
    assert sat.scores == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}
    assert sat.by_resolver["ai"] == (2, 4.0)
    assert sat.by_resolver["expert"][0] == 0


def test_an_empty_range_has_no_rates(history):
    empty = ReportRange(first=date(2025, 1, 1), last=date(2025, 1, 31))
    s = report_summary(organization=history.org, chosen=empty)
    assert (s.created, s.resolved) == (0, 0)
    assert s.deflection_rate is None and s.sla.rate is None
    assert s.satisfaction.response_rate is None and s.spend.cost_per_resolved_cents is None
    assert all(p.deflection_rate is None for p in s.trend)


def test_long_ranges_are_grouped_by_week(history):
    year = ReportRange(first=date(2025, 12, 1), last=date(2026, 11, 30))
    s = report_summary(organization=history.org, chosen=year)
    assert s.bucket == "week"
    assert all(b.weekday() == 0 for b in s.buckets)  # Mondays
    assert s.resolved_by == {"ai": 2, "expert": 3, "internal": 2}  # February's and the late one
    assert sum(p.resolved for p in s.trend) == 7
    assert sum(sum(v) for v in s.created_series["channel"].values()) == s.created == 9
