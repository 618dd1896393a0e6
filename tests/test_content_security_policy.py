"""The Content-Security-Policy is on every page: every route of the URLconf, fetched by an
anonymous visitor, an organization owner, an expert and a staff member, answers with the
policy, and no HTML page carries what the policy would block (an inline <script>, an on*=
handler, a style="" attribute, a <style> element). The browser side — that nothing is
blocked while the pages run — is tests/e2e/test_csp.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Role
from accounts.services import organization_create
from solutions.models import ExpertProfile
from solutions.services import experts as expert_services
from solutions.services import knowledge as kb
from tests.solutions import conftest as solutions_fixtures
from webhooks import services as webhook_services

make_expert = solutions_fixtures.make_expert
make_escalated_ticket = solutions_fixtures.make_escalated_ticket

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
# Script types a browser does not run (data blocks): the policy does not apply to them.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


def _routes(resolver: URLResolver, namespace: str = "") -> list[tuple[str, list[str], str]]:
    """(name to reverse, its parameters, the route) of every named URL pattern."""
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += [(n, p, f"{entry.pattern}{r}") for n, p, r in _routes(entry, inner)]
        elif isinstance(entry, URLPattern) and entry.name:
            params = list(entry.pattern.regex.groupindex)
            found.append((f"{namespace}{entry.name}", params, str(entry.pattern)))
    return found


class _Blocked(HTMLParser):
    """What in a page the policy would block."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            kind = dict(attrs).get("type") or "text/javascript"
            if kind not in DATA_SCRIPT_TYPES:
                self.found.append("an inline <script>")
        if tag == "style":
            self.found.append("a <style> element")
        for name in names:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=>")
            if name == "style":
                self.found.append(f"<{tag} style=>")
        for name, value in attrs:
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _policy(header: str) -> dict[str, str]:
    directives = (d.strip().split(None, 1) for d in header.split(";") if d.strip())
    return {d[0]: (d[1] if len(d) > 1 else "") for d in directives}


@pytest.fixture
def world(make_org, make_user, add_member, make_escalated_ticket, make_expert):
    org = make_org()
    owner = org.memberships.get(role=Role.OWNER).user
    organization_create(creator=owner, name="Second Corp")  # so the switcher shows
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    ticket = make_escalated_ticket(org, author=owner)
    expert = make_expert()
    claim = expert_services.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
    article = kb.article_create(
        organization=org, actor=owner, title="Renew a lease", body="**Renew** the lease."
    )
    endpoint, _ = webhook_services.webhook_endpoint_create(
        organization=org, actor=owner, url="https://93.184.216.34/hooks", events=["ticket.answered"]
    )
    staff = make_user()
    staff.is_staff = staff.is_superuser = True
    staff.save()
    member = org.memberships.get(user=agent)
    values = {
        "tickets/": {"number": ticket.number},
        "kb/": {"pk": article.pk},
        "experts/tickets/": {"pk": ticket.pk},
        "experts/claims/": {"pk": claim.pk},
        "settings/webhooks/": {"pk": endpoint.pk},
        "members/": {"pk": member.pk},
        "admin/": {"object_id": ticket.pk, "app_label": "solutions"},
    }
    return {"owner": owner, "expert": expert, "staff": staff, "values": values}


def _kwargs(route: str, params: list[str], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for prefix, by_name in sorted(values.items(), key=lambda item: -len(item[0])):
        if route.startswith(prefix):
            chosen = {k: v for k, v in by_name.items() if k in params}
            break
    for name in params:
        chosen.setdefault(name, "1")
    return chosen


def test_every_route_answers_with_the_policy_and_no_page_holds_what_it_blocks(world, login):
    clients = {
        "anonymous": Client(),
        "owner": login(world["owner"]),
        "expert": login(world["expert"]),
        "staff": login(world["staff"]),
    }
    assert ExpertProfile.objects.filter(user=world["expert"]).exists()
    checked, problems = 0, []
    for name, params, route in _routes(get_resolver()):
        if name.endswith("logout") or "stripe/webhook" in route:
            continue  # logging the client out would end the walk; Stripe's endpoint is POST
        try:
            url = reverse(name, kwargs=_kwargs(route, params, world["values"]))
        except NoReverseMatch:
            continue  # a parameter no sample value fits (admin's catch-all); nothing to fetch
        for who, client in clients.items():
            response = client.get(url)
            checked += 1
            policy = _policy(response.get("Content-Security-Policy", ""))
            missing = {k: v for k, v in POLICY.items() if policy.get(k) != v}
            if missing:
                problems.append(f"{who} GET {url} ({response.status_code}): policy lacks {missing}")
            if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
                parser = _Blocked()
                parser.feed(response.content.decode())
                problems += [f"{who} GET {url}: {what}" for what in sorted(set(parser.found))]
    assert problems == []
    assert checked > 400  # the walk reached the URLconf, not a handful of pages


def test_the_card_form_allows_stripe_and_nothing_else_does(world, login, settings):
    from billing.models import Plan

    Plan.objects.get_or_create(
        code="team",
        defaults={"name": "Team", "base_price_cents": 9900, "included_ai_answers": 500,
                  "ai_overage_cents": 30, "expert_price_cents": {}, "sla_hours": {}},
    )  # fmt: skip
    # The card form exists only where Stripe is configured (else "billing is not configured").
    settings.STRIPE_SECRET_KEY = "sk_test_csp"  # noqa: S105 - no request reaches Stripe here
    settings.STRIPE_API_BASE = ""
    client = login(world["owner"])
    plain = _policy(client.get("/billing/")["Content-Security-Policy"])
    card = _policy(client.get("/billing/?plan=team")["Content-Security-Policy"])
    assert "stripe" not in " ".join(plain.values())
    assert card["script-src"] == "'self' https://js.stripe.com https://*.js.stripe.com"
    assert "https://hooks.stripe.com" in card["frame-src"]
    assert card["connect-src"] == "'self' https://api.stripe.com"
    settings.STRIPE_API_BASE = "http://127.0.0.1:8420"
    local = _policy(client.get("/billing/?plan=team")["Content-Security-Policy"])
    assert local["script-src"] == "'self' http://127.0.0.1:8420"


def test_swagger_ui_loads_its_init_script_from_a_url(world, login):
    client = login(world["owner"])
    page = client.get("/api/docs/")
    assert page.status_code == 200
    scripts = re.findall(r'<script src="([^"]+)"', page.content.decode())
    init = next(src for src in scripts if "script" in src.split("?", 1)[-1])
    script = client.get(init.replace("&amp;", "&"))
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
