"""Form helpers the apps share: a service's ValidationError shown on the form that called it,
and a date field read as the instant its day begins."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time

from django import forms
from django.core.exceptions import ValidationError


def form_add_service_errors(
    form: forms.BaseForm,
    exc: ValidationError,
    *,
    aliases: Mapping[str, str] | None = None,
    default_field: str | None = None,
) -> None:
    """Puts each message of `exc` on the form field it names. Services name their own
    arguments, which a form may call differently (`aliases` maps service name to form field);
    a message for no field, or for a field the form lacks, goes to `default_field` (None: the
    form's non-field errors)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            name = (aliases or {}).get(field, field)
            target = name if name in form.fields else default_field
            for error in errors:
                form.add_error(target, error)
    else:
        for error in exc.messages:
            form.add_error(default_field, error)


def day_start_utc(day: date | None) -> datetime | None:
    """A date field's day as the instant it begins (UTC): what "expires on" means for a key."""
    return datetime.combine(day, time.min, tzinfo=UTC) if day is not None else None
