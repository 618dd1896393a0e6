from __future__ import annotations

from django import forms

from ..services.disputes import NOTE_MAX, OUTCOMES, REASON_MAX


class DisputeForm(forms.Form):
    # The service checks the length too (the API calls it); this gives instant feedback.
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=REASON_MAX,
        strip=True,
        error_messages={"required": "Say what is wrong with the answer."},
    )


class DisputeDecisionForm(forms.Form):
    """Platform staff's decision in the admin; dollars typed, cents stored."""

    outcome = forms.ChoiceField(
        choices=[
            ("uphold", "Uphold: the expert is paid"),
            ("refund", "Refund the customer in full"),
            ("split", "Split: refund part of the price"),
        ],
        widget=forms.RadioSelect,
    )
    refund = forms.DecimalField(
        label="Refund for a split (USD)",
        required=False,
        min_value=0,
        max_digits=9,
        decimal_places=2,
        help_text="Only for a split: more than $0.00 and less than the price.",
    )
    note = forms.CharField(
        label="Note (shown to the customer and the expert)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=NOTE_MAX,
    )

    def refund_cents(self) -> int | None:
        value = self.cleaned_data.get("refund")
        return None if value is None else int(value * 100)

    def clean_outcome(self) -> str:
        outcome = str(self.cleaned_data["outcome"])
        if outcome not in OUTCOMES:
            raise forms.ValidationError("Choose uphold, refund or split.")
        return outcome
