"""The rating engine and the spend cap: quota edges, plan changes mid-period, exact cents."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

import pytest
from django.core.exceptions import ValidationError

from billing.models import BillingAccount, Plan, PlanChange, UsageRecord
from billing.services import SpendCapExceeded, period_bounds, rate_period, usage_record
from billing.services.periods import current_period, period_of, previous_period

pytestmark = pytest.mark.django_db

PERIOD = "2025-03"  # 31 days
MID = datetime(2025, 3, 16, 12, tzinfo=UTC)
_keys = count()


def _record(org, kind="ai_answer", *, at=datetime(2025, 3, 5, 9, tzinfo=UTC), **kwargs):
    return usage_record(
        organization=org, kind=kind, idempotency_key=f"t-{next(_keys)}", occurred_at=at, **kwargs
    )


def _on_plan(org, code):
    account, _ = BillingAccount.objects.get_or_create(organization=org)
    account.plan = Plan.objects.get(code=code)
    account.save()
    return account.plan


@pytest.fixture
def org(make_org):
    org = make_org(name="Rated")
    _on_plan(org, "starter")  # 100 AI answers included, 50 ¢ each beyond, $49 a month
    return org


def test_period_bounds_are_calendar_months_in_utc():
    assert period_bounds("2025-12") == (
        datetime(2025, 12, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert previous_period("2025-01") == "2024-12"
    assert period_of(datetime(2025, 3, 31, 23, 59, tzinfo=UTC)) == "2025-03"
    assert len(current_period()) == 7
    for bad in ("2025-13", "2025-3", "march", ""):
        with pytest.raises(ValidationError, match="YYYY-MM"):
            period_bounds(bad)


def test_no_usage_costs_only_the_plan(org):
    rating = rate_period(organization=org, period=PERIOD)
    assert rating.usage_cents == 0
    assert rating.total_cents == rating.base_price_cents == 4900
    assert rating.included_ai_answers == 100
    assert len(rating.by_day) == 31 and all(d.total == 0 for d in rating.by_day)


def test_exactly_at_the_quota_costs_nothing_and_one_over_costs_the_overage(org):
    _record(org, quantity=100)
    rating = rate_period(organization=org, period=PERIOD)
    assert (rating.included_used, rating.overage_count, rating.overage_cents) == (100, 0, 0)
    _record(org, at=datetime(2025, 3, 6, tzinfo=UTC))
    rating = rate_period(organization=org, period=PERIOD)
    assert (rating.included_used, rating.overage_count, rating.overage_cents) == (100, 1, 50)
    assert rating.total_cents == 4900 + 50
    day6 = rating.by_day[5]
    assert (day6.ai_included, day6.ai_overage) == (0, 1)


def test_usage_outside_the_period_is_not_rated(org):
    _record(org, at=datetime(2025, 2, 28, 23, 59, 59, tzinfo=UTC))
    _record(org, at=datetime(2025, 4, 1, tzinfo=UTC))
    _record(org, at=datetime(2025, 3, 1, tzinfo=UTC))
    assert rate_period(organization=org, period=PERIOD).quantities["ai_answer"] == 1


def test_expert_answers_cost_their_unit_price_and_api_calls_are_free(org):
    _record(org, "expert_answer", unit_price_cents=5000)
    _record(org, "expert_answer", unit_price_cents=12000)
    _record(org, "api_call", quantity=40)
    rating = rate_period(organization=org, period=PERIOD)
    assert (rating.expert_answers, rating.expert_cents) == (2, 17000)
    assert rating.api_calls == 40
    assert rating.usage_cents == 17000


def test_plan_change_mid_period_splits_quota_and_prices(org):
    # Starter for the first 15.5 days, Team (1000 included, 30 ¢) for the other 15.5.
    PlanChange.objects.create(
        organization=org, plan=Plan.objects.get(code="team"), effective_at=MID
    )
    _record(org, quantity=60, at=datetime(2025, 3, 2, tzinfo=UTC))  # starter: 50 included
    _record(org, quantity=600, at=datetime(2025, 3, 20, tzinfo=UTC))  # team: 500 included
    rating = rate_period(organization=org, period=PERIOD)
    starter, team = rating.segments
    assert (starter.plan.code, team.plan.code) == ("starter", "team")
    assert (starter.start, starter.end, team.end) == (
        *period_bounds(PERIOD)[:1],
        MID,
        period_bounds(PERIOD)[1],
    )
    assert (starter.included_ai_answers, team.included_ai_answers) == (50, 500)
    assert (starter.overage_count, starter.overage_cents) == (10, 500)
    assert (team.overage_count, team.overage_cents) == (100, 3000)
    assert rating.overage_cents == 3500
    assert rating.base_price_cents == 4900 // 2 + 19900 // 2
    assert rating.total_cents == rating.base_price_cents + 3500


def test_prorating_floors_and_totals_are_exact_integers(org):
    # Changes at awkward instants: every prorated share is floored, never more than the plan.
    team, enterprise = Plan.objects.get(code="team"), Plan.objects.get(code="enterprise")
    PlanChange.objects.create(
        organization=org, plan=team, effective_at=datetime(2025, 3, 3, 7, 13, 11, tzinfo=UTC)
    )
    PlanChange.objects.create(
        organization=org, plan=enterprise, effective_at=datetime(2025, 3, 19, 1, 2, 3, tzinfo=UTC)
    )
    for day in range(1, 32):
        _record(org, quantity=day * 7, at=datetime(2025, 3, day, 11, tzinfo=UTC))
        _record(
            org, "expert_answer", unit_price_cents=3333, at=datetime(2025, 3, day, 12, tzinfo=UTC)
        )
    rating = rate_period(organization=org, period=PERIOD)
    assert len(rating.segments) == 3
    values = [
        rating.total_cents,
        rating.base_price_cents,
        rating.overage_cents,
        rating.expert_cents,
    ]
    assert all(type(v) is int for v in values)
    start, end = period_bounds(PERIOD)
    whole = int((end - start).total_seconds())
    for seg in rating.segments:
        secs = int((seg.end - seg.start).total_seconds())
        assert seg.included_ai_answers == seg.plan.included_ai_answers * secs // whole
        assert seg.base_price_cents == seg.plan.base_price_cents * secs // whole
        assert seg.overage_cents == seg.overage_count * seg.plan.ai_overage_cents
        assert seg.included_used + seg.overage_count == seg.ai_answers
    assert sum(s.ai_answers for s in rating.segments) == sum(d * 7 for d in range(1, 32))
    assert rating.expert_cents == 31 * 3333
    assert (
        rating.total_cents == rating.base_price_cents + rating.overage_cents + rating.expert_cents
    )
    by_day_ai = sum(d.ai_included + d.ai_overage for d in rating.by_day)
    assert by_day_ai == rating.quantities["ai_answer"]
    assert sum(d.ai_overage for d in rating.by_day) == rating.overage_count


def test_change_before_the_period_sets_its_plan(org):
    PlanChange.objects.create(
        organization=org,
        plan=Plan.objects.get(code="team"),
        effective_at=datetime(2025, 1, 9, tzinfo=UTC),
    )
    rating = rate_period(organization=org, period=PERIOD)
    assert [s.plan.code for s in rating.segments] == ["team"]
    assert rating.included_ai_answers == 1000


# ---------------------------------------------------------------- spend cap


def _cap(org, cents):
    BillingAccount.objects.filter(organization=org).update(spend_cap_cents=cents)


def test_cap_allows_free_answers_inside_the_quota_and_refuses_past_the_cap(org):
    _cap(org, 100)  # $1: two overage answers
    _record(org, quantity=100)  # inside the quota: free
    _record(org)
    _record(org)  # 100 ¢: exactly at the cap is allowed
    with pytest.raises(SpendCapExceeded) as refused:
        _record(org)
    assert "$1.00" in str(refused.value) and "$0.50" in str(refused.value)
    assert UsageRecord.objects.filter(organization=org).count() == 3
    assert rate_period(organization=org, period=PERIOD).usage_cents == 100


def test_cap_refuses_an_expert_answer_that_does_not_fit(org):
    _cap(org, 6000)
    _record(org, "expert_answer", unit_price_cents=5000)
    with pytest.raises(SpendCapExceeded, match="spend cap of \\$60.00"):
        _record(org, "expert_answer", unit_price_cents=5000)
    _record(org, "api_call", quantity=1000)  # never priced, never refused
    assert UsageRecord.objects.filter(kind="expert_answer").count() == 1


def test_replaying_a_key_returns_the_row_without_a_cap_check(org):
    row = usage_record(
        organization=org,
        kind="expert_answer",
        unit_price_cents=5000,
        idempotency_key="same",
        occurred_at=datetime(2025, 3, 5, tzinfo=UTC),
    )
    _cap(org, 0)
    again = usage_record(
        organization=org,
        kind="expert_answer",
        unit_price_cents=5000,
        idempotency_key="same",
        occurred_at=datetime(2025, 3, 5, tzinfo=UTC),
    )
    assert again.pk == row.pk
    assert isinstance(SpendCapExceeded(cap_cents=1, used_cents=0, act_cents=2), ValidationError)
