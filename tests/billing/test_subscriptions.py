"""Subscriptions against a real localstripe server: plans, card, subscribe, upgrade, cancel at
period end, resume; webhooks delivered by localstripe itself and locally signed ones (forged,
stale, duplicate); the access rules."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import time
from datetime import timedelta

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLogEntry, Membership, Role
from billing import stripe_webhooks as webhooks
from billing.models import BillingAccount, Plan, PlanChange, StripeEvent
from billing.services import subscriptions as subs

GOOD_CARD = "4242424242424242"
CHARGE_DECLINED_CARD = "4000000000000341"  # attaches, then every charge fails
WEBHOOK_PATH = "/billing/stripe/webhook/"


def card_payment_method(base: str, number: str = GOOD_CARD, *, organization, actor) -> str:
    """What the browser does: a SetupIntent from our server, confirmed with the publishable
    key the way localstripe's Stripe.js shim confirms it."""
    secret = subs.setup_intent_create(organization=organization, actor=actor)
    seti = secret.split("_secret_")[0]
    response = requests.post(
        f"{base}/v1/setup_intents/{seti}/confirm",
        json={
            "key": "pk_test_expertdesk",
            "client_secret": secret,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": 12, "exp_year": 2040, "cvc": "123"},
            },
        },
        timeout=5,
    )
    body = response.json()
    assert response.status_code == 200, body
    return str(body["payment_method"])


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def post_event(client, event: dict, *, secret: str, timestamp: int | None = None):
    payload = json.dumps(event).encode()
    return client.post(
        WEBHOOK_PATH,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret, timestamp),
    )


def localstripe_events(base: str, type_: str, *, wait_s: float = 10) -> list[dict]:
    """Events localstripe recorded; some (a declined charge) only appear after a moment."""
    deadline = time.monotonic() + wait_s
    while True:
        response = requests.get(
            f"{base}/v1/events", params={"type": type_}, auth=("sk_test_x", ""), timeout=5
        )
        events = list(response.json()["data"])
        if events or time.monotonic() > deadline:
            return events
        time.sleep(0.25)


@pytest.fixture
def seeded_plans(db: None) -> None:
    """The plans the 0003 data migration seeds; a transactional test's flush removes them for
    the tests after it, so journeys that need them put them back."""
    from django.apps import apps

    seed = importlib.import_module("billing.migrations.0003_seed_plans").seed
    seed(apps, None)


@pytest.fixture
def owner_org(make_org):
    org = make_org(name="Billing Corp")
    owner = Membership.objects.get(organization=org, role=Role.OWNER).user
    return org, owner


@pytest.fixture
def team(seeded_plans: None) -> Plan:
    return Plan.objects.get(code="team")


def test_plans_sync_creates_each_plan_once(stripe_settings, seeded_plans):
    assert subs.plans_sync_to_stripe() == Plan.objects.filter(active=True).count()
    assert subs.plans_sync_to_stripe() == 0
    team = Plan.objects.get(code="team")
    assert team.stripe_plan_id == "expertdesk-team-usd"
    stored = requests.get(
        f"{stripe_settings.STRIPE_API_BASE}/v1/plans/expertdesk-team-usd",
        auth=("sk_test_x", ""),
        timeout=5,
    ).json()
    assert stored["amount"] == team.base_price_cents
    assert stored["interval"] == "month"


def test_subscribe_upgrade_cancel_resume(stripe_settings, owner_org, team):
    org, owner = owner_org
    base = stripe_settings.STRIPE_API_BASE
    pm = card_payment_method(base, organization=org, actor=owner)

    account = subs.subscription_start(
        organization=org, actor=owner, plan=team, payment_method_id=pm
    )
    assert account.status == BillingAccount.Status.ACTIVE
    assert account.plan == team
    assert account.stripe_subscription_id.startswith("sub_")
    assert account.current_period_end is not None
    assert account.current_period_end > timezone.now()
    assert list(
        PlanChange.objects.filter(organization=org).values_list("plan__code", flat=True)
    ) == ["team"]

    enterprise = Plan.objects.get(code="enterprise")
    account = subs.subscription_change_plan(organization=org, actor=owner, plan=enterprise)
    assert account.plan == enterprise
    assert PlanChange.objects.filter(organization=org).count() == 2
    # Stripe (here localstripe) computed the proration: a credit for the unused Team time.
    items = requests.get(
        f"{base}/v1/invoiceitems",
        params={"customer": account.stripe_customer_id},
        auth=("sk_test_x", ""),
        timeout=5,
    ).json()["data"]
    assert any(i["proration"] and i["amount"] == -team.base_price_cents for i in items)

    account = subs.subscription_cancel_at_period_end(organization=org, actor=owner)
    assert account.cancel_at_period_end is True
    assert account.status == BillingAccount.Status.ACTIVE
    assert subs.organization_access(org).can_submit  # paid until the period ends

    account = subs.subscription_resume(organization=org, actor=owner)
    assert account.cancel_at_period_end is False
    actions = set(AuditLogEntry.objects.filter(organization=org).values_list("action", flat=True))
    assert {
        "billing.subscription_started",
        "billing.plan_changed",
        "billing.subscription_canceled",
        "billing.subscription_resumed",
    } <= actions


def test_declined_card_is_a_clear_error_and_changes_nothing(stripe_settings, owner_org, team):
    org, owner = owner_org
    pm = card_payment_method(
        stripe_settings.STRIPE_API_BASE, CHARGE_DECLINED_CARD, organization=org, actor=owner
    )
    with pytest.raises(subs.BillingError, match="could not be charged"):
        subs.subscription_start(organization=org, actor=owner, plan=team, payment_method_id=pm)
    account = BillingAccount.objects.get(organization=org)
    assert account.status == BillingAccount.Status.NONE
    assert not PlanChange.objects.filter(organization=org).exists()


def test_billing_page_for_managers_only(
    stripe_settings, seeded_plans, owner_org, make_user, add_member, login
):
    org, owner = owner_org
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    assert login(agent).get(reverse("billing")).status_code == 403
    assert login(agent).post(reverse("billing_cancel")).status_code == 403
    page = login(owner).get(reverse("billing"), {"plan": "team"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Subscribe to Team" in html
    assert f"{stripe_settings.STRIPE_API_BASE}/js.stripe.com/v3/" in html
    assert "$199.00" in html


def test_views_subscribe_change_cancel_resume(stripe_settings, owner_org, team, login):
    org, owner = owner_org
    client = login(owner)
    secret = client.post(reverse("billing_setup_intent")).json()["client_secret"]
    assert secret.startswith("seti_")
    pm = card_payment_method(stripe_settings.STRIPE_API_BASE, organization=org, actor=owner)

    response = client.post(
        reverse("billing_subscribe"), {"plan": "team", "payment_method": pm}, follow=True
    )
    assert "Subscribed" in response.content.decode()
    assert BillingAccount.objects.get(organization=org).status == "active"

    client.post(reverse("billing_change_plan"), {"plan": "starter", "request_token": "t1"})
    plan = BillingAccount.objects.get(organization=org).plan
    assert plan is not None and plan.code == "starter"
    client.post(reverse("billing_cancel"))
    assert BillingAccount.objects.get(organization=org).cancel_at_period_end
    page = client.post(reverse("billing_resume"), follow=True).content.decode()
    assert "continues" in page
    assert not BillingAccount.objects.get(organization=org).cancel_at_period_end


def test_stripe_unreachable_is_a_flash_not_a_500(stripe_settings, owner_org, login):
    org, owner = owner_org
    stripe_settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens on discard
    client = login(owner)
    response = client.post(
        reverse("billing_subscribe"), {"plan": "team", "payment_method": "pm_x"}, follow=True
    )
    assert response.status_code == 200
    assert "can&#x27;t be reached" in response.content.decode()
    assert client.post(reverse("billing_setup_intent")).status_code == 502


def test_stripe_not_configured_is_a_clear_error_not_a_500(settings, owner_org, team, login):
    """No STRIPE_SECRET_KEY (a server nobody set up for payments): every billing action says
    so in a sentence and changes nothing."""
    org, owner = owner_org
    settings.STRIPE_SECRET_KEY = ""
    client = login(owner)
    page = client.post(
        reverse("billing_subscribe"), {"plan": "team", "payment_method": "pm_x"}, follow=True
    )
    assert page.status_code == 200
    assert "Payments are not configured on this server." in page.content.decode()
    intent = client.post(reverse("billing_setup_intent"))
    assert intent.status_code == 502
    assert intent.json() == {"error": "Payments are not configured on this server."}
    # An organization that subscribed before the keys were removed.
    account = subs.billing_account_for(org)
    account.status, account.stripe_subscription_id = "active", "sub_gone"
    account.stripe_customer_id = "cus_gone"
    account.save()
    for name, data in (
        ("billing_cancel", {}),
        ("billing_resume", {}),
        ("billing_change_plan", {"plan": "starter", "request_token": "t"}),
    ):
        page = client.post(reverse(name), data, follow=True)
        assert page.status_code == 200, name
        assert "Payments are not configured on this server." in page.content.decode(), name
    account.refresh_from_db()
    assert (account.status, account.cancel_at_period_end) == ("active", False)
    assert account.plan_id is None
    assert not PlanChange.objects.filter(organization=org).exists()


# serialized_rollback: the flush after this test would otherwise drop the seeded plans.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_localstripe_delivers_signed_webhooks_that_are_applied(
    stripe_settings, live_server, owner_org, team
):
    org, owner = owner_org
    base = stripe_settings.STRIPE_API_BASE
    registered = requests.post(
        f"{base}/_config/webhooks/expertdesk",
        data={
            "url": live_server.url + WEBHOOK_PATH,
            "secret": stripe_settings.STRIPE_WEBHOOK_SECRET,
        },
        timeout=5,
    )
    assert registered.status_code == 200
    # Subscribed at Stripe directly (as from its dashboard): only the webhooks can tell us.
    subs.plans_sync_to_stripe()
    pm = card_payment_method(base, organization=org, actor=owner)
    customer = BillingAccount.objects.get(organization=org).stripe_customer_id
    auth = ("sk_test_x", "")
    requests.post(
        f"{base}/v1/payment_methods/{pm}/attach", data={"customer": customer}, auth=auth, timeout=5
    )
    requests.post(
        f"{base}/v1/customers/{customer}",
        data={"invoice_settings[default_payment_method]": pm},
        auth=auth,
        timeout=5,
    )
    created = requests.post(
        f"{base}/v1/subscriptions",
        data={"customer": customer, "items[0][plan]": "expertdesk-team-usd"},
        auth=auth,
        timeout=5,
    ).json()
    assert created["status"] == "active"

    # Wait for this subscription's events (deliveries left over from earlier tests may come
    # first): localstripe sends each one a second after the fact.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if (
            org.invoices.exists()
            and BillingAccount.objects.filter(organization=org, status="active").exists()
        ):
            break
        time.sleep(0.3)
    handled = StripeEvent.objects.filter(processed_at__isnull=False)
    assert {"customer.subscription.created", "invoice.payment_succeeded"} <= set(
        handled.values_list("type", flat=True)
    )
    account = BillingAccount.objects.get(organization=org)
    assert (account.status, account.plan, account.stripe_subscription_id) == (
        "active",
        team,
        created["id"],
    )
    assert PlanChange.objects.filter(organization=org, plan=team).exists()
    assert org.invoices.filter(amount_paid_cents=team.base_price_cents).exists()
    requests.post(
        f"{base}/_config/webhooks/expertdesk",
        data={"url": "http://127.0.0.1:9/", "secret": "whsec_gone"},
        timeout=5,
    )


def test_forged_and_stale_webhooks_are_rejected(stripe_settings, owner_org, client):
    event = {
        "id": "evt_forged",
        "type": "customer.subscription.deleted",
        "data": {"object": {"id": "sub_x", "customer": "cus_x", "status": "canceled"}},
    }
    assert post_event(client, event, secret="whsec_attacker").status_code == 400  # noqa: S106
    stale = int(time.time()) - 3600
    secret = stripe_settings.STRIPE_WEBHOOK_SECRET
    assert post_event(client, event, secret=secret, timestamp=stale).status_code == 400
    assert client.post(WEBHOOK_PATH, data=b"{}", content_type="application/json").status_code == 400
    assert not StripeEvent.objects.exists()


def test_duplicate_delivery_is_processed_once(
    stripe_settings, owner_org, team, client, monkeypatch
):
    org, owner = owner_org
    base = stripe_settings.STRIPE_API_BASE
    pm = card_payment_method(base, organization=org, actor=owner)
    subs.subscription_start(organization=org, actor=owner, plan=team, payment_method_id=pm)
    (event,) = localstripe_events(base, "customer.subscription.created")

    calls: list[str] = []
    real = webhooks.HANDLERS["customer.subscription.created"]

    def counting(obj):
        calls.append(obj["id"])
        real(obj)

    monkeypatch.setitem(webhooks.HANDLERS, "customer.subscription.created", counting)
    secret = stripe_settings.STRIPE_WEBHOOK_SECRET
    first = post_event(client, event, secret=secret)
    second = post_event(client, event, secret=secret)
    assert (first.status_code, first.content) == (200, b"ok")
    assert (second.status_code, second.content) == (200, b"duplicate")
    assert len(calls) == 1
    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1


def test_past_due_starts_the_grace_period_then_read_only(stripe_settings, owner_org, team):
    # localstripe declines renewals asynchronously and never turns a subscription past_due in
    # a test's time, so Stripe's report of it is given to the same sync the webhooks use.
    org, owner = owner_org
    pm = card_payment_method(stripe_settings.STRIPE_API_BASE, organization=org, actor=owner)
    account = subs.subscription_start(
        organization=org, actor=owner, plan=team, payment_method_id=pm
    )
    snapshot = {
        "id": account.stripe_subscription_id,
        "customer": account.stripe_customer_id,
        "status": "past_due",
        "cancel_at_period_end": False,
        "items": {"data": [{"plan": {"id": team.stripe_plan_id}}]},
    }
    account = subs.subscription_sync(organization=org, stripe_subscription=snapshot)
    assert account.status == BillingAccount.Status.PAST_DUE
    assert account.past_due_since is not None
    during = subs.organization_access(org)
    assert during.can_submit and not during.read_only and "payment failed" in during.banner
    after = subs.organization_access(org, now=timezone.now() + timedelta(days=8))
    assert not after.can_submit and after.read_only
    account = subs.subscription_sync(
        organization=org, stripe_subscription={**snapshot, "status": "active"}
    )
    assert account.past_due_since is None
    assert subs.organization_access(org) == subs.Access()


def test_access_rules(settings, owner_org):
    org, _ = owner_org
    settings.STRIPE_SECRET_KEY = ""
    account = subs.billing_account_for(org)
    account.status = BillingAccount.Status.CANCELED
    account.save()
    assert subs.organization_access(org) == subs.Access()  # no Stripe: nothing enforced
    settings.STRIPE_SECRET_KEY = "sk_test_x"  # noqa: S105
    canceled = subs.organization_access(org)
    assert canceled.read_only and not canceled.can_submit and "kept" in canceled.banner
    account.status = BillingAccount.Status.NONE
    account.save()
    assert subs.organization_access(org).can_submit  # the free trial state
    account.status = BillingAccount.Status.PAST_DUE
    account.past_due_since = timezone.now() - timedelta(days=subs.grace_days() + 1)
    account.save()
    assert subs.organization_access(org).read_only
