from __future__ import annotations

from typing import Any

from django import forms

from ..models import PRECISION_TARGET_MAX, PRECISION_TARGET_MIN
from ..services.tickets import BODY_MAX, DETAIL_MAX, TITLE_MAX


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


class AddDetailForm(forms.Form):
    detail = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=DETAIL_MAX)


class SolutionSettingsForm(forms.Form):
    auto_answer_threshold = forms.FloatField(min_value=0.0, max_value=1.0)
    # In percent on the page (people think "95%"); the setting itself is a fraction.
    precision_target = forms.FloatField(
        min_value=PRECISION_TARGET_MIN * 100,
        max_value=PRECISION_TARGET_MAX * 100,
        # "%%": Django fills these messages in with %-formatting (the limit).
        error_messages={
            "min_value": f"Choose at least {PRECISION_TARGET_MIN * 100:g}%%: below that the "
            "model would state categories that are wrong as often as right.",
            "max_value": f"Choose at most {PRECISION_TARGET_MAX * 100:g}%%: no model is always "
            "right.",
        },
    )
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
