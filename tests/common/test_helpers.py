"""The shared helpers of `common`: form-error mapping, day starts, secret-once pages."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from common.forms import day_start_utc, form_add_service_errors
from common.responses import render_secret_once


class _KeyForm(forms.Form):
    key_name = forms.CharField(required=False)
    expires_on = forms.DateField(required=False)


def _bound() -> _KeyForm:
    form = _KeyForm(data={})
    assert form.is_valid()
    return form


def test_field_errors_land_on_their_fields_through_aliases():
    form = _bound()
    exc = ValidationError({"name": ["Taken."], "expires_at": ["In the past."], "other": ["No."]})
    form_add_service_errors(form, exc, aliases={"name": "key_name", "expires_at": "expires_on"})
    assert form.errors["key_name"] == ["Taken."]
    assert form.errors["expires_on"] == ["In the past."]
    # A field the form lacks: a non-field error, never lost.
    assert form.non_field_errors() == ["No."]


def test_messages_without_a_field_go_to_the_default_field():
    form = _bound()
    form_add_service_errors(form, ValidationError(["First.", "Second."]), default_field="key_name")
    assert form.errors["key_name"] == ["First.", "Second."]
    other = _bound()
    form_add_service_errors(other, ValidationError("Alone."))
    assert other.non_field_errors() == ["Alone."]


def test_day_start_is_midnight_utc():
    assert day_start_utc(date(2026, 3, 29)) == datetime(2026, 3, 29, tzinfo=UTC)
    assert day_start_utc(None) is None


def test_secret_once_page_is_never_cached(db: None):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    response = render_secret_once(request, "base.html", {}, status=201)
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
