"""Plans, each organization's billing account and plan history, the usage ledger, Stripe's
events, invoice items and invoices, and experts' earnings and payouts: a module per domain,
every model re-exported here (the app label and the migrations are unchanged).

Money is an integer count of the currency's minor unit (cents), never a float."""

from .earnings import ExpertEarning, ExpertPayoutAccount, Payout
from .invoicing import Invoice, InvoiceItem
from .ledger import LedgerEntry
from .subscriptions import PRIORITIES, BillingAccount, Plan, PlanChange, StripeEvent
from .usage import SpendHold, UsageRecord

__all__ = [
    "BillingAccount",
    "ExpertEarning",
    "ExpertPayoutAccount",
    "Invoice",
    "InvoiceItem",
    "LedgerEntry",
    "PRIORITIES",
    "Payout",
    "Plan",
    "PlanChange",
    "SpendHold",
    "StripeEvent",
    "UsageRecord",
]
