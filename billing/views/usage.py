"""Usage and invoices pages (owners and admins): this period so far, the spend cap, and the
invoices Stripe issued. Thin: scope through the tenancy mixin, call a service, render."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from accounts.tenancy import ManagerRequiredMixin, request_user

from .. import selectors, stripe_gateway
from ..charts import usage as charts
from ..models import BillingAccount
from ..services.holds import held_cents
from ..services.periods import current_period
from ..services.rating import rate_period
from ..services.usage import spend_cap_set

INVOICES_PER_PAGE = 20
POLL_SECONDS = 30


class SpendCapForm(forms.Form):
    cap = forms.DecimalField(
        label="Spend cap per month (USD)",
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("1000000"),
        max_digits=9,
        decimal_places=2,
        help_text="Leave empty for no cap. Covers overage and expert answers, not the plan.",
    )

    def cap_cents(self) -> int | None:
        cap = self.cleaned_data["cap"]
        return None if cap is None else int(cap * 100)


def _cap_initial(cap_cents: int | None) -> dict[str, Any]:
    return {"cap": None if cap_cents is None else Decimal(cap_cents) / 100}


class UsageView(ManagerRequiredMixin, View):
    template_name = "billing/usage/usage.html"
    partial_name = "billing/usage/_period.html"

    def context(self, form: SpendCapForm | None = None) -> dict[str, Any]:
        org = self.organization
        rating = rate_period(organization=org, period=current_period())
        account = self.scoped(BillingAccount.objects.all()).first()
        cap = account.spend_cap_cents if account is not None else None
        held = held_cents(org)
        quota = rating.included_ai_answers
        return {
            "rating": rating,
            "has_usage": any(rating.quantities.values()),
            "quota_percent": min(100, round(100 * rating.included_used / quota)) if quota else 0,
            "chart": charts.usage_by_day(rating.by_day, title="Usage by day this period"),
            "legend": charts.legend(),
            "cap_cents": cap,
            "cap_percent": min(100, round(100 * (rating.usage_cents + held) / cap)) if cap else 0,
            "held_cents": held,
            "form": form or SpendCapForm(initial=_cap_initial(cap)),
            "poll_seconds": POLL_SECONDS,
            "stripe_configured": stripe_gateway.configured(),
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        # htmx polls for the live numbers; it gets only the part that changes.
        name = self.partial_name if request.headers.get("HX-Request") else self.template_name
        return render(request, name, self.context())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SpendCapForm(request.POST)
        if form.is_valid():
            try:
                spend_cap_set(
                    organization=self.organization,
                    actor=request_user(request),
                    cap_cents=form.cap_cents(),
                )
            except ValidationError as exc:
                form.add_error("cap", exc)
            else:
                cents = form.cap_cents()
                messages.success(
                    request,
                    "Spend cap removed."
                    if cents is None
                    else f"Spend cap set to ${cents // 100:,}.{cents % 100:02d} per month.",
                )
                return redirect("billing_usage")
        return render(request, self.template_name, self.context(form), status=400)


class InvoiceListView(ManagerRequiredMixin, View):
    template_name = "billing/usage/invoices.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        invoices = self.scoped(selectors.invoices_listed())
        page = Paginator(invoices, INVOICES_PER_PAGE).get_page(request.GET.get("page"))
        return render(request, self.template_name, {"page": page})
