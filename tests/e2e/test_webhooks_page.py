"""An owner adds a webhook endpoint, copies its secret from the one page that shows it, sends
a test event that the receiver refuses, reads the delivery log and redelivers it; then rolls
the secret and sees the receiver verify with the old and the new one during the overlap."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from accounts.models import Role
from tests.e2e.conftest import sign_in
from tests.webhooks.receiver import local_receiver
from webhooks import services, signing
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver listens on 127.0.0.1
    with local_receiver() as r:
        yield r


def test_owner_adds_an_endpoint_tests_it_and_redelivers(make_org, new_page, shot, receiver):
    org = make_org(name="Hooks Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    page = new_page()
    sign_in(page, owner.email)

    page.get_by_role("link", name="Webhooks").click()
    assert page.get_by_test_id("empty-state").is_visible()
    page.fill("input[name=url]", "http://169.254.169.254/latest/meta-data/")
    page.check("input[value='ticket.answered']")
    page.get_by_role("button", name="Add endpoint").click()
    assert "link-local address" in page.content()
    assert not WebhookEndpoint.objects.exists()

    page.fill("input[name=url]", receiver.url)
    page.check("input[value='ticket.answered']")
    page.check("input[value='ticket.resolved']")
    page.fill("input[name=description]", "Helpdesk bridge")
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.get_by_test_id("signing-secret").inner_text().strip()
    assert secret.startswith("whsec_")
    shot(page, "secret-shown-once")

    page.goto("/settings/webhooks/")
    assert secret not in page.content()
    row = page.get_by_test_id("endpoint-row")
    assert "active" in row.inner_text() and "ticket.resolved" in row.inner_text()
    row.get_by_role("link", name="Deliveries").click()
    assert page.get_by_test_id("empty-log").is_visible()

    receiver.answer(500)
    page.get_by_test_id("send-test").click()
    page.wait_for_load_state()
    delivery_row = page.get_by_test_id("delivery-row")
    assert delivery_row.get_by_test_id("delivery-status").inner_text() == "pending"
    assert "500" in delivery_row.get_by_test_id("delivery-response").inner_text()
    assert delivery_row.get_by_test_id("delivery-attempts").inner_text() == "1"

    delivery_row.get_by_role("button", name="Redeliver").click()
    page.wait_for_load_state()
    rows = page.get_by_test_id("delivery-row")
    assert rows.count() == 2
    assert rows.first.get_by_test_id("delivery-status").inner_text() == "succeeded"
    assert "200" in rows.first.get_by_test_id("delivery-response").inner_text()
    assert "is being redelivered" in page.content()
    shot(page, "delivery-log")

    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert Webhook(secret).verify(second.body, second.headers)["type"] == "ping"
    assert list(WebhookDelivery.objects.order_by("pk").values_list("status", flat=True)) == [
        "pending",
        "succeeded",
    ]


def test_owner_rolls_the_secret_and_the_old_one_still_verifies_during_the_overlap(
    make_org, new_page, shot, receiver
):
    org = make_org(name="Rolling Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    endpoint, old_secret = services.webhook_endpoint_create(
        organization=org, actor=owner, url=receiver.url, events=["ticket.answered"]
    )
    page = new_page()
    sign_in(page, owner.email)
    page.goto(f"/settings/webhooks/{endpoint.pk}/")
    assert page.get_by_test_id("previous-secret-notice").count() == 0

    page.get_by_test_id("roll-secret").click()
    page.wait_for_load_state()
    assert f"Roll the signing secret of {receiver.url}?" in page.content()
    assert "For the next 24 hours" in page.content()
    shot(page, "roll-secret-confirm")
    endpoint.refresh_from_db()
    assert signing.secret_decrypt(endpoint.secret_encrypted) == old_secret  # nothing yet

    with page.expect_response(
        lambda r: r.request.method == "POST" and "/roll-secret/" in r.url
    ) as rolled:
        page.get_by_role("button", name="Roll secret", exact=True).click()
    assert rolled.value.status == 200
    assert rolled.value.headers["cache-control"] == "no-store"
    new_secret = page.get_by_test_id("signing-secret").inner_text().strip()
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    assert "keeps signing next to this one until" in page.content()
    shot(page, "new-secret-shown-once")

    page.get_by_role("link", name="Back to the endpoint", exact=True).click()
    page.wait_for_load_state()
    assert new_secret not in page.content() and old_secret not in page.content()
    notice = page.get_by_test_id("previous-secret-notice").inner_text()
    assert "the old secret still signs" in notice
    page.get_by_test_id("send-test").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("delivery-status").inner_text() == "succeeded"
    shot(page, "old-secret-still-signs")

    [request] = receiver.wait_for(1)
    assert Webhook(old_secret).verify(request.body, request.headers)["type"] == "ping"
    assert Webhook(new_secret).verify(request.body, request.headers)["type"] == "ping"
