"""The expert's earnings page: totals, the monthly chart, the ledger, payouts and the payout
account. Thin: read through the earnings service, write through `payout_account_connect`.

Billing does not import the solutions app: "is an expert" is the reverse accessor
`user.expert_profile` that solutions' ExpertProfile adds to the user."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from accounts.tenancy import ExpertRequiredMixin, request_user
from common.forms import form_add_service_errors

from .. import selectors
from ..charts.earnings import monthly_earnings_chart
from ..models import ExpertPayoutAccount
from ..services import earnings as services
from ..services import ledger

PAGE_SIZE = 20
PAYOUTS_SHOWN = 12


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def percent(bps: int) -> str:
    """Basis points as a percent: 2000 → "20%", 1250 → "12.5%"."""
    return f"{bps / 100:.2f}".rstrip("0").rstrip(".") + "%"


class PayoutAccountForm(forms.Form):
    stripe_account_id = forms.CharField(
        label="Stripe Connect account id",
        max_length=100,
        strip=True,
        error_messages={"required": "Enter your Stripe Connect account id (acct_…)."},
        widget=forms.TextInput(attrs={"placeholder": "acct_…"}),
    )


class ExpertEarningsView(ExpertRequiredMixin, View):
    template_name = "billing/earnings/page.html"

    def context(self, form: PayoutAccountForm) -> dict[str, Any]:
        user = request_user(self.request)
        summary = services.expert_earnings_summary(expert=user)
        page = Paginator(selectors.expert_earnings_listed(user), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        rows = [
            {
                "earning": e,
                "gross": money(e.gross_cents),
                "commission": money(e.commission_cents),
                "net": money(e.net_cents),
            }
            for e in page.object_list
        ]
        payouts = [
            {"payout": p, "amount": money(p.amount_cents)}
            for p in selectors.expert_payouts_recent(user, limit=PAYOUTS_SHOWN)
        ]
        return {
            "summary": summary,
            "totals": {
                "pending": money(summary.pending_cents),
                "available": money(summary.available_cents),
                "paid": money(summary.paid_cents),
                "lifetime": money(summary.lifetime_cents),
            },
            "chart": monthly_earnings_chart(
                summary.months, title="Net earnings per month, last 12 months"
            ),
            "page": page,
            "rows": rows,
            "payouts": payouts,
            "account": ExpertPayoutAccount.objects.filter(user=user).first(),
            "form": form,
            "minimum": money(services.payout_minimum_cents()),
            "hold_days": services.hold_days(),
            # Disputes: what was taken back, and the balance carried into the next payout.
            "reversals": [
                {"entry": r, "amount": money(-r.amount_cents)}
                for r in ledger.expert_reversals(expert=user)[:PAGE_SIZE]
            ],
            "carried": money(summary.carried_cents),
            "next_payout": money(summary.next_payout_cents),
            "on_hold": money(summary.on_hold_cents),
            # The commission tiers: where the expert stands per skill (solutions, through the
            # expert side's registry) and what each plan charges at either tier.
            "standing": self.expert_standing(),
            "tiers": [
                {
                    "plan": plan.name,
                    "standard": percent(plan.commission_bps),
                    "reliable": percent(plan.reliable_commission_bps)
                    if plan.reliable_commission_bps is not None
                    else None,
                }
                for plan in selectors.plans_commission_tiers()
            ],
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        account = ExpertPayoutAccount.objects.filter(user=request_user(request)).first()
        initial = {"stripe_account_id": account.stripe_account_id} if account else {}
        return render(request, self.template_name, self.context(PayoutAccountForm(initial=initial)))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PayoutAccountForm(request.POST)
        if form.is_valid():
            try:
                services.payout_account_connect(
                    user=request_user(request),
                    stripe_account_id=form.cleaned_data["stripe_account_id"],
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc, default_field="stripe_account_id")
            else:
                messages.success(request, "Payout account saved.")
                return redirect("expert_earnings")
        return render(request, self.template_name, self.context(form), status=400)
