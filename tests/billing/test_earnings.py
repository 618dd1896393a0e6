"""Experts' earnings ledger, payouts, the admin's "mark paid" action and the earnings page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import requests
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLogEntry
from billing import services as billing
from billing.models import BillingAccount, ExpertEarning, ExpertPayoutAccount, Payout, Plan
from billing.services.earnings import commission_cents
from billing.services.periods import previous_period
from billing.tasks.earnings import earnings_release_task, payouts_monthly_task
from solutions.models import ExpertProfile

pytestmark = pytest.mark.django_db

MARCH = datetime(2025, 3, 15, 12, tzinfo=UTC)


@pytest.fixture
def org(make_org):
    return make_org(name="Acme")


@pytest.fixture
def enterprise_org(make_org):
    org = make_org(name="Big Corp")
    BillingAccount.objects.update_or_create(
        organization=org, defaults={"plan": Plan.objects.get(code="enterprise")}
    )
    return org


@pytest.fixture
def expert(make_user):
    user = make_user(email="expert@experts.test")
    ExpertProfile.objects.create(user=user, headline="Network engineer", skills=["network"])
    return user


@pytest.fixture
def staff(make_user):
    user = make_user(email="ops@expertdesk.test")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def _earn(expert, org, gross, key, **kwargs):
    return billing.expert_earning_record(
        expert=expert, organization=org, gross_cents=gross, idempotency_key=key, **kwargs
    )


# ---------------------------------------------------------------- commission and the ledger


@pytest.mark.parametrize(
    ("gross", "bps", "commission"),
    [
        (4999, 2000, 1000),  # 999.8 → 1000
        (4997, 2000, 999),  # 999.4 → 999
        (4999, 1500, 750),  # 749.85 → 750
        (4990, 1500, 749),  # 748.5 → 749: half-up, not banker's (748)
        (10, 1500, 2),  # 1.5 → 2
        (3, 1500, 0),  # 0.45 → 0
        (5000, 0, 0),
        (5000, 10_000, 5000),
    ],
)
def test_commission_rounds_half_up_to_the_cent(gross, bps, commission):
    assert commission_cents(gross, bps) == commission


def test_commission_comes_from_the_organizations_plan(expert, org, enterprise_org):
    starter = _earn(expert, org, 4999, "a")  # no plan picked: Starter's 20 %
    enterprise = _earn(expert, enterprise_org, 4990, "b")  # Enterprise: 15 %
    assert (starter.gross_cents, starter.commission_cents, starter.net_cents) == (4999, 1000, 3999)
    assert (enterprise.commission_cents, enterprise.net_cents) == (749, 4241)


def test_rated_answer_is_available_at_once_unrated_is_held(expert, org, settings):
    settings.EARNINGS_HOLD_DAYS = 3
    rated = _earn(expert, org, 5000, "rated", ticket_id=7)
    held = _earn(expert, org, 5000, "held", rated=False)
    assert rated.status == ExpertEarning.Status.AVAILABLE
    assert rated.ticket_id == 7
    assert held.status == ExpertEarning.Status.PENDING
    hold = held.available_at - held.created_at
    assert hold == timedelta(days=3)


def test_repeated_key_returns_the_first_row(expert, org, enterprise_org):
    first = _earn(expert, org, 5000, "k")
    again = _earn(expert, enterprise_org, 9999, "k")
    assert again.pk == first.pk
    assert (again.gross_cents, again.organization_id) == (5000, org.pk)
    assert ExpertEarning.objects.count() == 1


def test_concurrent_insert_of_the_same_key_is_one_row(expert, org):
    winner = _earn(expert, org, 5000, "race")
    # The other process's pre-check ran before the winner committed: it saw no row.
    with (
        transaction.atomic(),
        mock.patch.object(QuerySet, "first", return_value=None),
    ):
        loser = _earn(expert, org, 5000, "race")
        # The caller's transaction survived the IntegrityError (a savepoint took it).
        assert ExpertEarning.objects.filter(idempotency_key="race").count() == 1
    assert loser.pk == winner.pk


def test_negative_price_is_refused(expert, org):
    with pytest.raises(ValueError, match="negative"):
        _earn(expert, org, -1, "neg")


def test_release_makes_due_pending_earnings_available(expert, org):
    held = _earn(expert, org, 5000, "held", rated=False)
    assert billing.earnings_release_due() == 0
    later = held.available_at + timedelta(seconds=1)
    assert billing.earnings_release_due(now=later) == 1
    assert billing.earnings_release_due(now=later) == 0
    held.refresh_from_db()
    assert held.status == ExpertEarning.Status.AVAILABLE


def test_release_task_calls_the_service(expert, org):
    held = _earn(expert, org, 5000, "held", rated=False)
    ExpertEarning.objects.filter(pk=held.pk).update(available_at=timezone.now())
    assert earnings_release_task() == 1


def test_summary_totals_and_twelve_month_series(expert, org):
    now = MARCH
    for key, gross, rated, months_ago in [
        ("a", 5000, True, 0),
        ("b", 3000, False, 0),
        ("c", 10000, True, 2),
        ("d", 10000, True, 13),  # outside the chart, inside the totals
    ]:
        earning = _earn(expert, org, gross, key, rated=rated)
        ExpertEarning.objects.filter(pk=earning.pk).update(
            created_at=now - timedelta(days=31 * months_ago)
        )
    ExpertEarning.objects.filter(idempotency_key="c").update(status=ExpertEarning.Status.PAID)
    summary = billing.expert_earnings_summary(expert=expert, now=now)
    assert (summary.available_cents, summary.pending_cents, summary.paid_cents) == (
        12000,
        2400,
        8000,
    )
    assert summary.lifetime_cents == 22400
    assert summary.count == 4
    assert [m.period for m in summary.months][0] == "2024-04"
    assert [m.period for m in summary.months][-1] == "2025-03"
    by_month = {m.period: m.net_cents for m in summary.months}
    assert by_month["2025-03"] == 4000 + 2400
    assert by_month["2025-01"] == 8000
    assert sum(by_month.values()) == 4000 + 2400 + 8000


# ---------------------------------------------------------------- payouts


def _earn_in(expert, org, gross, key, when=MARCH):
    earning = _earn(expert, org, gross, key)
    ExpertEarning.objects.filter(pk=earning.pk).update(created_at=when)
    return earning


def test_payout_batches_available_earnings_above_the_minimum(expert, org, make_user):
    small = make_user(email="small@experts.test")
    _earn_in(expert, org, 5000, "a")  # net 4000
    _earn_in(expert, org, 2500, "b")  # net 2000
    _earn_in(small, org, 5000, "c")  # net 4000: below the 5000 minimum, waits
    held = _earn(expert, org, 5000, "held", rated=False)
    ExpertEarning.objects.filter(pk=held.pk).update(created_at=MARCH)
    _earn_in(expert, org, 5000, "april", when=datetime(2025, 4, 2, tzinfo=UTC))

    payouts = billing.payouts_create(period="2025-03", minimum_cents=5000)

    assert len(payouts) == 1
    payout = payouts[0]
    assert (payout.expert_id, payout.period, payout.amount_cents) == (expert.pk, "2025-03", 6000)
    assert payout.status == Payout.Status.PENDING  # no Stripe here: staff settle it
    assert set(payout.earnings.values_list("idempotency_key", flat=True)) == {"a", "b"}
    assert ExpertEarning.objects.get(idempotency_key="c").payout is None
    assert AuditLogEntry.objects.filter(action="payout.created").count() == 1


def test_payout_minimum_defaults_to_the_setting(expert, org, settings):
    settings.PAYOUT_MINIMUM_CENTS = 100_000
    _earn_in(expert, org, 50000, "a")
    assert billing.payouts_create(period="2025-03") == []
    settings.PAYOUT_MINIMUM_CENTS = 5000
    assert len(billing.payouts_create(period="2025-03")) == 1


def test_rerun_for_the_same_period_creates_nothing(expert, org):
    _earn_in(expert, org, 10000, "a")
    assert len(billing.payouts_create(period="2025-03")) == 1
    _earn_in(expert, org, 10000, "late")  # credited after the run, dated in March
    assert billing.payouts_create(period="2025-03") == []
    assert Payout.objects.count() == 1
    # The late earning rolls into the next month's payout.
    assert ExpertEarning.objects.get(idempotency_key="late").payout is None
    april = billing.payouts_create(period="2025-04")
    assert [p.amount_cents for p in april] == [8000]


def test_invalid_period_is_refused():
    # The same error as every other billing period a user types (rating, invoicing, the API).
    with pytest.raises(ValidationError, match="YYYY-MM"):
        billing.payouts_create(period="2025-13")


def test_monthly_task_pays_out_the_previous_month(expert, org):
    _earn_in(expert, org, 10000, "a", when=timezone.now() - timedelta(days=40))
    ids = payouts_monthly_task()
    assert Payout.objects.get(pk__in=ids).period == previous_period()


def test_localstripe_has_no_transfers(stripe_settings, localstripe_url):
    """Why the Connect transfer below is checked against a mock: the local Stripe server
    implements no Transfers resource. If this starts failing, move that test to localstripe."""
    response = requests.get(f"{localstripe_url}/v1/transfers", auth=("sk_test_x", ""), timeout=5)
    assert response.status_code == 404


def _fake_gateway(transfer_id="tr_123", error=None):
    # A mock of the gateway for the transfer call ONLY: localstripe lacks Transfers (see
    # test_localstripe_has_no_transfers). Everything else in these tests is real.
    client = mock.MagicMock()
    if error is not None:
        client.v1.transfers.create.side_effect = error
    else:
        client.v1.transfers.create.return_value = mock.Mock(id=transfer_id)
    return mock.patch("billing.stripe_gateway.client", return_value=client), client


def test_production_pays_connected_experts_by_stripe_transfer(expert, org, make_user, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_expertdesk"  # noqa: S105 - Stripe counts as configured
    billing.payout_account_connect(user=expert, stripe_account_id="acct_1Nv0FGQ9RKHgCVdK")
    unconnected = make_user(email="nobank@experts.test")
    _earn_in(expert, org, 10000, "a")
    _earn_in(unconnected, org, 10000, "b")
    patcher, client = _fake_gateway()
    with patcher:
        payouts = billing.payouts_create(period="2025-03")
    client.v1.transfers.create.assert_called_once_with(
        params={
            "amount": 8000,
            "currency": "usd",
            "destination": "acct_1Nv0FGQ9RKHgCVdK",
            "transfer_group": "payout:2025-03",
            "metadata": {"payout_id": mock.ANY, "period": "2025-03"},
        },
        options={"idempotency_key": f"payout:{expert.pk}:2025-03"},
    )
    by_expert = {p.expert_id: p for p in payouts}
    paid = by_expert[expert.pk]
    assert (paid.status, paid.stripe_transfer_id) == (Payout.Status.PAID, "tr_123")
    assert paid.paid_at is not None
    assert ExpertEarning.objects.get(idempotency_key="a").status == ExpertEarning.Status.PAID
    # No connected account: left for staff, earnings still available (batched).
    assert by_expert[unconnected.pk].status == Payout.Status.PENDING
    assert ExpertEarning.objects.get(idempotency_key="b").status == ExpertEarning.Status.AVAILABLE


def test_without_stripe_a_connected_experts_payout_waits_for_staff(expert, org, settings):
    settings.STRIPE_SECRET_KEY = ""
    billing.payout_account_connect(user=expert, stripe_account_id="acct_1Nv0FGQ9RKHgCVdK")
    _earn_in(expert, org, 10000, "a")
    [payout] = billing.payouts_create(period="2025-03")
    assert (payout.status, payout.stripe_transfer_id) == (Payout.Status.PENDING, "")
    assert ExpertEarning.objects.get(idempotency_key="a").status == ExpertEarning.Status.AVAILABLE


def test_failed_transfer_stays_pending_and_a_rerun_retries_with_the_same_key(expert, org, settings):
    import stripe

    settings.STRIPE_SECRET_KEY = "sk_test_expertdesk"  # noqa: S105
    billing.payout_account_connect(user=expert, stripe_account_id="acct_1Nv0FGQ9RKHgCVdK")
    _earn_in(expert, org, 10000, "a")
    patcher, _ = _fake_gateway(error=stripe.APIConnectionError("down"))
    with patcher:
        [payout] = billing.payouts_create(period="2025-03")
    assert payout.status == Payout.Status.PENDING
    patcher, client = _fake_gateway(transfer_id="tr_retry")
    with patcher:
        assert billing.payouts_create(period="2025-03") == []
    assert client.v1.transfers.create.call_args.kwargs["options"] == {
        "idempotency_key": f"payout:{expert.pk}:2025-03"
    }
    payout.refresh_from_db()
    assert (payout.status, payout.stripe_transfer_id) == (Payout.Status.PAID, "tr_retry")


def test_staff_mark_a_payout_paid(expert, org, staff):
    _earn_in(expert, org, 10000, "a")
    [payout] = billing.payouts_create(period="2025-03")
    with pytest.raises(PermissionDenied):
        billing.payout_mark_paid(payout=payout, actor=expert)
    assert ExpertEarning.objects.get(idempotency_key="a").status == ExpertEarning.Status.AVAILABLE
    billing.payout_mark_paid(payout=payout, actor=staff)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert payout.paid_at is not None
    assert ExpertEarning.objects.get(idempotency_key="a").status == ExpertEarning.Status.PAID
    assert AuditLogEntry.objects.filter(action="payout.marked_paid", actor=staff).exists()


def test_admin_action_marks_selected_payouts_paid(expert, org, staff, login):
    _earn_in(expert, org, 10000, "a")
    [payout] = billing.payouts_create(period="2025-03")
    client = login(staff)
    changelist = reverse("admin:billing_payout_changelist")
    assert client.get(changelist).status_code == 200
    response = client.post(
        changelist, {"action": "mark_paid", "_selected_action": [payout.pk]}, follow=True
    )
    assert "1 payout(s) marked paid." in response.content.decode()
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID


@pytest.mark.parametrize(
    "model",
    ["plan", "billingaccount", "usagerecord", "invoiceitem", "invoice", "stripeevent"]
    + ["expertearning", "expertpayoutaccount"],
)
def test_admin_lists_render(staff, login, model):
    assert login(staff).get(reverse(f"admin:billing_{model}_changelist")).status_code == 200


# ---------------------------------------------------------------- payout account


@pytest.mark.parametrize("bad", ["", "acct_", "cus_123456789", "acct_12 34567", "acct_12345;"])
def test_payout_account_needs_an_acct_id(expert, bad):
    with pytest.raises(ValidationError) as exc:
        billing.payout_account_connect(user=expert, stripe_account_id=bad)
    assert "acct_" in str(exc.value.message_dict["stripe_account_id"])


def test_payout_account_is_stored_and_replaced(expert):
    billing.payout_account_connect(user=expert, stripe_account_id=" acct_1Nv0FGQ9RKHgCVdK ")
    billing.payout_account_connect(user=expert, stripe_account_id="acct_2Other12345")
    assert ExpertPayoutAccount.objects.get(user=expert).stripe_account_id == "acct_2Other12345"


# ---------------------------------------------------------------- the page


URL = "/billing/earnings/"


def test_new_expert_sees_the_empty_state(expert, login):
    html = login(expert).get(URL).content.decode()
    assert 'data-testid="earnings-empty"' in html
    assert 'data-testid="total-available">$0.00<' in html
    assert "earnings-chart" not in html


def test_page_shows_totals_chart_history_and_payouts(expert, org, login, make_user):
    other = make_user(email="other@experts.test")
    _earn(other, org, 99900, "someone-else")
    _earn(expert, org, 4999, "a", ticket_id=41)
    _earn(expert, org, 5000, "b", ticket_id=42, rated=False)
    Payout.objects.create(expert=expert, period="2025-02", amount_cents=12345)
    html = login(expert).get(URL).content.decode()
    assert 'data-testid="total-available">$39.99<' in html
    assert 'data-testid="total-pending">$40.00<' in html
    assert "#41" in html and "−$10.00" in html
    assert "$999" not in html  # another expert's earnings stay theirs
    assert html.count('data-testid="earning-row"') == 2
    assert 'class="chart earnings-chart"' in html
    assert "$123.45" in html


def test_history_is_paginated(expert, org, login):
    for i in range(25):
        _earn(expert, org, 1000, f"k{i}")
    client = login(expert)
    assert client.get(URL).content.decode().count('data-testid="earning-row"') == 20
    second = client.get(URL + "?page=2").content.decode()
    assert second.count('data-testid="earning-row"') == 5


def test_payout_account_form_errors_and_saves(expert, login):
    client = login(expert)
    response = client.post(URL, {"stripe_account_id": "cus_nope"})
    assert response.status_code == 400
    assert "starts with “acct_”" in response.content.decode()
    response = client.post(URL, {"stripe_account_id": "acct_1Nv0FGQ9RKHgCVdK"})
    assert response.status_code == 302
    assert ExpertPayoutAccount.objects.get(user=expert).stripe_account_id == "acct_1Nv0FGQ9RKHgCVdK"
    assert "acct_1Nv0FGQ9RKHgCVdK" in client.get(URL).content.decode()
