"""Billing's public service functions, by domain: `pricing` (plan prices and SLAs), `usage`
(the ledger). Other apps import from here: `from billing import services as billing`."""

from .pricing import expert_answer_price_cents, plan_of, sla_hours
from .usage import usage_record

__all__ = ["expert_answer_price_cents", "plan_of", "sla_hours", "usage_record"]
