"""The SLA hours page (owners and admins): which hours count toward experts' deadlines — the
plan's calendar, or the organization's own (its time zone, working days, daily window and
holidays) within the weekly hours the plan sells."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from accounts.tenancy import ManagerRequiredMixin, request_user
from common.business_hours import WEEKDAY_NAMES, BusinessCalendar
from common.forms import form_add_service_errors

from ..models import PRIORITIES
from ..services.pricing import (
    plan_of,
    plan_sla_calendar,
    sla_calendar,
    sla_calendar_own,
    sla_calendar_set,
    sla_hours,
)

HOLIDAYS_MAX = 100
# Listed once per process: the system's zone database doesn't change while it runs.
TIME_ZONES = sorted(available_timezones())


class SlaCalendarForm(forms.Form):
    use_own = forms.TypedChoiceField(
        label="Which hours count",
        choices=[("0", "The plan's hours"), ("1", "Our own business hours")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    time_zone = forms.ChoiceField(choices=[(z, z) for z in TIME_ZONES], initial="UTC")
    weekdays = forms.TypedMultipleChoiceField(
        label="Working days",
        choices=[(str(i), name) for i, name in enumerate(WEEKDAY_NAMES)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    opens = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), required=False)
    closes = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), required=False)
    holidays = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "2026-12-25\n2027-01-01"}),
        required=False,
        help_text="One date a line (YYYY-MM-DD): days on which no hours count.",
    )

    def clean_holidays(self) -> list[str]:
        days: list[str] = []
        for raw in self.cleaned_data["holidays"].replace(",", "\n").splitlines():
            value = raw.strip()
            if not value:
                continue
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise ValidationError(f"“{value}” is not a date like 2026-12-25.") from None
            if day.isoformat() not in days:
                days.append(day.isoformat())
        if len(days) > HOLIDAYS_MAX:
            raise ValidationError(f"List at most {HOLIDAYS_MAX} holidays.")
        return sorted(days)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("use_own"):
            if not data.get("weekdays"):
                self.add_error("weekdays", "Tick at least one working day.")
            for name in ("opens", "closes"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, "Set a time like 09:00.")
        return data

    def spec(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data["use_own"]:
            return None
        return {
            "time_zone": data["time_zone"],
            "weekdays": sorted(data["weekdays"]),
            "opens": f"{data['opens']:%H:%M}",
            "closes": f"{data['closes']:%H:%M}",
            "holidays": data["holidays"],
        }


def _initial(own: BusinessCalendar | None, plan: BusinessCalendar) -> dict[str, Any]:
    base = own or (plan if not plan.round_the_clock else BusinessCalendar())
    return {
        "use_own": "1" if own is not None else "0",
        "time_zone": base.time_zone,
        "weekdays": [str(d) for d in base.weekdays],
        "opens": base.opens or "09:00",
        "closes": base.closes or "17:00",
        "holidays": "\n".join(sorted(d.isoformat() for d in base.holidays)),
    }


class SlaCalendarView(ManagerRequiredMixin, View):
    template_name = "billing/sla/calendar.html"

    def context(self, form: SlaCalendarForm | None = None) -> dict[str, Any]:
        org = self.organization
        plan = plan_sla_calendar(org)
        own = sla_calendar_own(org)
        applies = sla_calendar(organization=org)
        now = timezone.now()
        # What a claim made now would be given, per priority: the calendar made concrete.
        deadlines = [
            {
                "priority": priority,
                "hours": (hours := sla_hours(organization=org, priority=priority)),
                "due_at": applies.add(now, hours),
            }
            for priority in reversed(PRIORITIES)
        ]
        plan_obj = plan_of(org)
        return {
            "form": form or SlaCalendarForm(initial=_initial(own, plan)),
            "plan_name": plan_obj.name if plan_obj else "Starter",
            "plan_calendar": plan,
            "own_calendar": own,
            "applies": applies,
            # An own calendar the plan no longer covers (the plan changed to fewer hours).
            "own_ignored": own is not None and applies != own,
            "deadlines": deadlines,
            "now": now,
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, self.context())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SlaCalendarForm(request.POST)
        if form.is_valid():
            try:
                calendar = sla_calendar_set(
                    organization=self.organization, actor=request_user(request), spec=form.spec()
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"SLA hours saved: {calendar.describe()}. Claims already running keep "
                    "their deadlines; new claims count these hours.",
                )
                return redirect("billing_sla_calendar")
        return render(request, self.template_name, self.context(form), status=400)
