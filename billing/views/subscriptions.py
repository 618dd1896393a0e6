"""The billing page (plan, card, changes) and Stripe's webhook endpoint. Thin: parse, check
the role, call a service, flash what happened. A Stripe failure is a flash message, never a
500."""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from accounts.tenancy import ManagerRequiredMixin, request_user

from .. import stripe_gateway
from ..models import BillingAccount, Plan
from ..services import subscriptions as subs
from ..stripe_webhooks import InvalidSignature, MalformedEvent, event_receive, event_verify

logger = logging.getLogger(__name__)

PRIORITY_ORDER = ("critical", "high", "medium", "low")


def _money(cents: int, currency: str = "usd") -> str:
    symbol = "$" if currency.lower() == "usd" else f"{currency.upper()} "
    return f"{symbol}{cents // 100:,}.{cents % 100:02d}"


def stripe_js_url() -> str:
    # localstripe serves a Stripe.js shim under its own address; otherwise Stripe's hosted
    # script, which Stripe requires be loaded from js.stripe.com (the one external script).
    base = settings.STRIPE_API_BASE.rstrip("/")
    return f"{base}/js.stripe.com/v3/" if base else "https://js.stripe.com/v3/"


def stripe_csp() -> dict[str, list[str]]:
    """What the card form adds to the page's Content-Security-Policy: Stripe.js, its frames
    and its API, as Stripe documents them, or the local Stripe server's origin."""
    base = urlsplit(settings.STRIPE_API_BASE)
    if base.scheme and base.netloc:
        origin = f"{base.scheme}://{base.netloc}"
        return {"script-src": [origin], "connect-src": [origin], "frame-src": [origin]}
    return {
        "script-src": ["https://js.stripe.com", "https://*.js.stripe.com"],
        "frame-src": [
            "https://js.stripe.com",
            "https://*.js.stripe.com",
            "https://hooks.stripe.com",
        ],
        "connect-src": ["https://api.stripe.com"],
    }


def _plan_card(plan: Plan, current: Plan | None) -> dict[str, Any]:
    return {
        "plan": plan,
        "price": _money(plan.base_price_cents, plan.currency),
        "overage": _money(plan.ai_overage_cents, plan.currency),
        "expert_prices": [
            (p, _money(int(plan.expert_price_cents.get(p, 0)), plan.currency))
            for p in PRIORITY_ORDER
            if p in plan.expert_price_cents
        ],
        "sla": [(p, plan.sla_hours[p]) for p in PRIORITY_ORDER if p in plan.sla_hours],
        "is_current": current is not None and current.pk == plan.pk,
        "is_upgrade": current is not None and plan.base_price_cents > current.base_price_cents,
    }


class BillingPageView(ManagerRequiredMixin, TemplateView):
    template_name = "billing/subscription/billing.html"

    def get_template_names(self) -> list[str]:
        # Without Stripe keys no plan can be bought: a page that says so, not half a form.
        if not stripe_gateway.configured():
            return ["billing/subscription/not_configured.html"]
        return [self.template_name]

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        if context.get("choose"):
            # The card form loads Stripe.js (django-csp reads this attribute).
            response._csp_update = stripe_csp()  # type: ignore[attr-defined]
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        account = self.scoped(BillingAccount.objects.all()).first()
        status = account.status if account else BillingAccount.Status.NONE
        subscribed = status not in (BillingAccount.Status.NONE, BillingAccount.Status.CANCELED)
        current = account.plan if account and subscribed else None
        plans = list(Plan.objects.filter(active=True))
        chosen = self.request.GET.get("plan")
        change_to = self.request.GET.get("change")
        try:
            usage_url = reverse("billing_usage")
        except NoReverseMatch:
            usage_url = ""
        context.update(
            account=account,
            status=status,
            status_label=BillingAccount.Status(status).label,
            subscribed=subscribed,
            current_plan=current,
            plan_cards=[_plan_card(p, current) for p in plans],
            choose=next((p for p in plans if p.code == chosen), None)
            if not subscribed and stripe_gateway.configured()
            else None,
            change=next((p for p in plans if p.code == change_to), None) if subscribed else None,
            confirm=self.request.GET.get("confirm", ""),
            stripe_configured=stripe_gateway.configured(),
            stripe_js_url=stripe_js_url(),
            stripe_publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
            request_token=uuid.uuid4().hex,
            access=subs.organization_access(self.organization),
            usage_url=usage_url,
            webhook_url=self.request.build_absolute_uri(reverse("stripe_webhook")),
        )
        if context["choose"]:
            context["choose_price"] = _money(
                context["choose"].base_price_cents, context["choose"].currency
            )
        if context["change"]:
            context["change_price"] = _money(
                context["change"].base_price_cents, context["change"].currency
            )
            context["change_is_upgrade"] = (
                current is not None
                and context["change"].base_price_cents > current.base_price_cents
            )
        return context


class _BillingAction(ManagerRequiredMixin, View):
    """POST only; runs `act` and turns a BillingError into a flash message."""

    success_message = ""

    def act(self, request: HttpRequest) -> None:
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.act(request)
        except subs.BillingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, self.success_message)
        return redirect("billing")


def _plan_from(request: HttpRequest) -> Plan:
    return get_object_or_404(Plan, code=request.POST.get("plan", ""), active=True)


class SetupIntentView(ManagerRequiredMixin, View):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        try:
            secret = subs.setup_intent_create(
                organization=self.organization, actor=request_user(request)
            )
        except subs.BillingError as exc:
            return JsonResponse({"error": str(exc)}, status=502)
        return JsonResponse({"client_secret": secret})


class SubscribeView(_BillingAction):
    success_message = "Subscribed. Your subscription is active."

    def act(self, request: HttpRequest) -> None:
        payment_method = request.POST.get("payment_method", "").strip()
        if not payment_method.startswith("pm_"):
            raise subs.BillingError("Enter your card first.")
        subs.subscription_start(
            organization=self.organization,
            actor=request_user(request),
            plan=_plan_from(request),
            payment_method_id=payment_method,
        )


class ChangePlanView(_BillingAction):
    success_message = "Plan changed. Stripe prorates the difference on your next invoice."

    def act(self, request: HttpRequest) -> None:
        subs.subscription_change_plan(
            organization=self.organization,
            actor=request_user(request),
            plan=_plan_from(request),
            request_token=request.POST.get("request_token", "")[:64],
        )


class CancelView(_BillingAction):
    success_message = "Your subscription will end at the end of the current period."

    def act(self, request: HttpRequest) -> None:
        subs.subscription_cancel_at_period_end(
            organization=self.organization, actor=request_user(request)
        )


class ResumeView(_BillingAction):
    success_message = "Your subscription continues: it renews as usual."

    def act(self, request: HttpRequest) -> None:
        subs.subscription_resume(organization=self.organization, actor=request_user(request))


# Not atomic on purpose (dj-stripe does the same): with ATOMIC_REQUESTS a failing handler
# would roll back the stored event too. Here the event row and its error survive a failure so
# it can be inspected and is handled again on Stripe's retry; each handler opens its own
# transaction. CSRF-exempt because Stripe authenticates with its signature instead.
@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = event_verify(request.body, request.headers.get("Stripe-Signature"))
    except InvalidSignature as exc:
        logger.warning("stripe webhook rejected: %s", exc)
        return _problem(400, "The Stripe-Signature does not verify.", "invalid-signature")
    except MalformedEvent as exc:
        logger.warning("stripe webhook malformed: %s", exc)
        return _problem(400, f"Not a Stripe event: {exc}.", "malformed-event")
    try:
        _, handled = event_receive(event)
    except Exception:
        logger.exception("stripe webhook %s failed", event.get("id"))
        # A 500 makes Stripe deliver it again later; the stored record keeps the error.
        return _problem(500, "Handling the event failed; Stripe will deliver it again.", "error")
    return HttpResponse("ok" if handled else "duplicate", status=200)


def _problem(status: int, detail: str, code: str) -> JsonResponse:
    """Errors in the API's RFC 9457 shape; Stripe only reads the status."""
    return JsonResponse(
        {
            "type": f"https://expertdesk.example/problems/{code}",
            "title": "Invalid request" if status == 400 else "Error",
            "status": status,
            "detail": detail,
        },
        status=status,
        content_type="application/problem+json",
    )
