from django import forms

from .models import ApiKey, Role


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=120, label="Organization name")
    slug = forms.SlugField(
        max_length=60,
        required=False,
        label="Short address",
        help_text="Letters, digits and dashes; leave empty to derive it from the name.",
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.AGENT)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name", help_text="The integration that uses it.")
    scopes = forms.MultipleChoiceField(
        choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple, label="Scopes"
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on",
        help_text="Optional; the key stops working at the start of this day (UTC).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
