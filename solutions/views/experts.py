"""The expert side's pages (onboarding, profile, queue, claims, answers), the organization's
expert directory and everyone's in-app notifications: thin — parse, check, call a service.

Expert pages render only a ticket's masked copy; nothing here reads `title`, `body` or
attachments on an expert's behalf.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from accounts import services as account_services
from accounts import tenancy
from accounts.tenancy import OrganizationRequiredMixin, request_user
from billing import services as billing
from common.converters import id_or_none
from common.forms import day_start_utc, form_add_service_errors
from common.responses import render_secret_once

from ..markdown import markdown_sanitize
from ..models import Claim, ExpertAnswer, ExpertProfile, Notification, Ticket
from ..selectors import (
    expert_profile_of,
    expert_sla_record,
    expert_ticket_taken,
    expert_ticket_visible,
    experts_directory,
)
from ..selectors.reputation import (
    ExpertReputation,
    SkillRecord,
    expert_net_pay,
    expert_reputation,
    reputations_of,
)
from ..services import experts as services
from ..services.expert_api_keys import expert_api_key_create, expert_api_keys
from ..services.tickets import auto_accept_days

PAGE_SIZE = 20


# ---------------------------------------------------------------- forms


PRICE_RANGE_MESSAGE = (
    f"Choose a price between ${services.PRICE_MIN_CENTS / 100:,.2f} "
    f"and ${services.PRICE_MAX_CENTS / 100:,.2f}."
)


class ExpertProfileForm(forms.Form):
    # The service validates the same limits (it is the API's path too); these give instant
    # feedback in the browser.
    headline = forms.CharField(max_length=services.HEADLINE_MAX, strip=True)
    bio = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), max_length=services.BIO_MAX, required=False
    )
    skills = forms.CharField(
        max_length=2_000,
        help_text="Ticket categories you can answer, separated by commas: network, email, …",
    )
    price = forms.DecimalField(
        label="Price per answer (USD)",
        min_value=Decimal(services.PRICE_MIN_CENTS) / 100,
        max_value=Decimal(services.PRICE_MAX_CENTS) / 100,
        max_digits=7,
        decimal_places=2,
        error_messages={
            "min_value": PRICE_RANGE_MESSAGE,
            "max_value": PRICE_RANGE_MESSAGE,
            "invalid": "Enter a price in dollars, e.g. 40 or 42.50.",
        },
    )
    available = forms.BooleanField(required=False, label="Available for new tickets")

    def clean_skills(self) -> list[str]:
        raw: str = self.cleaned_data["skills"]
        try:
            return services.skills_normalise(raw.replace("\n", ",").split(","))
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["skills"]) from exc

    @classmethod
    def from_profile(cls, profile: ExpertProfile) -> ExpertProfileForm:
        return cls(
            initial={
                "headline": profile.headline,
                "bio": profile.bio,
                "skills": ", ".join(profile.skills),
                "price": Decimal(profile.price_per_answer_cents) / 100,
                "available": profile.available,
            }
        )


class AnswerForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14}),
        max_length=services.ANSWER_MAX,
        strip=True,
        error_messages={"required": "Write your answer first."},
    )


class ExpertApiKeyForm(forms.Form):
    key_name = forms.CharField(
        max_length=100, label="Name", help_text="The tool or script that uses it."
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on (optional)",
        help_text="The key stops working at the start of this day (UTC).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


# Service error keys that the forms name differently.
FIELD_ALIASES = {"price_per_answer_cents": "price", "name": "key_name", "expires_at": "expires_on"}


def _save_profile(request: HttpRequest, form: ExpertProfileForm) -> ExpertProfile | None:
    if not form.is_valid():
        return None
    try:
        return services.expert_profile_save(
            user=request_user(request),
            headline=form.cleaned_data["headline"],
            bio=form.cleaned_data["bio"],
            skills=form.cleaned_data["skills"],
            price_per_answer_cents=int(form.cleaned_data["price"] * 100),
            available=form.cleaned_data["available"],
        )
    except ValidationError as exc:
        form_add_service_errors(form, exc, aliases=FIELD_ALIASES)
        return None


# ---------------------------------------------------------------- access


class ExpertRequiredMixin(tenancy.ExpertRequiredMixin):
    """Expert pages: a signed-in user with an expert profile (`accounts.tenancy`'s gate, over
    `solutions.selectors`); others are sent to onboarding."""

    profile: ExpertProfile
    request: HttpRequest

    def own_claim(self, pk: int) -> Claim:
        claim = (
            Claim.objects.filter(pk=pk, expert=request_user(self.request))
            .select_related("ticket", "ticket__organization")
            .first()
        )
        if claim is None:
            raise Http404("No such claim.")
        return claim


@dataclass(frozen=True)
class ReputationRows:
    """An expert's record as the profile and the directory show it: one row per skill."""

    overall: SkillRecord
    rows: list[SkillRecord]

    @property
    def is_new(self) -> bool:
        return self.overall.is_new


def _reputation_rows(reputation: ExpertReputation, profile: ExpertProfile) -> ReputationRows:
    return ReputationRows(reputation.overall, reputation.rows(profile.skills))


def _sla_hours(ticket: Ticket) -> int:
    return billing.sla_hours(organization=ticket.organization, priority=ticket.priority)


# ---------------------------------------------------------------- onboarding and profile


class ExpertOnboardingView(LoginRequiredMixin, View):
    template_name = "solutions/experts/onboarding.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        profile = expert_profile_of(request_user(request))
        if profile is not None and profile.vetted:
            return redirect("expert_queue")
        form = ExpertProfileForm(initial={"price": Decimal("40.00"), "available": True})
        return render(request, self.template_name, {"profile": profile, "form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        if expert_profile_of(request_user(request)) is not None:
            return redirect("expert_onboarding")
        form = ExpertProfileForm(request.POST)
        if _save_profile(request, form) is not None:
            messages.success(request, "Your expert profile is saved.")
            return redirect("expert_onboarding")
        return render(request, self.template_name, {"profile": None, "form": form}, status=400)


class ExpertProfileView(ExpertRequiredMixin, View):
    """The profile form, the record, and the expert's own API keys (create: the plaintext is
    in that POST's response only; revoke)."""

    template_name = "solutions/experts/profile.html"

    def context(
        self,
        form: ExpertProfileForm | None = None,
        key_form: ExpertApiKeyForm | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        user = request_user(self.request)
        return {
            "profile": self.profile,
            "form": form or ExpertProfileForm.from_profile(self.profile),
            "answers_count": ExpertAnswer.objects.filter(expert=user).count(),
            "reputation": _reputation_rows(expert_reputation(user), self.profile),
            "expired": Claim.objects.filter(expert=user, status=Claim.Status.EXPIRED)
            .select_related("ticket")
            .order_by("-due_at")[:20],
            "api_keys": expert_api_keys(expert=user),
            "key_form": key_form or ExpertApiKeyForm(),
            **extra,
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, self.context())

    def post(self, request: HttpRequest) -> HttpResponse:
        if "create_key" in request.POST:
            return self._create_key(request)
        if "revoke_key" in request.POST:
            return self._revoke_key(request)
        form = ExpertProfileForm(request.POST)
        profile = _save_profile(request, form)
        if profile is not None:
            messages.success(request, "Profile saved.")
            return redirect("expert_profile")
        return render(request, self.template_name, self.context(form), status=400)

    def _create_key(self, request: HttpRequest) -> HttpResponse:
        key_form = ExpertApiKeyForm(request.POST)
        if key_form.is_valid():
            expires_at = day_start_utc(key_form.cleaned_data["expires_on"])
            user = request_user(request)
            try:
                key, plaintext = expert_api_key_create(
                    expert=user,
                    actor=user,
                    name=key_form.cleaned_data["key_name"],
                    expires_at=expires_at,
                )
            except ValidationError as exc:
                form_add_service_errors(key_form, exc, aliases=FIELD_ALIASES)
            else:
                return render_secret_once(
                    request,
                    self.template_name,
                    self.context(new_key=key, plaintext=plaintext),
                    status=201,
                )
        return render(request, self.template_name, self.context(key_form=key_form), status=400)

    def _revoke_key(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        key_id = id_or_none(request.POST.get("revoke_key", ""))
        key = expert_api_keys(expert=user).filter(pk=key_id).first() if key_id else None
        if key is None:
            raise Http404("No such key of yours.")
        account_services.api_key_revoke(actor=user, key=key)
        messages.success(request, f"The key {key.name} ({key.prefix}) was revoked.")
        return redirect("expert_profile")


# ---------------------------------------------------------------- queue and ticket


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    sla_hours: int
    # "business hours: Mon–Fri 09:00–17:00 Europe/Berlin", or "" when every hour counts.
    sla_terms: str = ""
    # What an accepted answer pays this expert (their tier), and the minutes left while the
    # ticket is offered to them first (None when it is not).
    net_cents: int | None = None
    offered_minutes_left: int | None = None


def _offered_minutes_left(ticket: Ticket, now: datetime) -> int | None:
    if not getattr(ticket, "offered_to_me", False) or ticket.offered_until is None:
        return None
    seconds = (ticket.offered_until - now).total_seconds()
    return math.ceil(seconds / 60) if seconds > 0 else None


class ExpertQueueView(ExpertRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        expert = request_user(request)
        page = Paginator(self.expert_queue(), PAGE_SIZE).get_page(request.GET.get("page"))
        net_pay = expert_net_pay(expert=expert, tickets=list(page.object_list))
        now = timezone.now()
        # Read once per organization on the page, not once per ticket.
        plans = billing.plans_of(t.organization_id for t in page.object_list)
        terms: dict[int, Any] = {}
        for t in page.object_list:
            if t.organization_id not in terms:
                terms[t.organization_id] = billing.sla_terms(organization=t.organization)
        rows = [
            QueueRow(
                t,
                billing.sla_hours(
                    organization=t.organization,
                    priority=t.priority,
                    plan=plans[t.organization_id],
                ),
                terms[t.organization_id],
                net_cents=net_pay.get(t.pk),
                offered_minutes_left=_offered_minutes_left(t, now),
            )
            for t in page.object_list
        ]
        active = Claim.objects.filter(expert=expert, status=Claim.Status.ACTIVE).count()
        return render(
            request,
            "solutions/experts/queue.html",
            {"profile": self.profile, "page": page, "rows": rows, "active_claims": active},
        )


class ExpertTicketView(ExpertRequiredMixin, View):
    """The masked ticket; POST claims it."""

    def get(self, request: HttpRequest, pk: int, conversation_form: Any = None) -> HttpResponse:
        from .conversations import expert_conversation  # which imports this module

        expert = request_user(request)
        ticket = self.expert_ticket(pk)
        claims = list(Claim.objects.filter(ticket=ticket, expert=expert).order_by("-claimed_at"))
        active = next((c for c in claims if c.status == Claim.Status.ACTIVE), None)
        return render(
            request,
            "solutions/experts/ticket.html",
            {
                "ticket": ticket,
                "sla_hours": _sla_hours(ticket),
                "sla_terms": billing.sla_terms(organization=ticket.organization),
                "due_preview": services.claim_due_at(ticket=ticket, start=timezone.now()),
                "can_claim": ticket.status == Ticket.Status.ESCALATED
                and self.profile.vetted
                and self.profile.available,
                "active_claim": active,
                "past_claims": [c for c in claims if c is not active],
                "auto_accept_days": auto_accept_days(),
                "conversation": expert_conversation(request, ticket, expert, conversation_form),
                "net_cents": expert_net_pay(expert=expert, tickets=[ticket])[ticket.pk],
                "offered_minutes_left": _offered_minutes_left(ticket, timezone.now()),
            },
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        expert = request_user(request)
        # A ticket the expert can't see is a 404, as on GET, unless it was in their skills
        # and someone else took it: then the claim below says so.
        if expert_ticket_visible(expert=expert, ticket_id=pk) is None:
            if not expert_ticket_taken(expert=expert, ticket_id=pk):
                raise Http404(tenancy.NOT_VISIBLE)
        try:
            claim = services.expert_claim_ticket(expert=expert, ticket_id=pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            # Lost the race: the ticket has left this expert's view, so back to the queue.
            if expert_ticket_visible(expert=expert, ticket_id=pk) is None:
                return redirect("expert_queue")
            return redirect("expert_ticket", pk=pk)
        due = timezone.localtime(claim.due_at)
        messages.success(request, f"The ticket is yours. Answer by {due:%Y-%m-%d %H:%M %Z}.")
        return redirect("expert_answer", pk=claim.pk)


# ---------------------------------------------------------------- claims and answers


class ExpertClaimsView(ExpertRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        expert = request_user(request)
        claims = Claim.objects.filter(expert=expert).select_related(
            "ticket", "answer", "answer__rating"
        )
        past = claims.exclude(status=Claim.Status.ACTIVE).order_by("-claimed_at", "-pk")
        record = expert_sla_record(expert=expert)
        return render(
            request,
            "solutions/experts/claims.html",
            {
                "active": claims.filter(status=Claim.Status.ACTIVE).order_by("due_at"),
                "page": Paginator(past, PAGE_SIZE).get_page(request.GET.get("page")),
                "now": timezone.now(),
                "soon": timezone.now() + services.SLA_WARNING_MIN,
                "record": record,
            },
        )


class ExpertAnswerView(ExpertRequiredMixin, View):
    template_name = "solutions/experts/answer.html"

    def render_form(
        self, claim: Claim, form: AnswerForm, preview: str | None = None, status: int = 200
    ) -> HttpResponse:
        return render(
            self.request,
            self.template_name,
            {
                "claim": claim,
                "ticket": claim.ticket,
                "net_cents": expert_net_pay(
                    expert=request_user(self.request), tickets=[claim.ticket]
                )[claim.ticket_id],
                "form": form,
                "preview": preview,
                # A paused clock (waiting for the customer) has not run out.
                "overdue": claim.paused_at is None and claim.due_at <= timezone.now(),
                "min_length": services.ANSWER_MIN,
                "max_length": services.ANSWER_MAX,
            },
            status=status,
        )

    def closed(self, claim: Claim) -> HttpResponse:
        messages.info(
            self.request, f"This claim is {claim.get_status_display().lower()}; it takes no answer."
        )
        return redirect("expert_claims")

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        claim = self.own_claim(pk)
        if claim.status != Claim.Status.ACTIVE:
            return self.closed(claim)
        return self.render_form(claim, AnswerForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        claim = self.own_claim(pk)
        if claim.status != Claim.Status.ACTIVE:
            return self.closed(claim)
        form = AnswerForm(request.POST)
        if request.POST.get("action") == "preview":
            # Without JavaScript the Preview button posts the whole form here.
            preview = markdown_sanitize(request.POST.get("body", "")[: services.ANSWER_MAX])
            return self.render_form(claim, form, preview=preview)
        if form.is_valid():
            try:
                services.expert_answer_submit(
                    expert=request_user(request), claim_id=claim.pk, body=form.cleaned_data["body"]
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc, aliases=FIELD_ALIASES)
            else:
                messages.success(request, "Your answer was sent. The customer has been notified.")
                return redirect("expert_claims")
        return self.render_form(claim, form, status=400)


class ExpertAnswerPreviewView(ExpertRequiredMixin, View):
    """htmx: the answer as it will be stored (sanitized) and shown on the ticket page."""

    def post(self, request: HttpRequest) -> HttpResponse:
        body = markdown_sanitize(request.POST.get("body", "")[: services.ANSWER_MAX])
        return render(request, "solutions/experts/_answer_preview.html", {"preview": body})


class ExpertReleaseView(ExpertRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        claim = self.own_claim(pk)
        if claim.status != Claim.Status.ACTIVE:
            messages.info(request, f"This claim is already {claim.get_status_display().lower()}.")
            return redirect("expert_claims")
        return render(request, "solutions/experts/release_confirm.html", {"claim": claim})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        claim = self.own_claim(pk)
        try:
            services.expert_release_claim(expert=request_user(request), claim_id=claim.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("expert_claims")
        messages.success(
            request, f"You released “{claim.ticket.masked_title}”. It is back in the queue."
        )
        return redirect("expert_queue")


# ---------------------------------------------------------------- the organization's view


class ExpertDirectoryView(OrganizationRequiredMixin, View):
    """Vetted experts as an organization sees them: no contact details."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # /experts/ is also where an expert without an organization lands: their queue.
        if (
            request.user.is_authenticated
            and getattr(request, "membership", None) is None
            and expert_profile_of(request_user(request)) is not None
        ):
            return redirect("expert_queue")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        skill = " ".join(request.GET.get("skill", "").split()).lower()[:40]
        page = Paginator(experts_directory(skill=skill), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        reputations = reputations_of([p.user_id for p in page.object_list])
        cards = [
            {"profile": p, "reputation": _reputation_rows(reputations[p.user_id], p)}
            for p in page.object_list
        ]
        return render(
            request,
            "solutions/experts/directory.html",
            {"page": page, "cards": cards, "skill": skill},
        )


# ---------------------------------------------------------------- notifications


class NotificationsView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        notifications = Notification.objects.filter(user=user).select_related("organization")
        return render(
            request,
            "solutions/notifications/list.html",
            {
                "page": Paginator(notifications, 25).get_page(request.GET.get("page")),
                "unread_count": notifications.filter(read_at__isnull=True).count(),
                "is_expert": expert_profile_of(user) is not None,
            },
        )


class NotificationsMarkReadView(LoginRequiredMixin, View):
    """POST `id` marks one (with `open`, then follows its link); no `id` marks all."""

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        raw_id = request.POST.get("id", "")
        if not raw_id:
            count = services.notifications_mark_read(user=user)
            noun = "notification" if count == 1 else "notifications"
            messages.success(request, f"Marked {count} {noun} read.")
            return redirect("notifications")
        notification_id = id_or_none(raw_id)
        notification = (
            Notification.objects.filter(user=user, pk=notification_id).first()
            if notification_id
            else None
        )
        if notification is None:
            raise Http404("No such notification.")
        services.notifications_mark_read(user=user, notification_id=notification.pk)
        target = notification.url
        if request.POST.get("open") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(target)
        return redirect("notifications")
