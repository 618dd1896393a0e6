"""Rolling an endpoint's signing secret. The new secret is shown once; for the overlap window
every delivery carries a signature by the new and one by the previous secret, so the Standard
Webhooks reference verifier accepts it with either secret; after the window only the new one
signs. Owners and admins only, another organization's endpoint is a 404, rolling is a POST, and
neither secret reaches the audit log or the logs."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from accounts.models import AuditLogEntry, Role
from tests.webhooks.conftest import owner_of
from tests.webhooks.test_docs import _snippet
from webhooks import services, signing
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.usefixtures("allow_loopback")

DATA = {"ticket": {"id": 7, "title": "VPN drops"}}
ROLLED = "webhook_endpoint.secret_rolled"


def _deliver(org, receiver, capture_on_commit):
    """Emits an event and returns the request the receiver got for it."""
    count = len(receiver.requests) + 1
    with capture_on_commit(execute=True):
        services.webhook_event_emit(organization=org, event="ticket.answered", data=DATA)
    return receiver.wait_for(count)[-1]


def _verify(secret, request, signature=None):
    headers = dict(request.headers)
    if signature is not None:
        headers["webhook-signature"] = signature
    return Webhook(secret).verify(request.body, headers)


def _roll(endpoint):
    return services.webhook_endpoint_roll_secret(
        actor=owner_of(endpoint.organization), endpoint=endpoint
    )


def _expire_previous_secret(endpoint):
    """Time passes: the overlap window has closed."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_during_the_overlap_a_delivery_verifies_with_the_old_and_with_the_new_secret(
    make_org, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    org = make_org()
    endpoint, old = make_endpoint(org, receiver.url)
    before = timezone.now()
    new = _roll(endpoint)
    after = timezone.now()

    assert new.startswith("whsec_") and new != old
    endpoint.refresh_from_db()
    assert signing.secret_decrypt(endpoint.secret_encrypted) == new
    # The previous secret is kept encrypted like the current one, never in the clear.
    assert signing.secret_decrypt(endpoint.previous_secret_encrypted) == old
    for stored in (endpoint.secret_encrypted, endpoint.previous_secret_encrypted):
        assert old.removeprefix("whsec_") not in stored and new.removeprefix("whsec_") not in stored
    signs_until = endpoint.previous_secret_signs_until
    assert signs_until is not None
    assert before + timedelta(hours=24) <= signs_until <= after + timedelta(hours=24)

    request = _deliver(org, receiver, django_capture_on_commit_callbacks)
    assert _verify(old, request)["data"] == DATA
    assert _verify(new, request)["data"] == DATA
    with pytest.raises(WebhookVerificationError):
        _verify(signing.secret_generate(), request)
    # Two signatures, space-separated, the new secret's first.
    by_new, by_old = request.headers["webhook-signature"].split(" ")
    assert _verify(new, request, signature=by_new)["data"] == DATA
    assert _verify(old, request, signature=by_old)["data"] == DATA
    with pytest.raises(WebhookVerificationError):
        _verify(old, request, signature=by_new)
    # The documented standard-library snippet accepts either secret too.
    verify_snippet = _snippet()
    assert verify_snippet(old, request.headers, request.body) is True
    assert verify_snippet(new, request.headers, request.body) is True


def test_after_the_window_only_the_new_secret_signs(
    make_org, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    org = make_org()
    endpoint, old = make_endpoint(org, receiver.url)
    new = _roll(endpoint)
    _expire_previous_secret(endpoint)
    endpoint.refresh_from_db()
    assert endpoint.previous_secret_signs_until is None

    request = _deliver(org, receiver, django_capture_on_commit_callbacks)
    assert _verify(new, request)["data"] == DATA
    with pytest.raises(WebhookVerificationError):
        _verify(old, request)
    assert len(request.headers["webhook-signature"].split(" ")) == 1


def test_a_delivery_pending_across_the_roll_is_retried_with_both_signatures(
    make_org, make_endpoint, receiver, fast_retries, django_capture_on_commit_callbacks
):
    """Rolling loses no webhook: signatures are made per attempt, so a retry of a message
    emitted before the roll verifies with the old secret as well as the new one."""
    org = make_org()
    endpoint, old = make_endpoint(org, receiver.url)
    receiver.answer(500)
    first = _deliver(org, receiver, django_capture_on_commit_callbacks)
    assert _verify(old, first)["data"] == DATA
    new = _roll(endpoint)
    [delivery] = WebhookDelivery.objects.all()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    services.webhook_delivery_attempt(delivery_id=delivery.pk)
    _, retry = receiver.wait_for(2)
    assert retry.headers["webhook-id"] == first.headers["webhook-id"]
    assert _verify(old, retry) == _verify(new, retry) == _verify(old, first)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


def test_rolling_again_replaces_the_previous_secret_with_the_current_one(
    make_org, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    org = make_org()
    endpoint, original = make_endpoint(org, receiver.url)
    second = _roll(endpoint)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() + timedelta(hours=1)
    )
    third = _roll(endpoint)
    endpoint.refresh_from_db()
    assert signing.secret_decrypt(endpoint.previous_secret_encrypted) == second
    # A fresh window from the second roll.
    assert endpoint.previous_secret_signs_until > timezone.now() + timedelta(hours=23)

    request = _deliver(org, receiver, django_capture_on_commit_callbacks)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert _verify(third, request)["data"] == DATA
    assert _verify(second, request)["data"] == DATA
    with pytest.raises(WebhookVerificationError):
        _verify(original, request)


def test_the_window_follows_the_setting_and_zero_retires_the_old_secret_at_once(
    make_org, make_endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    org = make_org()
    endpoint, old = make_endpoint(org, receiver.url)
    settings.WEBHOOK_SECRET_ROLL_OVERLAP_HOURS = 2
    _roll(endpoint)
    endpoint.refresh_from_db()
    left = endpoint.previous_secret_signs_until - timezone.now()
    assert timedelta(hours=1, minutes=59) < left <= timedelta(hours=2)

    settings.WEBHOOK_SECRET_ROLL_OVERLAP_HOURS = 0
    new = _roll(endpoint)
    endpoint.refresh_from_db()
    assert endpoint.previous_secret_encrypted == ""
    assert endpoint.previous_secret_expires_at is None
    request = _deliver(org, receiver, django_capture_on_commit_callbacks)
    assert _verify(new, request)["data"] == DATA
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    with pytest.raises(WebhookVerificationError):
        _verify(old, request)


def test_a_secret_that_cant_be_decrypted_is_not_kept_and_never_blocks_the_new_one(
    make_org, make_endpoint, receiver, settings, caplog, django_capture_on_commit_callbacks
):
    """Secrets encrypted under a key that was dropped from the FALLBACKS: rolling repairs the
    endpoint, and a previous secret that can't be decrypted leaves the new one signing."""
    org = make_org()
    settings.WEBHOOK_SECRET_KEY = "a-key-retired-later"
    endpoint, _ = make_endpoint(org, receiver.url)
    unreadable = signing.secret_encrypt(signing.secret_generate())
    settings.WEBHOOK_SECRET_KEY = "todays-key"
    new = _roll(endpoint)
    endpoint.refresh_from_db()
    assert endpoint.previous_secret_encrypted == "" and endpoint.previous_secret_signs_until is None

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_encrypted=unreadable,
        previous_secret_expires_at=timezone.now() + timedelta(hours=1),
    )
    with caplog.at_level(logging.WARNING, logger="webhooks.services"):
        request = _deliver(org, receiver, django_capture_on_commit_callbacks)
    assert _verify(new, request)["data"] == DATA
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    assert "previous secret can't be decrypted" in caplog.text
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_agents_are_refused(make_org, make_user, add_member, login, make_endpoint):
    org = make_org()
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    endpoint, _ = make_endpoint(org, "https://93.184.216.34/hooks")
    stored = endpoint.secret_encrypted
    url = reverse("webhook_endpoint_roll_secret", args=[endpoint.pk])
    client = login(agent)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    with pytest.raises(PermissionDenied):
        services.webhook_endpoint_roll_secret(actor=agent, endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.secret_encrypted == stored and endpoint.previous_secret_encrypted == ""
    assert not AuditLogEntry.objects.filter(action=ROLLED).exists()


def test_another_organizations_endpoint_is_404(make_org, login, make_endpoint):
    org_a, org_b = make_org(), make_org()
    endpoint, _ = make_endpoint(org_a, "https://93.184.216.34/a-hooks")
    stored = endpoint.secret_encrypted
    url = reverse("webhook_endpoint_roll_secret", args=[endpoint.pk])
    client = login(owner_of(org_b))
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    # The service checks too: org B's owner manages nothing of org A.
    with pytest.raises(PermissionDenied):
        services.webhook_endpoint_roll_secret(actor=owner_of(org_b), endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.secret_encrypted == stored and endpoint.previous_secret_encrypted == ""
    assert not AuditLogEntry.objects.filter(action=ROLLED).exists()


def test_rolling_is_a_post_after_a_confirmation_page_and_shows_the_new_secret_once(
    make_org,
    make_user,
    add_member,
    login,
    make_endpoint,
    receiver,
    caplog,
    django_capture_on_commit_callbacks,
):
    caplog.set_level(logging.DEBUG)
    org = make_org()
    admin = make_user()
    add_member(org, admin, Role.ADMIN)
    endpoint, old = make_endpoint(org, receiver.url)
    client = login(admin)
    page = reverse("webhook_endpoint", args=[endpoint.pk])
    roll = reverse("webhook_endpoint_roll_secret", args=[endpoint.pk])

    html = client.get(page).content.decode()
    assert roll in html and 'data-testid="previous-secret-notice"' not in html

    confirm = client.get(roll)
    text = confirm.content.decode()
    assert confirm.status_code == 200
    assert f"Roll the signing secret of {receiver.url}?" in text
    assert "For the next 24 hours, every delivery is signed with both" in text
    endpoint.refresh_from_db()
    assert signing.secret_decrypt(endpoint.secret_encrypted) == old  # GET changed nothing
    assert not AuditLogEntry.objects.filter(action=ROLLED).exists()

    done = client.post(roll)
    assert done.status_code == 200 and done["Cache-Control"] == "no-store"
    new = done.context["secret"]
    endpoint.refresh_from_db()
    assert new != old and signing.secret_decrypt(endpoint.secret_encrypted) == new
    assert new in done.content.decode() and old not in done.content.decode()
    signs_until = endpoint.previous_secret_signs_until
    shown_until = signs_until.strftime("%Y-%m-%d %H:%M UTC")
    assert f'until <time datetime="{signs_until.isoformat()}">{shown_until}</time>' in (
        done.content.decode()
    )

    # The endpoint's page never shows a secret again, and says how long the old one signs.
    html = client.get(page).content.decode()
    assert new not in html and old not in html
    assert 'data-testid="previous-secret-notice"' in html
    assert "the old secret still signs, next to the new one, until <time" in html
    assert shown_until in html
    assert new not in client.get(roll).content.decode()

    # A test event from the page verifies with both secrets.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhook_endpoint_test", args=[endpoint.pk]))
    [request] = receiver.wait_for(1)
    assert _verify(old, request)["type"] == _verify(new, request)["type"] == "ping"

    # The audit log has the act and the window, never a secret or a signature; nor do the logs.
    entry = AuditLogEntry.objects.get(action=ROLLED)
    assert entry.actor == admin and entry.target_id == str(endpoint.pk)
    assert entry.details == {"previous_secret_signs_until": signs_until.isoformat()}
    audit = json.dumps(list(AuditLogEntry.objects.values("details", "target_repr")))
    logged = caplog.text + json.dumps(list(WebhookDelivery.objects.values()), default=str)
    for secret in (old, new, old.removeprefix("whsec_"), new.removeprefix("whsec_")):
        assert secret not in audit and secret not in logged
    for signature in request.headers["webhook-signature"].split(" "):
        assert signature not in audit and signature not in logged

    # Once the window has closed, the page no longer mentions the old secret.
    _expire_previous_secret(endpoint)
    assert 'data-testid="previous-secret-notice"' not in client.get(page).content.decode()


def test_a_roll_without_the_csrf_token_is_refused(make_org, make_endpoint):
    org = make_org()
    endpoint, _ = make_endpoint(org, "https://93.184.216.34/hooks")
    stored = endpoint.secret_encrypted
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner_of(org))
    response = client.post(reverse("webhook_endpoint_roll_secret", args=[endpoint.pk]))
    assert response.status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.secret_encrypted == stored


def test_the_confirmation_page_warns_when_a_previous_secret_would_stop_at_once(
    make_org, login, make_endpoint, settings
):
    org = make_org()
    endpoint, _ = make_endpoint(org, "https://93.184.216.34/hooks")
    client = login(owner_of(org))
    roll = reverse("webhook_endpoint_roll_secret", args=[endpoint.pk])
    assert "stops signing at once" not in client.get(roll).content.decode()
    client.post(roll)
    assert "only one previous secret is kept" in client.get(roll).content.decode()
    settings.WEBHOOK_SECRET_ROLL_OVERLAP_HOURS = 0
    text = client.get(roll).content.decode()
    assert "The current secret stops signing at once" in text
    assert "signed with both" not in text
