from __future__ import annotations

from django import forms

from .models import EventType


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        max_length=500,
        label="Endpoint URL",
        assume_scheme="https",
        help_text="Where we POST the events. It must be reachable from the internet.",
    )
    events = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple, label="Events"
    )
    description = forms.CharField(
        max_length=200, required=False, label="Description", help_text="Optional."
    )


class WebhookEventsForm(forms.Form):
    events = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple, label="Events"
    )
    description = forms.CharField(max_length=200, required=False, label="Description")
