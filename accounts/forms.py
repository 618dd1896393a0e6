from django import forms

from .models import Role


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
