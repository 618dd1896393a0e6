"""The webhook pages: owners and admins only, another organization's endpoint is a 404, the
secret is shown once, deleting asks first, redeliver is a POST, bad input is a form error."""

from __future__ import annotations

from django.urls import reverse
from standardwebhooks import Webhook

from accounts.models import AuditLogEntry, Role
from tests.webhooks.conftest import owner_of
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint


def _emit(org, event="ticket.triaged"):
    return services.webhook_event_emit(organization=org, event=event, data={"ticket": {"id": 1}})


def test_agents_get_no_sidebar_link(make_org, make_user, add_member, login):
    """The pages refuse agents (tests/test_route_access.py); the sidebar doesn't offer them."""
    org = make_org()
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    assert reverse("webhooks") not in login(agent).get(reverse("dashboard")).content.decode()
    assert reverse("webhooks") in login(owner_of(org)).get(reverse("dashboard")).content.decode()


def test_an_admin_creates_an_endpoint_and_sees_the_secret_once(
    make_org, make_user, add_member, login
):
    org = make_org()
    admin = make_user()
    add_member(org, admin, Role.ADMIN)
    client = login(admin)
    empty = client.get(reverse("webhooks"))
    assert empty.status_code == 200 and 'data-testid="empty-state"' in empty.content.decode()
    assert reverse("webhooks") in empty.content.decode()  # the sidebar link

    response = client.post(
        reverse("webhooks"),
        {
            "url": "https://93.184.216.34/hooks",
            "events": ["ticket.answered", "ticket.resolved"],
            "description": "Zendesk bridge",
        },
    )
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret.startswith("whsec_") and secret in response.content.decode()
    endpoint = WebhookEndpoint.objects.get(organization=org)
    assert endpoint.events == ["ticket.answered", "ticket.resolved"]
    assert (endpoint.created_by, endpoint.description) == (admin, "Zendesk bridge")
    for page in (reverse("webhooks"), reverse("webhook_endpoint", args=[endpoint.pk])):
        html = client.get(page).content.decode()
        assert "https://93.184.216.34/hooks" in html and secret not in html
    entry = AuditLogEntry.objects.get(action="webhook_endpoint.created")
    assert entry.actor == admin and secret not in str(entry.details)


def test_bad_input_is_a_form_error_never_a_500(make_org, login):
    org = make_org()
    client = login(owner_of(org))
    cases = [
        ({"url": "http://169.254.169.254/latest/", "events": ["ticket.triaged"]}, "link-local"),
        ({"url": "http://10.0.0.8/hooks", "events": ["ticket.triaged"]}, "private address"),
        ({"url": "not a url", "events": ["ticket.triaged"]}, "Enter a valid URL"),
        ({"url": "https://93.184.216.34/x", "events": []}, "This field is required"),
        ({"url": "https://93.184.216.34/x", "events": ["ticket.deleted"]}, "not one of"),
        ({"url": "https://93.184.216.34/x" + "a" * 600, "events": ["ticket.triaged"]}, "at most"),
    ]
    for data, message in cases:
        response = client.post(reverse("webhooks"), data)
        assert response.status_code == 400, data
        assert message in response.content.decode(), data
    assert not WebhookEndpoint.objects.exists()


def test_events_and_description_can_be_changed(make_org, login, make_endpoint):
    org = make_org()
    endpoint, _ = make_endpoint(org, "https://93.184.216.34/hooks", events=["ticket.triaged"])
    client = login(owner_of(org))
    page = reverse("webhook_endpoint", args=[endpoint.pk])
    assert client.post(page, {"events": []}).status_code == 400
    saved = client.post(page, {"events": ["ticket.escalated"], "description": "ops"})
    assert saved.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.description) == (["ticket.escalated"], "ops")
    assert AuditLogEntry.objects.filter(action="webhook_endpoint.updated").exists()


def test_delete_asks_first(make_org, login, make_endpoint):
    org = make_org()
    endpoint, _ = make_endpoint(org, "https://93.184.216.34/hooks")
    _emit(org)
    client = login(owner_of(org))
    confirm = client.get(reverse("webhook_endpoint_delete", args=[endpoint.pk]))
    assert confirm.status_code == 200
    assert "Delete the endpoint https://93.184.216.34/hooks?" in confirm.content.decode()
    assert WebhookEndpoint.objects.exists()
    done = client.post(reverse("webhook_endpoint_delete", args=[endpoint.pk]))
    assert done.status_code == 302 and done.url == reverse("webhooks")
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    assert AuditLogEntry.objects.filter(action="webhook_endpoint.deleted").exists()


def test_disable_enable_and_send_a_test_event(
    make_org, login, make_endpoint, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    org = make_org()
    endpoint, secret = make_endpoint(org, receiver.url)
    client = login(owner_of(org))
    toggle = reverse("webhook_endpoint_toggle", args=[endpoint.pk])
    test = reverse("webhook_endpoint_test", args=[endpoint.pk])
    assert client.post(toggle).status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    refused = client.post(test, follow=True)
    assert "Enable the endpoint first." in refused.content.decode()
    assert client.post(toggle).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(test).status_code == 302
    [request] = receiver.wait_for(1)
    assert Webhook(secret).verify(request.body, request.headers)["type"] == "ping"
    actions = set(AuditLogEntry.objects.values_list("action", flat=True))
    assert {"webhook_endpoint.disabled", "webhook_endpoint.enabled"} <= actions
    assert "webhook_endpoint.test_sent" in actions


def test_the_delivery_log_is_newest_first_paginated_and_redeliver_is_a_post(
    make_org, login, make_endpoint, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    org = make_org()
    endpoint, _ = make_endpoint(org, receiver.url)
    for _ in range(26):
        _emit(org)
    latest = _emit(org, event="ticket.resolved")[0]
    client = login(owner_of(org))
    page = reverse("webhook_endpoint", args=[endpoint.pk])
    first = client.get(page).content.decode()
    assert first.count('data-testid="delivery-row"') == 25
    assert first.index("ticket.resolved") < first.index("ticket.triaged")
    assert "Page 1 of 2 · 27 deliveries" in first
    assert client.get(page + "?page=2").content.decode().count('data-testid="delivery-row"') == 2
    assert client.get(page + "?page=zzz").status_code == 200

    redeliver = reverse("webhook_delivery_redeliver", args=[latest.pk])
    assert client.get(redeliver).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(redeliver)
    assert response.status_code == 302 and response.url == page
    again = WebhookDelivery.objects.get(redelivery_of=latest)
    assert again.message_id == latest.message_id
    [request] = receiver.wait_for(1)
    assert request.headers["webhook-id"] == latest.message_id
    again.refresh_from_db()
    assert again.status == "succeeded"
