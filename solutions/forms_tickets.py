from __future__ import annotations

from typing import Any

from django import forms

from .services.tickets import BODY_MAX, TITLE_MAX


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class TicketForm(forms.Form):
    # Lengths are checked by the service too (the API uses it); these give instant feedback.
    title = forms.CharField(max_length=TITLE_MAX, strip=True)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=BODY_MAX,
        strip=True,
        error_messages={"max_length": f"The description is limited to {BODY_MAX:,} characters."},
    )
    attachments = MultipleFileField(required=False)


class CorrectionForm(forms.Form):
    category = forms.CharField(max_length=100, required=False)
    priority = forms.CharField(max_length=32, required=False)


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=[(i, str(i)) for i in range(5, 0, -1)], coerce=int, empty_value=None
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )


class FollowUpForm(forms.Form):
    follow_up = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=10_000)


class SolutionSettingsForm(forms.Form):
    auto_answer_threshold = forms.FloatField(min_value=0.0, max_value=1.0)
    categories = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text="One per line. Leave empty to use the categories the model learned.",
    )
    masking_terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=12_000,
        help_text="One per line: hidden from experts in every escalated ticket.",
    )
