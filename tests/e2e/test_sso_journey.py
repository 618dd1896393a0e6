"""An owner sets up single sign-on against a real OpenID Connect provider (the test provider,
tests/oidc_provider/, in its own process), and a new colleague signs in through it and lands
in the organization; at desktop and phone width."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from accounts import services as accounts_services
from accounts.models import Membership, Role, User
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD
from tests.oidc_provider.fixture import PASSWORD as IDP_PASSWORD
from tests.oidc_provider.fixture import OidcProvider, oidc_provider

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
__all__ = ["oidc_provider"]  # the fixture, imported for the test below

VIEWPORTS = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_owner_configures_sso_and_a_new_colleague_signs_in(
    size: str, oidc_provider: OidcProvider, new_page, shot
) -> None:
    owner = accounts_services.user_create(email="owen.owner@acme.test", password=PASSWORD)
    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
    org = accounts_services.organization_create(creator=owner, name="Acme")

    page = new_page()
    page.set_viewport_size(VIEWPORTS[size])
    sign_in(page, owner.email)
    page.goto("/settings/sso/")
    assert page.get_by_test_id("sso-state").inner_text() == "not set up"
    page.get_by_test_id("sso-issuer").fill(oidc_provider.issuer)
    page.fill("input[name=client_id]", oidc_provider.client_id)
    page.get_by_test_id("sso-secret").fill(oidc_provider.client_secret)
    page.get_by_test_id("sso-save").click()
    page.wait_for_load_state()
    assert "stored encrypted" in page.content()
    page.get_by_test_id("sso-domain").fill("acme.test")
    page.get_by_test_id("sso-domain-add").click()
    page.wait_for_load_state()
    page.get_by_test_id("sso-turn-on").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("sso-state").inner_text() == "on"
    assert oidc_provider.client_secret not in page.content()
    assert page.get_by_test_id("secret-set").is_visible()
    redirect_uri = page.get_by_test_id("redirect-uri").inner_text()
    assert redirect_uri.endswith(f"/accounts/oidc/org-{org.slug}/login/callback/")
    shot(page, f"{size}-settings-configured")

    # A colleague who has never been here: the login page, their work e-mail, the provider.
    colleague = new_page()
    colleague.set_viewport_size(VIEWPORTS[size])
    colleague.goto("/accounts/login/")
    colleague.get_by_test_id("sso-email").fill("jade.journey@acme.test")
    shot(colleague, f"{size}-login-page")
    colleague.get_by_test_id("sso-continue").click()
    colleague.wait_for_selector("#idp-username")  # the provider's own sign-in page
    assert colleague.url.startswith(oidc_provider.issuer.removesuffix("/o"))
    colleague.fill("#idp-username", "jade")
    colleague.fill("#idp-password", IDP_PASSWORD)
    colleague.click("#idp-submit")
    colleague.wait_for_url("**/dashboard/")
    colleague.wait_for_load_state()
    assert "Acme" in colleague.content()
    shot(colleague, f"{size}-signed-in-dashboard")
    jade = User.objects.get(email="jade.journey@acme.test")
    assert Membership.objects.get(user=jade, organization=org).role == Role.AGENT

    # Next time, the login page knows the address and offers the organization's button.
    returning = new_page()
    returning.set_viewport_size(VIEWPORTS[size])
    returning.goto("/accounts/login/?email=jade.journey@acme.test")
    button = returning.get_by_test_id("sso-org-button")
    assert button.inner_text() == "Sign in with Acme SSO"
    shot(returning, f"{size}-login-sso-button")

    # The owner makes it mandatory, keeping themself as break-glass owner.
    page.get_by_test_id("sso-enforce-submit").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("sso-state").inner_text() == "mandatory"
    assert page.get_by_test_id("break-glass").inner_text() == owner.email
    shot(page, f"{size}-settings-mandatory")
