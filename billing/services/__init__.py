"""Billing's public service functions, by domain: `pricing` (plan prices and SLAs), `usage`
(the ledger). Other apps import from here: `from billing import services as billing`."""

from .pricing import (
    expert_answer_price_cents,
    plan_of,
    plan_sla_calendar,
    plans_of,
    sla_calendar,
    sla_calendar_own,
    sla_calendar_set,
    sla_due_at,
    sla_hours,
    sla_terms,
)
from .usage import api_call_record, usage_record

__all__ = [
    "api_call_record",
    "expert_answer_price_cents",
    "plan_of",
    "plan_sla_calendar",
    "plans_of",
    "sla_calendar",
    "sla_calendar_own",
    "sla_calendar_set",
    "sla_due_at",
    "sla_hours",
    "sla_terms",
    "usage_record",
]

# Experts' earnings ledger and payouts (earnings.py).
from .earnings import (  # noqa: E402
    EarningsSummary,
    earnings_release_due,
    expert_earning_record,
    expert_earnings_summary,
    payout_account_connect,
    payout_mark_paid,
    payouts_create,
)

__all__ += [
    "EarningsSummary",
    "earnings_release_due",
    "expert_earning_record",
    "expert_earnings_summary",
    "payout_account_connect",
    "payout_mark_paid",
    "payouts_create",
]

# Subscriptions: Stripe customer, card, plan changes, and the access rules (subscriptions.py).
from .subscriptions import (  # noqa: E402
    Access,
    BillingError,
    billing_account_for,
    customer_ensure,
    organization_access,
    plans_sync_to_stripe,
    setup_intent_create,
    subscription_cancel_at_period_end,
    subscription_change_plan,
    subscription_resume,
    subscription_start,
    subscription_sync,
)

__all__ += [
    "Access",
    "BillingError",
    "billing_account_for",
    "customer_ensure",
    "organization_access",
    "plans_sync_to_stripe",
    "setup_intent_create",
    "subscription_cancel_at_period_end",
    "subscription_change_plan",
    "subscription_resume",
    "subscription_start",
    "subscription_sync",
]

# Usage rating, the spend cap and closing a period (rating.py, usage.py, invoicing.py).
from .invoicing import CloseResult, invoices_sync, period_close, period_close_all  # noqa: E402
from .periods import current_period, period_bounds  # noqa: E402
from .rating import PeriodRating, rate_period  # noqa: E402
from .usage import SpendCapExceeded, spend_cap_set  # noqa: E402

__all__ += [
    "CloseResult",
    "PeriodRating",
    "SpendCapExceeded",
    "current_period",
    "invoices_sync",
    "period_bounds",
    "period_close",
    "period_close_all",
    "rate_period",
    "spend_cap_set",
]

# Spend holds: escalated tickets' prices reserved against the cap, and experts' net pay.
from .holds import (  # noqa: E402
    CapStatus,
    Charge,
    ExpertPay,
    commission_bps_of,
    expert_pay,
    held_cents,
    spend_cap_status,
    spend_hold_charge,
    spend_hold_of,
    spend_hold_place,
    spend_hold_release,
)

__all__ += [
    "CapStatus",
    "Charge",
    "ExpertPay",
    "commission_bps_of",
    "expert_pay",
    "held_cents",
    "spend_hold_charge",
    "spend_hold_of",
    "spend_hold_place",
    "spend_hold_release",
    "spend_cap_status",
]

# Disputes' money: credits to customers (negative Stripe invoice items) and reversals of
# experts' earnings, settled or carried into the next payout (ledger.py).
from .ledger import (  # noqa: E402
    CauseRows,
    customer_credit_record,
    customer_credit_send,
    customer_credits_sync,
    expert_carried_cents,
    expert_earning_hold,
    expert_earning_of,
    expert_reversal_record,
    expert_reversals,
    ledger_entries_for,
    ledger_rows_for,
    reversal_cents,
)

__all__ += [
    "CauseRows",
    "customer_credit_record",
    "customer_credit_send",
    "customer_credits_sync",
    "expert_carried_cents",
    "expert_earning_hold",
    "expert_earning_of",
    "expert_reversal_record",
    "expert_reversals",
    "ledger_entries_for",
    "ledger_rows_for",
    "reversal_cents",
]
