"""The money of dispute decisions against a real local Stripe server (localstripe): a credit is
one negative invoice item, taken off the next invoice; deciding twice sends nothing twice; a
crash between storing and sending (or after sending, before the id was saved) is repaired by
the sweep without a duplicate; a credit waits for a Stripe customer. Reversals: the expert's
share rounds half-up; a refund after the payout is a balance carried into the next payout,
which is smaller by it; a balance larger than the next earnings means no payout (never a
negative one) and the rest carries on; the transfer is the payout's amount."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
import time_machine

from billing import services as billing
from billing import stripe_gateway
from billing.models import BillingAccount, ExpertEarning, LedgerEntry, Payout, Plan
from billing.services import ledger as ledger_module
from billing.tasks.ledger import customer_credits_sync_task
from solutions.services.disputes import dispute_decide, dispute_open
from tests.disputes_world import NET, PRICE, accepted, make_world

pytestmark = pytest.mark.django_db

REASON = "The answer restarts the wrong service; the VPN still drops."


@pytest.fixture
def world():
    return make_world()


def _customer(org) -> str:
    customer = stripe_gateway.client().v1.customers.create(params={"email": "billing@acme.test"})
    account = billing.billing_account_for(org)
    BillingAccount.objects.filter(pk=account.pk).update(stripe_customer_id=customer.id)
    return str(customer.id)


def _dispute(world):
    ticket, answer = accepted(world)
    return dispute_open(ticket=ticket, actor=world.agent, answer_id=answer.pk, reason=REASON)


def _decide(world, dispute, outcome="refund", **kwargs):
    return dispute_decide(dispute_id=dispute.pk, actor=world.staff, outcome=outcome, **kwargs)


def _items(customer: str) -> list[tuple[str, int]]:
    """The customer's pending invoice items at Stripe that carry one of our keys."""
    listed = stripe_gateway.client().v1.invoice_items.list(params={"customer": customer})
    return [
        (str(i.metadata["idempotency_key"]), int(i.amount))
        for i in listed.data
        if i.metadata and "idempotency_key" in i.metadata
    ]


def _credit() -> LedgerEntry:
    return LedgerEntry.objects.get(kind=LedgerEntry.Kind.CUSTOMER_CREDIT)


# ---------------------------------------------------------------- credits at Stripe


def test_a_refund_is_one_negative_invoice_item_even_when_decided_twice(
    world, stripe_settings, django_capture_on_commit_callbacks
):
    customer = _customer(world.org)
    dispute = _dispute(world)
    with django_capture_on_commit_callbacks(execute=True):
        _decide(world, dispute)
    key = f"dispute:{dispute.pk}:customer_credit"
    assert _items(customer) == [(key, -PRICE)]
    credit = _credit()
    assert credit.status == LedgerEntry.Status.SETTLED and credit.stripe_invoice_item_id
    with django_capture_on_commit_callbacks(execute=True):
        _decide(world, dispute, "split", refund_cents=100)
    assert billing.customer_credits_sync() == 0
    assert _items(customer) == [(key, -PRICE)]
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CUSTOMER_CREDIT).count() == 1


def test_the_next_invoice_is_lower_by_the_credit(
    world, stripe_settings, django_capture_on_commit_callbacks
):
    """The answer is charged in March, refunded in March; closing March invoices the plan and
    the charge, less the credit."""
    customer = _customer(world.org)
    gateway = stripe_gateway.client().v1
    # localstripe invoices only customers with a subscription (tests/billing/test_invoicing.py).
    pm = gateway.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    gateway.payment_methods.attach(pm.id, params={"customer": customer})
    gateway.customers.update(
        customer, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    product = gateway.products.create(params={"name": "Starter"})
    gateway.plans.create(
        params={
            "id": "starter-dispute",
            "product": product.id,
            "amount": 4900,
            "currency": "usd",
            "interval": "month",
        }
    )
    gateway.subscriptions.create(
        params={"customer": customer, "items": [{"plan": "starter-dispute"}]}
    )
    BillingAccount.objects.filter(organization=world.org).update(
        plan=Plan.objects.get(code="starter")
    )
    with time_machine.travel(datetime(2025, 3, 10, 12, tzinfo=UTC), tick=False):
        dispute = _dispute(world)
        with django_capture_on_commit_callbacks(execute=True):
            _decide(world, dispute, "split", refund_cents=3000)
    result = billing.period_close(organization=world.org, period="2025-03")
    assert result.invoice is not None, result.invoice_pending
    lines = gateway.invoices.retrieve(result.invoice.stripe_invoice_id).lines.data
    amounts = sorted(line.amount for line in lines)
    assert amounts == [-3000, 4900, PRICE]
    assert result.invoice.amount_due_cents == 4900 + PRICE - 3000


def test_a_crash_between_storing_and_sending_is_repaired_by_the_sweep(
    world, stripe_settings, django_capture_on_commit_callbacks, monkeypatch
):
    customer = _customer(world.org)
    dispute = _dispute(world)

    def crash(entry, customer):
        raise RuntimeError("the worker died before Stripe was called")

    monkeypatch.setattr(ledger_module, "_send_credit", crash)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        _decide(world, dispute)
    # The decision and its rows are committed; only the send is missing.
    credit = _credit()
    assert (credit.status, credit.stripe_invoice_item_id) == (LedgerEntry.Status.PENDING, "")
    assert _items(customer) == []
    monkeypatch.undo()
    assert customer_credits_sync_task() == 1
    assert customer_credits_sync_task() == 0
    assert _items(customer) == [(f"dispute:{dispute.pk}:customer_credit", -PRICE)]
    assert _credit().status == LedgerEntry.Status.SETTLED


def test_a_crash_after_stripe_created_the_item_makes_no_duplicate(
    world, stripe_settings, django_capture_on_commit_callbacks, monkeypatch
):
    customer = _customer(world.org)
    dispute = _dispute(world)
    real_send = ledger_module._send_credit

    def send_then_crash(entry, customer):
        real_send(entry, customer)
        raise RuntimeError("died before the Stripe id was saved")

    monkeypatch.setattr(ledger_module, "_send_credit", send_then_crash)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        _decide(world, dispute)
    assert _credit().stripe_invoice_item_id == ""
    monkeypatch.undo()
    assert billing.customer_credits_sync() == 1  # found at Stripe by its key, not created
    assert len(_items(customer)) == 1


def test_without_a_customer_the_credit_waits_then_the_sweep_sends_it(
    world, stripe_settings, django_capture_on_commit_callbacks
):
    dispute = _dispute(world)
    with django_capture_on_commit_callbacks(execute=True):
        _decide(world, dispute)
    assert _credit().status == LedgerEntry.Status.PENDING
    assert billing.customer_credits_sync() == 0
    customer = _customer(world.org)
    assert billing.customer_credits_sync() == 1
    assert _items(customer) == [(f"dispute:{dispute.pk}:customer_credit", -PRICE)]


def test_without_stripe_the_credit_stays_pending(world, settings):
    settings.STRIPE_SECRET_KEY = ""
    _decide(world, _dispute(world))
    assert billing.customer_credits_sync() == 0
    assert _credit().status == LedgerEntry.Status.PENDING


# ---------------------------------------------------------------- reversals and payouts


@pytest.mark.parametrize(
    ("net", "refund", "charged", "share"),
    [
        (6400, 8000, 8000, 6400),  # a full refund reverses all of the pay
        (6400, 3000, 8000, 2400),
        (5, 1, 2, 3),  # 2.5 → 3: half-up
        (3999, 1234, 4999, 987),  # 987.15 → 987
        (3999, 1, 4999, 1),  # 0.8 → 1
        (10, 1, 40, 0),  # 0.25 → 0: nothing to take back
    ],
)
def test_the_experts_share_rounds_half_up(net, refund, charged, share):
    assert billing.reversal_cents(net_cents=net, refund_cents=refund, charged_cents=charged) == (
        share
    )


def test_a_refund_after_payout_is_carried_and_the_next_payout_is_lower(world, settings):
    settings.PAYOUT_MINIMUM_CENTS = 5000
    with time_machine.travel(datetime(2025, 3, 28, 12, tzinfo=UTC), tick=False):
        ticket, answer = accepted(world)
    with time_machine.travel(datetime(2025, 4, 1, 4, tzinfo=UTC), tick=False):
        [march] = billing.payouts_create(period="2025-03")
        billing.payout_mark_paid(payout=march, actor=world.staff)
    assert march.amount_cents == NET
    with time_machine.travel(datetime(2025, 4, 2, 9, tzinfo=UTC), tick=False):
        dispute = dispute_open(ticket=ticket, actor=world.agent, answer_id=answer.pk, reason=REASON)
        _decide(world, dispute)
    reversal = LedgerEntry.objects.get(kind=LedgerEntry.Kind.EXPERT_REVERSAL)
    assert (reversal.amount_cents, reversal.status, reversal.payout) == (
        -NET,
        LedgerEntry.Status.PENDING,
        None,
    )
    earning = ExpertEarning.objects.get(ticket_id=ticket.pk)
    assert earning.status == ExpertEarning.Status.PAID  # paid stays paid: it is carried
    summary = billing.expert_earnings_summary(expert=world.expert)
    assert (summary.carried_cents, summary.next_payout_cents) == (NET, 0)
    with time_machine.travel(datetime(2025, 4, 10, 12, tzinfo=UTC), tick=False):
        accepted(world, title="Printer of Zoltan Quetzal jams")
        accepted(world, title="Laptop of Zoltan Quetzal is dead")
    with time_machine.travel(datetime(2025, 5, 1, 4, tzinfo=UTC), tick=False):
        [april] = billing.payouts_create(period="2025-04")
    assert april.amount_cents == 2 * NET - NET
    reversal.refresh_from_db()
    assert (reversal.status, reversal.payout) == (LedgerEntry.Status.SETTLED, april)
    assert billing.expert_carried_cents(expert_id=world.expert.pk) == 0
    assert april.earnings.count() == 2


def test_a_balance_larger_than_the_next_earnings_means_no_payout_and_carries_on(world, settings):
    settings.PAYOUT_MINIMUM_CENTS = 0  # even without a minimum, never a zero or negative payout
    with time_machine.travel(datetime(2025, 3, 28, 12, tzinfo=UTC), tick=False):
        ticket, answer = accepted(world)
    with time_machine.travel(datetime(2025, 4, 1, 4, tzinfo=UTC), tick=False):
        billing.payouts_create(period="2025-03")
    with time_machine.travel(datetime(2025, 4, 2, 9, tzinfo=UTC), tick=False):
        _decide(
            world,
            dispute_open(ticket=ticket, actor=world.agent, answer_id=answer.pk, reason=REASON),
        )
    with time_machine.travel(datetime(2025, 4, 10, 12, tzinfo=UTC), tick=False):
        accepted(world, title="Printer of Zoltan Quetzal jams", price=4000)  # net 3 200
    with time_machine.travel(datetime(2025, 5, 1, 4, tzinfo=UTC), tick=False):
        assert billing.payouts_create(period="2025-04") == []
    assert not Payout.objects.filter(period="2025-04").exists()
    assert billing.expert_carried_cents(expert_id=world.expert.pk) == NET
    small = ExpertEarning.objects.get(net_cents=3200)
    assert (small.status, small.payout) == (ExpertEarning.Status.AVAILABLE, None)
    summary = billing.expert_earnings_summary(expert=world.expert)
    assert (summary.unbatched_cents, summary.carried_cents, summary.next_payout_cents) == (
        3200,
        NET,
        0,
    )
    # May's answers bring the balance above zero: one payout nets everything carried.
    with time_machine.travel(datetime(2025, 5, 10, 12, tzinfo=UTC), tick=False):
        accepted(world, title="Laptop of Zoltan Quetzal is dead")
    with time_machine.travel(datetime(2025, 6, 1, 4, tzinfo=UTC), tick=False):
        [may] = billing.payouts_create(period="2025-05")
    assert may.amount_cents == 3200 + NET - NET
    assert LedgerEntry.objects.get(kind=LedgerEntry.Kind.EXPERT_REVERSAL).payout == may


def test_the_transfer_is_the_netted_payout_amount(world, settings):
    """localstripe has no Transfers (tests/billing/test_earnings.py): the transfer call alone
    is checked against a mock."""
    with time_machine.travel(datetime(2025, 3, 10, 12, tzinfo=UTC), tick=False):
        ticket, answer = accepted(world)
        accepted(world, title="Printer of Zoltan Quetzal jams")
        _decide(
            world,
            dispute_open(ticket=ticket, actor=world.agent, answer_id=answer.pk, reason=REASON),
            "split",
            refund_cents=2000,
        )
    settings.STRIPE_SECRET_KEY = "sk_test_expertdesk"  # noqa: S105
    billing.payout_account_connect(user=world.expert, stripe_account_id="acct_1Nv0FGQ9RKHgCVdK")
    client = mock.MagicMock()
    client.v1.transfers.create.return_value = mock.Mock(id="tr_net")
    with mock.patch("billing.stripe_gateway.client", return_value=client):
        [payout] = billing.payouts_create(period="2025-03")
    assert payout.amount_cents == 2 * NET - 1600
    assert client.v1.transfers.create.call_args.kwargs["params"]["amount"] == payout.amount_cents
    assert payout.status == Payout.Status.PAID


def test_a_disputed_earning_is_not_batched_until_decided(world):
    with time_machine.travel(datetime(2025, 3, 10, 12, tzinfo=UTC), tick=False):
        dispute = _dispute(world)
    assert billing.payouts_create(period="2025-03", minimum_cents=0) == []
    _decide(world, dispute, "uphold")
    [payout] = billing.payouts_create(period="2025-03", minimum_cents=0)
    assert payout.amount_cents == NET


def test_the_earnings_page_shows_reversals_and_the_carried_balance(world, login):
    ticket, answer = accepted(world)
    [payout] = billing.payouts_create(period=billing.current_period(), minimum_cents=0)
    billing.payout_mark_paid(payout=payout, actor=world.staff)
    _decide(
        world,
        dispute_open(ticket=ticket, actor=world.agent, answer_id=answer.pk, reason=REASON),
    )
    page = login(world.expert).get("/billing/earnings/").content.decode()
    assert 'data-testid="carried-balance"' in page and "$64.00" in page
    assert page.count('data-testid="reversal-row"') == 1
