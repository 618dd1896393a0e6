from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        # A new account belongs to no organization yet: creating one is the next step.
        # (An invitation link carries ?next=, which allauth honours before asking us.)
        return reverse("organization_create")
