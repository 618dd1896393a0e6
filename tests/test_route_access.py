"""Who may call what, on every route of the URLconf (walked, not listed by hand; Django's
admin, allauth's pages and static files are left out): an anonymous visitor, the owner (and
the API key) of another organization, an agent and an admin, an expert without an
organization and, on /api/, organization and expert API keys; each on every method the view
serves (HEAD aside), with an empty body.

Who a route is for is read off its view's base classes (`accounts.tenancy`, `api.views`) and
checked against the lists written out below: a route whose base class changes, a new route
with none, or a route whose URL names an object nobody mapped fails
`test_every_route_is_classified`. Each "refused" check has its counterpart that the same URL
works for the right caller, so a 404 or a 403 is about the caller, never a wrong URL.

The world (organization A with its owner, admin and agent, tickets, an attachment, an
article, a webhook endpoint and delivery, an API key, an invitation, a model version and a
training run; organization B and its key; two experts with claims) is built once for the
module; every request runs in a savepoint that is rolled back, so a POST changes nothing for
the next one."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

import pytest
from allauth.socialaccount.models import SocialApp
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.staticfiles.views import serve as staticfiles_serve
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Max
from django.http import HttpResponseBase
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.views.static import serve as static_serve

from accounts import services as accounts_services
from accounts import tenancy
from accounts.models import (
    ApiKey,
    Invitation,
    Membership,
    Organization,
    Role,
    SingleSignOn,
    SsoDomain,
    User,
)
from api.views import ApiViewMixin, ExpertApiViewMixin
from billing import services as billing
from billing.models import Plan
from ml.models import ModelVersion, TrainingRun
from solutions.models import Attachment, Claim, Dispute, ExpertProfile, KnowledgeArticle, Ticket
from solutions.services import disputes as dispute_services
from solutions.services import experts as expert_services
from solutions.services import knowledge as kb_services
from solutions.services import tickets as ticket_services
from solutions.services.expert_api_keys import expert_api_key_create
from tests.factories import OrganizationFactory, UserFactory
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ the routes


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    callback: Callable[..., HttpResponseBase]
    params: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")


def _params(pattern: Any) -> list[str]:
    converters = getattr(pattern, "converters", None)
    if converters:  # path()
        return list(converters)
    return list(pattern.regex.groupindex)  # re_path(), DRF's router


def _walk(
    patterns: list[Any], prefix: str = "", namespace: tuple[str, ...] = (), params: tuple = ()
) -> Iterator[Route]:
    for entry in patterns:
        here = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if here in EXCLUDED_PREFIXES:
                continue
            ns = (*namespace, entry.namespace) if entry.namespace else namespace
            yield from _walk(entry.url_patterns, here, ns, (*params, *_params(entry.pattern)))
        elif isinstance(entry, URLPattern) and entry.callback not in STATIC_VIEWS:
            name = ":".join((*namespace, entry.name or f"<unnamed {here}>"))
            yield Route(name, here, entry.callback, (*params, *_params(entry.pattern)))


# Third-party route trees, not ours to classify: Django's admin and allauth's pages; and
# static files and media where a URLconf serves them (DEBUG).
EXCLUDED_PREFIXES = {"admin/", "accounts/"}
STATIC_VIEWS = (static_serve, staticfiles_serve)
ROUTES = sorted(_walk(get_resolver().url_patterns), key=lambda r: r.pattern)
BY_NAME = {r.name: r for r in ROUTES}


# ------------------------------------------------------------------ who may call each route

PUBLIC = "public"  # anyone, on purpose
LOGIN = "login"  # any signed-in user, with or without an organization
ORG = "org"  # a member of the active organization, any role
MANAGER = "manager"  # an owner or admin of the active organization
EXPERT = "expert"  # a user with an expert profile
API_ORG = "api-org"  # an organization's key, or a member's session
API_EXPERT = "api-expert"  # an expert's key, or an expert's session

# Public on purpose, with the method and the status an anonymous call gets.
PUBLIC_ROUTES: dict[str, tuple[str, int]] = {
    "landing": ("GET", 200),
    "healthz": ("GET", 200),
    # Readiness for load balancers: each check's status, no data (tests/observability/).
    "readyz": ("GET", 200),
    # Prometheus: open to loopback in test settings (the test client's address); a bearer
    # token elsewhere, and production answers 404 without it (tests/observability/).
    "metrics": ("GET", 200),
    "api_schema": ("GET", 200),
    "api_docs": ("GET", 200),
    # Stripe's calls carry no session: the signature is the check (none here: a 400).
    "stripe_webhook": ("POST", 400),
    # The emailed token is the capability; accepting it needs a signed-in invitee.
    "invitation_accept": ("GET", 200),
    # Single sign-on starts before anyone is signed in: an empty form goes back to log in.
    "sso_start": ("POST", 302),
    # A mail provider's inbound webhook (anymail checks its secret and signature); none is
    # configured here, so every call is a 404.
    "inbound_anymail_webhook": ("POST", 404),
    # The requester's one-click rating: the signed, expiring link is the capability.
    "satisfaction_rate": ("GET", 200),
}
# Views that are functions, not classes: their access can't be read off a base class.
FUNCTION_VIEWS: dict[str, tuple[str, str]] = {"organization_switch": (LOGIN, "POST")}

# What the view classes say (below), written out: a route that leaves one of these lists, or
# joins it, must be a decision, not an accident of a changed base class.
LOGIN_ONLY_ROUTES = {
    "account_security",
    "dashboard",
    "expert_onboarding",
    "notifications",
    "notifications_mark_read",
    "organization_create",
    "organization_switch",
}
MANAGER_ONLY_ROUTES = {
    "api_key_revoke",
    "api_keys",
    "audit_log",
    "billing",
    "billing_cancel",
    "billing_change_plan",
    "billing_invoices",
    "billing_resume",
    "billing_setup_intent",
    "billing_sla_calendar",
    "billing_subscribe",
    "billing_usage",
    "inbound_alias_add",
    "inbound_alias_remove",
    "inbound_settings",
    "invitation_revoke",
    "kb_archive",
    "kb_create",
    "kb_edit",
    "kb_import",
    "kb_restore",
    "member_role",
    "ml_model",
    "ml_promote",
    "ml_review",
    "ml_review_decide",
    "ml_rollback",
    "ml_train",
    "ml_training_progress",
    "reports",
    "reports_export",
    "solution_settings",
    "sso_domain_add",
    "sso_domain_remove",
    "sso_enable",
    "sso_enforce",
    "sso_settings",
    "webhook_delivery_redeliver",
    "webhook_endpoint",
    "webhook_endpoint_delete",
    "webhook_endpoint_roll_secret",
    "webhook_endpoint_test",
    "webhook_endpoint_toggle",
    "webhooks",
}
# API calls an agent's session may not make, by route and method: the API has no role
# attribute to read off a class (the view or the service checks the role), so this list is
# the only source; the pages' counterparts are in MANAGER_ONLY_ROUTES.
API_MANAGER_ONLY: dict[str, set[str]] = {
    "api-usage": {"GET"},  # billing_usage
    "api-reports-summary": {"GET"},  # reports
    "api-article-list": {"POST"},  # kb_create
    "api-article-detail": {"PATCH"},  # kb_edit
    "api-article-archive": {"POST"},  # kb_archive
    "api-article-restore": {"POST"},  # kb_restore
}


def _view_class(callback: Any) -> type | None:
    return getattr(callback, "view_class", None) or getattr(callback, "cls", None)


def access_of(route: Route) -> str | None:
    """What the view's base classes enforce; None for a route nobody classified."""
    if route.name in PUBLIC_ROUTES:
        return PUBLIC
    cls = _view_class(route.callback)
    if cls is None:
        return FUNCTION_VIEWS.get(route.name, (None, ""))[0]
    if issubclass(cls, ExpertApiViewMixin):
        return API_EXPERT
    if issubclass(cls, ApiViewMixin):
        return API_ORG
    if issubclass(cls, tenancy.OrganizationRequiredMixin):
        roles = cls.required_roles
        return MANAGER if roles is not None and Role.AGENT not in roles else ORG
    if issubclass(cls, tenancy.ExpertRequiredMixin):
        return EXPERT
    if issubclass(cls, LoginRequiredMixin):
        return LOGIN
    return None


def methods_of(route: Route) -> list[str]:
    """The methods the view serves (GET first): a DRF route's actions, a view class's
    handlers; a function view's are written out above."""
    if route.name in PUBLIC_ROUTES:
        return [PUBLIC_ROUTES[route.name][0]]
    actions = getattr(route.callback, "actions", None)  # a DRF viewset's route
    cls = _view_class(route.callback)
    if actions:
        served = {m.upper() for m in actions} - {"HEAD", "OPTIONS"}
    elif cls is not None:
        served = {m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)}
    else:
        served = {FUNCTION_VIEWS[route.name][1]}
    return sorted(served, key=lambda m: (m != "GET", m))


# ------------------------------------------------------------------ the world


@dataclass
class World:
    org_a: Organization
    org_b: Organization
    owner_a: User
    admin_a: User
    agent_a: User
    owner_b: User
    expert: User  # vetted, skills network and hardware; holds `claim` on `claimed`
    other_expert: User  # holds `other_claim` on `other_claimed`
    ticket: Ticket  # A's, with an attachment; its number is not one of B's
    attachment: Attachment
    claimed: Ticket
    claim: Claim
    queued: Ticket  # escalated, in the expert's queue, unclaimed
    hidden: Ticket  # A's, never escalated, outside the expert's skills
    other_claimed: Ticket
    other_claim: Claim
    disputed: Ticket  # answered by the expert, its answer disputed by A's agent
    dispute: Dispute
    article: KnowledgeArticle
    endpoint: WebhookEndpoint
    delivery: WebhookDelivery
    api_key: ApiKey
    invitation: Invitation
    invitation_token: str
    sso_domain: SsoDomain  # A's single sign-on domain
    membership: Membership  # the agent's
    run: TrainingRun
    version: ModelVersion
    org_key_a: str
    org_key_b: str
    expert_key: str
    # Text of organization A that no one outside it may read anywhere.
    secrets_of_a: tuple[str, ...]
    # The unmasked words of tickets experts work on; experts read masked copies only.
    unmasked: tuple[str, ...]


def _user(**kwargs: Any) -> User:
    return cast(User, UserFactory(**kwargs))


def _org(creator: User, name: str) -> Organization:
    return cast(Organization, OrganizationFactory(creator=creator, name=name))


def _member(org: Organization, owner: User, user: User, role: str) -> Membership:
    issued = accounts_services.invitation_create(
        actor=owner, organization=org, email=user.email, role=role
    )
    return accounts_services.invitation_accept(token=issued.token, user=user)


def _expert(skills: list[str]) -> User:
    user = _user()
    ExpertProfile.objects.create(user=user, headline="IT generalist", skills=skills, vetted=True)
    return user


def _escalated(org: Organization, title: str, masked: str, category: str = "network") -> Ticket:
    """A ticket as escalation leaves it (see tests/solutions/conftest.py), built directly."""
    number = (Ticket.objects.filter(organization=org).aggregate(n=Max("number"))["n"] or 0) + 1
    price = 8000
    pay = billing.expert_pay(gross_cents=price, commission_bps=billing.commission_bps_of(org))
    ticket = Ticket.objects.create(
        organization=org,
        number=number,
        title=title,
        body=f"{title}: since Monday, every hour.",
        status=Ticket.Status.ESCALATED,
        category=category,
        priority="high",
        predicted_category=category,
        predicted_priority="high",
        masked_title=masked,
        masked_body=f"{masked}: since Monday, every hour.",
        expert_price_cents=price,
        expert_net_cents=pay.net_cents,
        escalated_at=timezone.now(),
    )
    billing.spend_hold_place(organization=org, ticket_id=ticket.pk, amount_cents=price)
    return ticket


def _claim(expert: User, ticket: Ticket) -> Claim:
    return expert_services.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)


def build_world() -> World:
    owner_b = _user(email="owner-b@example.test")
    org_b = _org(owner_b, "Org B")
    # B's ticket #1: A's tickets addressed by number must not be #1.
    ticket_services.ticket_submit(
        organization=org_b, author=owner_b, title="B's own ticket", body="B's printer."
    )
    _, org_key_b = accounts_services.api_key_create(
        organization=org_b, actor=owner_b, name="B's key", scopes=list(ApiKey.Scope.values)
    )

    owner_a = _user(email="owner-a-secret@example.test")
    org_a = _org(owner_a, "Org A")
    admin_a = _user(email="admin-a-secret@example.test")
    agent_a = _user(email="agent-a-secret@example.test")
    _member(org_a, owner_a, admin_a, Role.ADMIN)
    membership = _member(org_a, owner_a, agent_a, Role.AGENT)

    expert = _expert(["network", "hardware"])
    other_expert = _expert(["network"])
    claimed = _escalated(org_a, "VPN of Zoltan Quetzal drops", "VPN of [PERSON 1] drops")
    other_claimed = _escalated(org_a, "Router of Ildiko Vrana drops", "Router of [PERSON 1] drops")
    queued = _escalated(org_a, "Laptop of Ottokar Brzezinski dead", "Laptop of [PERSON 1] dead")
    claim = _claim(expert, claimed)
    disputed = _escalated(org_a, "Printer of Zoltan Quetzal jams", "Printer of [PERSON 1] jams")
    disputed_answer = expert_services.expert_answer_submit(
        expert=expert,
        claim_id=_claim(expert, disputed).pk,
        body="Clean the fuser, then reseat the paper tray.",
    )
    other_claim = _claim(other_expert, other_claimed)
    ticket = ticket_services.ticket_submit(
        organization=org_a,
        author=agent_a,
        title="A-secret: payroll export fails",
        body="A-secret body: the payroll export fails at step 3.",
        attachments=[SimpleUploadedFile("a-secret.log", b"line one\n")],
    )
    hidden = ticket_services.ticket_submit(
        organization=org_a,
        author=agent_a,
        title="A-secret: Excel macro broken",
        body="A-secret body: the macro is broken.",
    )
    assert ticket.number != 1 and hidden.number != 1
    Ticket.objects.filter(pk=hidden.pk).update(category="software")

    article = kb_services.article_create(
        organization=org_a, actor=None, title="A-secret article", body="A-secret KB body."
    )
    endpoint, _ = webhook_services.webhook_endpoint_create(
        organization=org_a,
        actor=owner_a,
        url="http://127.0.0.1:9/a-secret-hooks",
        events=["ticket.triaged"],
    )
    delivery = webhook_services.webhook_endpoint_send_test(actor=owner_a, endpoint=endpoint)
    api_key, org_key_a = accounts_services.api_key_create(
        organization=org_a, actor=owner_a, name="A-secret key", scopes=list(ApiKey.Scope.values)
    )
    issued = accounts_services.invitation_create(
        actor=owner_a, organization=org_a, email="invitee-a-secret@example.test", role=Role.AGENT
    )
    version = ModelVersion.objects.create(
        organization=org_a, version=1, status=ModelVersion.Status.READY
    )
    run = TrainingRun.objects.create(organization=org_a, requested_by=owner_a)
    _, expert_key = expert_api_key_create(expert=expert, actor=expert, name="E's key")
    Plan.objects.update(api_requests_per_minute=1_000_000)
    # A's single sign-on, stored as its service stores it (which would fetch the issuer).
    sso_app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id=f"org-{org_a.slug}",
        name="Org A",
        client_id="a-secret-client",
        settings={"server_url": "https://idp.a-secret.example"},
    )
    SingleSignOn.objects.create(
        organization=org_a, social_app=sso_app, client_secret_encrypted="x", enabled=True
    )
    sso_domain = SsoDomain.objects.create(organization=org_a, domain="a-secret.example")
    unmasked = ("Zoltan", "Quetzal", "Ildiko", "Vrana", "Ottokar", "Brzezinski")
    return World(
        org_a=org_a,
        org_b=org_b,
        owner_a=owner_a,
        admin_a=admin_a,
        agent_a=agent_a,
        owner_b=owner_b,
        expert=expert,
        other_expert=other_expert,
        ticket=ticket,
        attachment=ticket.attachments.get(),
        claimed=claimed,
        claim=claim,
        queued=queued,
        hidden=hidden,
        other_claimed=other_claimed,
        other_claim=other_claim,
        disputed=disputed,
        dispute=dispute_services.dispute_open(
            ticket=disputed,
            actor=agent_a,
            answer_id=disputed_answer.pk,
            reason="The printer still jams on every page.",
        ),
        article=article,
        endpoint=endpoint,
        delivery=delivery,
        api_key=api_key,
        invitation=issued.invitation,
        invitation_token=issued.token,
        sso_domain=sso_domain,
        membership=membership,
        run=run,
        version=version,
        org_key_a=org_key_a,
        org_key_b=org_key_b,
        expert_key=expert_key,
        secrets_of_a=("A-secret", "a-secret", *unmasked),
        unmasked=unmasked,
    )


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, _stripe_unreachable: None
) -> Iterator[World]:
    """Built once for the module, in a transaction rolled back at its end; each test runs in
    a savepoint inside it (pytest-django's `db`), and each request in one more."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(scope="module", autouse=True)
def _stripe_unreachable() -> Iterator[None]:
    """Billing's Stripe calls fail fast and are handled (nothing listens on port 9); no test
    here talks to Stripe, and the webhook endpoint's loopback target is allowed."""
    with override_settings(
        STRIPE_SECRET_KEY="sk_test_route_access",
        STRIPE_API_BASE="http://127.0.0.1:9",
        WEBHOOK_ALLOW_PRIVATE_TARGETS=True,
    ):
        yield


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


# ------------------------------------------------------------------ the objects in the URLs

Kwargs = Callable[[World], dict[str, Any]]
# The object of organization A (or of the expert) each route's URL names, from its view.
OBJECTS: dict[str, Kwargs] = {
    "invitation_accept": lambda w: {"token": w.invitation_token},
    "member_role": lambda w: {"pk": w.membership.pk},
    "member_remove": lambda w: {"pk": w.membership.pk},
    "invitation_revoke": lambda w: {"pk": w.invitation.pk},
    "api_key_revoke": lambda w: {"pk": w.api_key.pk},
    "sso_domain_remove": lambda w: {"pk": w.sso_domain.pk},
    "ticket_detail": lambda w: {"number": w.ticket.number},
    "ticket_escalate": lambda w: {"number": w.ticket.number},
    "ticket_attachment": lambda w: {"number": w.ticket.number, "pk": w.attachment.pk},
    "ticket_action": lambda w: {"number": w.ticket.number, "action": "close"},
    "ticket_merge": lambda w: {"number": w.ticket.number},
    "kb_detail": lambda w: {"pk": w.article.pk},
    "kb_edit": lambda w: {"pk": w.article.pk},
    "kb_archive": lambda w: {"pk": w.article.pk},
    "kb_restore": lambda w: {"pk": w.article.pk},
    "webhook_endpoint": lambda w: {"pk": w.endpoint.pk},
    "webhook_endpoint_toggle": lambda w: {"pk": w.endpoint.pk},
    "webhook_endpoint_test": lambda w: {"pk": w.endpoint.pk},
    "webhook_endpoint_delete": lambda w: {"pk": w.endpoint.pk},
    "webhook_endpoint_roll_secret": lambda w: {"pk": w.endpoint.pk},
    "webhook_delivery_redeliver": lambda w: {"pk": w.delivery.pk},
    "ml_training_progress": lambda w: {"pk": w.run.pk},
    "ml_promote": lambda w: {"pk": w.version.pk},
    "expert_ticket": lambda w: {"pk": w.claimed.pk},
    "expert_answer": lambda w: {"pk": w.claim.pk},
    "expert_release": lambda w: {"pk": w.claim.pk},
    "ticket_dispute": lambda w: {"number": w.ticket.number},
    "api-ticket-dispute-list": lambda w: {"number": w.disputed.number},
    "api-ticket-dispute-detail": lambda w: {"number": w.disputed.number, "pk": w.dispute.pk},
    "ticket_messages": lambda w: {"number": w.ticket.number},
    "expert_ticket_messages": lambda w: {"pk": w.claimed.pk},
    "satisfaction_rate": lambda w: {"token": _rating_token(w)},
    "inbound_alias_remove": lambda w: {"pk": _inbound_alias(w).pk},
    "ticket_requester_reply": lambda w: {"number": w.ticket.number},
    "inbound_anymail_webhook": lambda w: {"esp": "postmark"},
    "api-ticket-message-list": lambda w: {"number": w.ticket.number},
    "api-expert-ticket-message-list": lambda w: {"pk": w.claimed.pk},
    **{
        f"api-ticket-{action}": lambda w: {"number": w.ticket.number}
        for action in (
            "detail",
            "add-detail",
            "close",
            "correct",
            "escalate",
            "expert-preview",
            "feedback",
            "merge",
            "rate",
            "withdraw",
        )
    },
    **{
        f"api-article-{action}": lambda w: {"pk": w.article.pk}
        for action in ("detail", "archive", "restore")
    },
    "api-expert-ticket-detail": lambda w: {"pk": w.claimed.pk},
    "api-expert-ticket-answer": lambda w: {"pk": w.claimed.pk},
    "api-expert-ticket-release": lambda w: {"pk": w.claimed.pk},
    "api-expert-ticket-claim": lambda w: {"pk": w.queued.pk},
}


def _rating_token(w: World) -> str:
    """A rating link of a survey of A's ticket (made here: the world has no resolved one)."""
    from reports.models import SatisfactionSurvey
    from reports.services import survey_token

    survey, _ = SatisfactionSurvey.objects.get_or_create(
        ticket=w.ticket,
        defaults={"organization": w.org_a, "email": "requester@example.test", "resolver": "ai"},
    )
    return survey_token(survey, 5)


def _inbound_alias(w: World) -> Any:
    """An e-mail alias of A (made here: the world has none)."""
    from inbound.models import InboundAlias

    alias, _ = InboundAlias.objects.get_or_create(
        address="help@a-secret.example", defaults={"organization": w.org_a}
    )
    return alias


# For the expert routes: objects the expert may not read. Tickets neither in their queue nor
# ever claimed by them: one never escalated and outside their skills, one of their skills
# that another expert holds; and that expert's claim.
HIDDEN_FROM_EXPERT: dict[str, Callable[[World], list[dict[str, Any]]]] = {
    "expert_ticket": lambda w: [{"pk": w.hidden.pk}, {"pk": w.other_claimed.pk}],
    "expert_answer": lambda w: [{"pk": w.other_claim.pk}],
    "expert_release": lambda w: [{"pk": w.other_claim.pk}],
    # The conversation of a ticket another expert holds, or the expert never could see.
    "expert_ticket_messages": lambda w: [{"pk": w.hidden.pk}, {"pk": w.other_claimed.pk}],
    "api-expert-ticket-message-list": lambda w: [
        {"pk": w.hidden.pk},
        {"pk": w.other_claimed.pk},
    ],
    **{
        f"api-expert-ticket-{action}": lambda w: [{"pk": w.hidden.pk}, {"pk": w.other_claimed.pk}]
        for action in ("detail", "answer", "release")
    },
    # A claim on a ticket of the expert's skills that someone else holds is a 409 that says
    # so, by design (`expert_ticket_taken`); outside their skills, a 404.
    "api-expert-ticket-claim": lambda w: [{"pk": w.hidden.pk}],
}
# The page's claim button (POST) on a ticket of the expert's skills that another expert
# took goes back to the queue with the reason as a message (the API's 409); no claim is
# made (a claim goes to the answer page). Any other hidden ticket is a 404.
HIDDEN_REDIRECTS: dict[tuple[str, str], tuple[str, Kwargs]] = {
    ("expert_ticket", "POST"): ("expert_queue", lambda w: {"pk": w.other_claimed.pk})
}


# Where an empty body stops at validation before the check this walk is about, a body that
# gets past it.
BODIES: dict[tuple[str, str], Kwargs] = {
    # The service refuses an agent's article, but only once the article is valid.
    ("api-article-list", "POST"): lambda w: {"title": "Agent's article", "body": "Steps."},
    # An empty form names no plan: a 404 of the plan, before the subscription is looked at.
    ("billing_change_plan", "POST"): lambda w: {
        "plan": Plan.objects.filter(active=True).values_list("code", flat=True).first()
    },
}


# ------------------------------------------------------------------ calling


def session(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


@dataclass
class Answer:
    status: int
    location: str
    content_type: str
    body: str


def call(client: Client, route: Route, kwargs: dict[str, Any], method: str, world: World) -> Answer:
    """One request, in a savepoint rolled back after it: a POST changes nothing for the
    next call. The body is empty (a form for pages, JSON for the API) unless BODIES has one."""
    url = reverse(route.name, kwargs=kwargs)
    fields = BODIES[route.name, method](world) if (route.name, method) in BODIES else {}
    if route.is_api:
        body, content_type = (json.dumps(fields) if fields else ""), "application/json"
    else:
        body, content_type = urlencode(fields), "application/x-www-form-urlencoded"
    with transaction.atomic():
        if method == "GET":
            response = client.get(url)
        else:
            response = client.generic(method, url, body, content_type)
        # The test client closes a response itself (a streamed one once it is read): closing
        # it again would fire request_finished, which closes the database connection.
        if response.streaming:
            raw = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        else:
            raw = response.content
        transaction.set_rollback(True)
    return Answer(
        response.status_code,
        response.get("Location", ""),
        response.get("Content-Type", ""),
        raw.decode("utf-8", "replace"),
    )


# ------------------------------------------------------------------ what an answer means

REDIRECTS = (301, 302, 303, 307, 308)
# A failure to call this view at all (not a failure of the empty body): a 502 is billing's
# answer when Stripe can't be reached, which it can't here.
UNREACHABLE_STRIPE = {("billing_setup_intent", "POST"): 502}


def redirect_path(answer: Answer) -> str:
    return urlsplit(answer.location).path if answer.status in REDIRECTS else ""


def is_problem(answer: Answer, status: int) -> bool:
    """The API's RFC 9457 problem document with this status."""
    if answer.status != status or not answer.content_type.startswith("application/problem+json"):
        return False
    return bool(json.loads(answer.body).get("status") == status)


def refused_to(answer: Answer, route: Route, *, page_redirect: str, api_status: int) -> bool:
    """Pages send the caller to `page_redirect` (a URL name); the API answers a problem."""
    if route.is_api:
        return is_problem(answer, api_status)
    return redirect_path(answer) == reverse(page_redirect)


# Where the gates send a caller they refuse.
GATES = ("account_login", "expert_onboarding", "organization_create")


def reached(answer: Answer, route: Route, method: str) -> bool:
    """The caller got past authentication and permissions: a page, a redirect that is not
    to a gate (a gate's own form may send back to itself), or (for bodies, which are empty)
    a validation error or a conflict of the ticket's state."""
    if UNREACHABLE_STRIPE.get((route.name, method)) == answer.status:
        return True
    ok = 200 <= answer.status < 400 or (method != "GET" and answer.status in (400, 409))
    gates = {reverse(name) for name in GATES if name != route.name}
    return ok and redirect_path(answer) not in gates


def describe(who: str, method: str, route: Route, answer: Answer, expected: str) -> str:
    where = f" -> {answer.location}" if answer.location else ""
    return f"{who} {method} {route.name}: {answer.status}{where}, expected {expected}"


def leaked(answer: Answer, words: tuple[str, ...]) -> list[str]:
    return [w for w in words if w in answer.body]


# ------------------------------------------------------------------ the tests


def _routes(*kinds: str) -> list[Route]:
    return [r for r in ROUTES if access_of(r) in kinds]


NOT_PUBLIC = (LOGIN, ORG, MANAGER, EXPERT, API_ORG, API_EXPERT)
API_KINDS = (API_ORG, API_EXPERT)


def _kwargs(route: Route, world: World) -> dict[str, Any]:
    if not route.params:
        return {}
    if route.name not in OBJECTS:
        pytest.fail(f"{route.name} ({route.pattern}) names an object: map it in OBJECTS")
    return OBJECTS[route.name](world)


def _by_route(routes: list[Route]) -> Any:
    return pytest.mark.parametrize("route", routes, ids=[r.name for r in routes])


def test_every_route_is_classified(world: World) -> None:
    """A new route fails here until someone decides who may call it (its base class, or one
    of the lists above) and which object its URL names."""
    problems = []
    names = {r.name for r in ROUTES}
    if len(names) != len(ROUTES):
        problems.append("two routes share a name: reverse() reaches only one of them")
    for route in ROUTES:
        if "<unnamed" in route.name:
            problems.append(f"{route.pattern}: unnamed, so it can't be checked; name it")
            continue
        kind = access_of(route)
        if kind is None:
            problems.append(
                f"{route.name} ({route.pattern}): its view has none of the tenancy base classes "
                "(accounts.tenancy, api.views); add one, or list it in PUBLIC_ROUTES"
            )
        if route.params:
            if route.name not in OBJECTS:
                problems.append(f"{route.name}: names an object; map it in OBJECTS")
            elif set(OBJECTS[route.name](world)) != set(route.params):
                problems.append(f"{route.name}: OBJECTS gives other kwargs than {route.params}")
            if kind in (EXPERT, API_EXPERT):
                hidden = HIDDEN_FROM_EXPERT.get(route.name, lambda w: [])(world)
                if not hidden or any(set(kw) != set(route.params) for kw in hidden):
                    problems.append(f"{route.name}: map objects the expert can't see")
    for table, label in (
        (PUBLIC_ROUTES, "PUBLIC_ROUTES"),
        (FUNCTION_VIEWS, "FUNCTION_VIEWS"),
        (OBJECTS, "OBJECTS"),
        (HIDDEN_FROM_EXPERT, "HIDDEN_FROM_EXPERT"),
        (API_MANAGER_ONLY, "API_MANAGER_ONLY"),
    ):
        problems += [f"{label} names {n}, which is no route" for n in set(table) - names]
    for kind, listed, label in (
        (LOGIN, LOGIN_ONLY_ROUTES, "LOGIN_ONLY_ROUTES"),
        (MANAGER, MANAGER_ONLY_ROUTES, "MANAGER_ONLY_ROUTES"),
    ):
        derived = {r.name for r in _routes(kind)}
        problems += [f"{n}: its view no longer enforces {kind}" for n in listed - derived]
        problems += [f"{n}: enforces {kind}; add it to {label}" for n in derived - listed]
    for name, methods in API_MANAGER_ONLY.items():
        if name in BY_NAME and not methods <= set(methods_of(BY_NAME[name])):
            problems.append(f"API_MANAGER_ONLY[{name}]: {methods} not all served")
    patterns = {str(e.pattern) for e in get_resolver().url_patterns}
    problems += [f"{p} is excluded but not in the URLconf" for p in EXCLUDED_PREFIXES - patterns]
    assert not problems, "\n".join(problems)
    # The walk itself must see the app: a broken walk would make every test below vacuous.
    assert len(ROUTES) > 80
    assert {"ticket_detail", "api-ticket-detail", "webhook_endpoint", "expert_ticket"} <= names
    assert {access_of(r) for r in ROUTES} == {PUBLIC, *NOT_PUBLIC}


@_by_route(_routes(PUBLIC))
def test_public_route_answers_anyone(route: Route, world: World) -> None:
    method, status = PUBLIC_ROUTES[route.name]
    answer = call(Client(), route, _kwargs(route, world), method, world)
    assert answer.status == status, describe("anonymous", method, route, answer, str(status))


@_by_route(_routes(*NOT_PUBLIC))
def test_anonymous_is_sent_to_log_in(route: Route, world: World) -> None:
    problems = []
    for method in methods_of(route):
        answer = call(Client(), route, _kwargs(route, world), method, world)
        if route.is_api:
            ok = is_problem(answer, 401) or is_problem(answer, 403)
            expected = "a 401 or 403 problem"
        else:
            ok = answer.status == 302 and answer.location.startswith(
                reverse("account_login") + "?next="
            )
            expected = "a redirect to the login page"
        if not ok:
            problems.append(describe("anonymous", method, route, answer, expected))
    assert not problems, "\n".join(problems)


@_by_route(_routes(*NOT_PUBLIC))
def test_another_organization_gets_a_404_or_its_own_data(route: Route, world: World) -> None:
    """Organization B's owner (and B's key): an object of A is a 404, never a 403 that would
    confirm it exists; where the URL names no object, B's own page, without A's data. A's
    owner (and A's key) reach the same URLs: the 404 is about the caller, not the URL."""
    kind = access_of(route)
    kwargs = _kwargs(route, world)
    outsiders = {"B's owner": lambda: session(world.owner_b)}
    insiders = {"A's owner": lambda: session(world.owner_a)}
    if route.is_api:
        outsiders["B's key"] = lambda: bearer(world.org_key_b)
        insiders["A's key"] = lambda: bearer(world.org_key_a)
    problems = []
    for method in methods_of(route):
        if kind in (EXPERT, API_EXPERT):  # B's owner is no expert: refused before any lookup
            answer = call(session(world.owner_b), route, kwargs, method, world)
            if not refused_to(answer, route, page_redirect="expert_onboarding", api_status=403):
                problems.append(describe("B's owner", method, route, answer, "refused"))
            continue
        if route.params:
            for who, make in insiders.items():
                answer = call(make(), route, kwargs, method, world)
                if not reached(answer, route, method):
                    problems.append(describe(who, method, route, answer, "to reach it"))
        for who, make in outsiders.items():
            answer = call(make(), route, kwargs, method, world)
            if route.params:
                ok = is_problem(answer, 404) if route.is_api else answer.status == 404
                if not ok:
                    problems.append(describe(who, method, route, answer, "a 404"))
            elif not reached(answer, route, method):
                problems.append(describe(who, method, route, answer, "B's own answer"))
            if words := leaked(answer, world.secrets_of_a):
                problems.append(describe(who, method, route, answer, f"no {words}"))
    assert not problems, "\n".join(problems)


@_by_route(_routes(*NOT_PUBLIC))
def test_agent_is_refused_what_managers_do(route: Route, world: World) -> None:
    """An agent of A: owner- and admin-only routes are 403s; the expert side sends them to
    onboarding (pages) or is a 403 (API); everything else is theirs."""
    kind = access_of(route)
    problems = []
    for method in methods_of(route):
        answer = call(session(world.agent_a), route, _kwargs(route, world), method, world)
        if kind == MANAGER or method in API_MANAGER_ONLY.get(route.name, ()):
            ok = is_problem(answer, 403) if route.is_api else answer.status == 403
            expected = "a 403"
        elif kind in (EXPERT, API_EXPERT):
            ok = refused_to(answer, route, page_redirect="expert_onboarding", api_status=403)
            expected = "refused (not an expert)"
        else:
            ok, expected = reached(answer, route, method), "to reach it"
        if not ok:
            problems.append(describe("A's agent", method, route, answer, expected))
    assert not problems, "\n".join(problems)


@_by_route([r for r in ROUTES if access_of(r) == MANAGER or r.name in API_MANAGER_ONLY])
def test_admin_reaches_what_managers_do(route: Route, world: World) -> None:
    """The agent's 403s are about the role: an admin of A reaches every one of them."""
    problems = []
    for method in methods_of(route):
        answer = call(session(world.admin_a), route, _kwargs(route, world), method, world)
        if not reached(answer, route, method):
            problems.append(describe("A's admin", method, route, answer, "to reach it"))
    assert not problems, "\n".join(problems)


# Enterprise pages that send an expert without an organization somewhere else than to
# organization creation.
EXPERT_LANDINGS = {"expert_directory": "expert_queue"}


def _hidden_from_expert(
    client_of: Callable[[Any], Client], credential: Any, route: Route, method: str, world: World
) -> list[str]:
    """The expert (`client_of(credential)`) asking for objects that aren't theirs: 404s."""
    if route.name not in HIDDEN_FROM_EXPERT:
        pytest.fail(f"{route.name}: map objects the expert can't see in HIDDEN_FROM_EXPERT")
    problems = []
    for kwargs in HIDDEN_FROM_EXPERT[route.name](world):
        answer = call(client_of(credential), route, kwargs, method, world)
        if route.is_api:
            ok = is_problem(answer, 404)
        else:
            landing, taken = HIDDEN_REDIRECTS.get((route.name, method), (None, None))
            ok = answer.status == 404 or (
                landing is not None
                and taken is not None
                and kwargs == taken(world)
                and redirect_path(answer) == reverse(landing)
            )
        if not ok:
            problems.append(describe(f"the expert ({kwargs})", method, route, answer, "a 404"))
    return problems


@_by_route(_routes(*NOT_PUBLIC))
def test_expert_sees_the_expert_side_only(route: Route, world: World) -> None:
    """An expert (no membership): enterprise pages send them to organization creation (or
    are a 403/404), the organization API is a 403; the expert side is theirs, except objects
    not theirs (a ticket neither in their queue nor claimed by them, another expert's claim),
    which are 404s. No answer holds a ticket's unmasked words."""
    kind = access_of(route)
    problems = []
    for method in methods_of(route):
        answer = call(session(world.expert), route, _kwargs(route, world), method, world)
        if kind in (ORG, MANAGER):
            landing = EXPERT_LANDINGS.get(route.name, "organization_create")
            ok = redirect_path(answer) == reverse(landing) or answer.status in (403, 404)
            expected = f"a redirect to {landing}, or a 403 or 404"
        elif kind == API_ORG:
            ok, expected = is_problem(answer, 403), "a 403 problem"
        else:
            ok, expected = reached(answer, route, method), "to reach it"
        if not ok:
            problems.append(describe("the expert", method, route, answer, expected))
        if words := leaked(answer, world.unmasked):
            problems.append(describe("the expert", method, route, answer, f"no {words}"))
        if kind in (EXPERT, API_EXPERT) and route.params:
            problems += _hidden_from_expert(session, world.expert, route, method, world)
    assert not problems, "\n".join(problems)


@_by_route(_routes(*API_KINDS))
def test_api_keys_work_on_their_own_side_only(route: Route, world: World) -> None:
    """An expert's key on an organization endpoint, and an organization's key on an expert
    endpoint, are 403s; each key reaches its own side, and an expert's key gets a 404 for a
    ticket that is not the expert's."""
    own, other = (world.expert_key, world.org_key_a)
    if access_of(route) == API_ORG:
        own, other = other, own
    problems = []
    for method in methods_of(route):
        answer = call(bearer(other), route, _kwargs(route, world), method, world)
        if not is_problem(answer, 403):
            problems.append(describe("the other side's key", method, route, answer, "a 403"))
        answer = call(bearer(own), route, _kwargs(route, world), method, world)
        if not reached(answer, route, method):
            problems.append(describe("its own side's key", method, route, answer, "to reach it"))
        if access_of(route) == API_EXPERT and route.params:
            problems += _hidden_from_expert(bearer, own, route, method, world)
    assert not problems, "\n".join(problems)
