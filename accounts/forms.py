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


class SsoConfigForm(forms.Form):
    issuer = forms.CharField(
        max_length=300,
        label="Issuer URL",
        help_text="Your provider shows it as “Issuer”; its discovery document lies at "
        "<issuer>/.well-known/openid-configuration.",
    )
    client_id = forms.CharField(max_length=191, label="Client ID")
    # Never rendered back (render_value=False): the stored secret is encrypted and never
    # shown; left empty on a change, the stored one is kept.
    client_secret = forms.CharField(
        max_length=500,
        required=False,
        label="Client secret",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    default_role = forms.ChoiceField(
        choices=[(Role.AGENT, "Agent"), (Role.ADMIN, "Admin")],
        initial=Role.AGENT,
        label="New members join as",
    )


class SsoDomainForm(forms.Form):
    domain = forms.CharField(max_length=253, label="E-mail domain")


class SsoEnforceForm(forms.Form):
    enforced = forms.BooleanField(required=False)
    # Any id: the service checks that it names an owner (and that the caller is one).
    break_glass_user = forms.IntegerField(required=False, label="Break-glass owner")


class SsoStartForm(forms.Form):
    email = forms.EmailField(label="Work e-mail")
