"""Every main page works under the Content-Security-Policy, at desktop and phone width: the
browser reports no `securitypolicyviolation` and logs nothing to the console while the pages'
own behaviour runs — the filters and the organization switcher (which used `onchange=`), the
busy button, htmx's answer preview and the usage page's live refresh, the model page's charts,
the billing page with Stripe.js (localstripe's shim), the webhooks pages and Swagger UI."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from accounts import services as accounts_services
from accounts.models import Role
from billing.models import BillingAccount, Plan
from billing.services import usage_record
from ml.models import ModelVersion
from solutions.models import Ticket
from solutions.services import experts as expert_services
from solutions.services import knowledge as kb
from solutions.services import tickets as ticket_services
from tests.billing import conftest as billing_fixtures
from tests.e2e.conftest import sign_in
from tests.e2e.test_model_page import realistic_metrics
from tests.solutions import conftest as solutions_fixtures
from tests.solutions.test_stored_content import ANSWER
from webhooks import services as webhook_services

# Fixtures shared with the billing and solutions tests.
localstripe_url = billing_fixtures.localstripe_url
stripe_settings = billing_fixtures.stripe_settings
make_expert = solutions_fixtures.make_expert
make_escalated_ticket = solutions_fixtures.make_escalated_ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

# Runs in every document before its own scripts (Playwright injects it through the DevTools
# protocol, which the page's policy does not govern).
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} `
    + `at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


# localstripe's Stripe.js shim (the test double for Stripe) announces itself in the console.
EXPECTED_CONSOLE = ("log: localstripe: The Stripe object was just replaced",)


class Watched:
    """A page whose console messages, uncaught errors and CSP violations are collected."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        page.on("response", self._response)

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.console.append(f"HTTP {response.status} {response.url}")
        if response.request.resource_type == "document":
            policy = response.headers.get("content-security-policy", "")
            if "script-src 'self'" not in policy or "object-src 'none'" not in policy:
                self.console.append(f"no Content-Security-Policy on {response.url}: {policy!r}")

    def _console(self, message: Any) -> None:
        line = f"{message.type}: {message.text}"
        if not line.startswith(EXPECTED_CONSOLE):
            self.console.append(line)

    def assert_clean(self, where: str) -> None:
        violations = self.page.evaluate("window.__cspViolations || []")
        assert violations == [], f"{where}: {violations}"
        assert self.console == [], f"{where}: {self.console}"


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def open_page(
    request: pytest.FixtureRequest, browser: Any, live_server: Any
) -> Iterator[Callable[[], Watched]]:
    contexts = []

    def make() -> Watched:
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[request.param])
        context.set_default_timeout(15_000)
        context.add_init_script(WATCH_VIOLATIONS)
        contexts.append(context)
        return Watched(context.new_page())

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def seeded_plans(db: None) -> None:
    from django.apps import apps

    importlib.import_module("billing.migrations.0003_seed_plans").seed(apps, None)


def _world(make_org_with_model, make_escalated_ticket, make_expert):
    """An organization with a champion model, triaged tickets, an article with a hostile
    body, usage, a webhook endpoint, a second organization for the switcher, and an expert
    holding a claim."""
    org = make_org_with_model(name="Policy Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    accounts_services.organization_create(creator=owner, name="Second Corp")
    for title in ("VPN router drops", "Printer out of toner", "Account locked"):
        ticket_services.ticket_submit(
            organization=org, author=owner, title=title, body=f"{title} since this morning."
        )
    article = kb.article_create(organization=org, actor=owner, title="Renew a lease", body=ANSWER)
    # Bars of partial width on the ticket page.
    Ticket.objects.filter(organization=org, number=1).update(
        category_confidence=0.62, priority_confidence=0.41
    )
    ModelVersion.objects.filter(organization=org).update(
        metrics=realistic_metrics(1.1), macro_f1=0.86, accuracy=0.88, calibration_error=0.04
    )
    account, _ = BillingAccount.objects.get_or_create(organization=org)
    account.plan = Plan.objects.get(code="starter")
    account.save()
    for day in range(3):
        usage_record(
            organization=org, kind="ai_answer", quantity=3 + day, idempotency_key=f"csp-{day}"
        )
    endpoint, _ = webhook_services.webhook_endpoint_create(
        organization=org,
        actor=owner,
        url="https://93.184.216.34/hooks",
        events=["ticket.answered"],
    )
    expert = make_expert()
    escalated = make_escalated_ticket(org, author=owner)
    claim = expert_services.expert_claim_ticket(expert=expert, ticket_id=escalated.pk)
    return {
        "owner": owner,
        "expert": expert,
        "ticket": Ticket.objects.filter(organization=org).order_by("number").first(),
        "article": article,
        "endpoint": endpoint,
        "claim": claim,
    }


@pytest.mark.usefixtures("stripe_settings", "seeded_plans")
def test_main_pages_run_under_the_policy_without_violations(
    open_page,
    shot,
    make_org_with_model,
    make_escalated_ticket,
    make_expert,
):
    world = _world(make_org_with_model, make_escalated_ticket, make_expert)
    owner = open_page()
    page = owner.page
    sign_in(page, world["owner"].email)
    owner.assert_clean("sign-in")

    # Ticket list: the filters, then the organization switcher (was onchange=).
    page.goto("/tickets/")
    page.select_option("select[name=status]", "open")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/tickets/?*status=open*")
    assert page.get_by_test_id("ticket-row").count() == 4  # the escalated one is open too
    shot(page, "tickets")
    owner.assert_clean("ticket list")
    with page.expect_navigation():
        page.get_by_test_id("org-switcher").locator("select").select_option(label="Second Corp")
    assert "Second Corp" in page.get_by_test_id("org-switcher").inner_text()
    with page.expect_navigation():
        page.get_by_test_id("org-switcher").locator("select").select_option(label="Policy Corp")
    owner.assert_clean("organization switcher")

    page.goto(f"/tickets/{world['ticket'].number}/")
    assert page.locator(".confidence svg.bar rect").count() >= 1
    assert page.get_by_test_id("suggestion").count() >= 1
    shot(page, "ticket-detail")
    owner.assert_clean("ticket detail")

    page.goto("/tickets/new/")
    page.fill("input[name=title]", "Monitor flickers")
    page.fill("textarea[name=body]", "The second monitor flickers since the update.")
    with page.expect_navigation():
        page.get_by_test_id("submit-ticket").click()
    assert page.get_by_test_id("ticket-status").is_visible()
    owner.assert_clean("ticket submit")

    page.goto(f"/kb/{world['article'].pk}/")
    body = page.get_by_test_id("kb-body")
    assert body.locator("table").count() == 1 and body.locator("script, img, svg").count() == 0
    shot(page, "kb-article")
    owner.assert_clean("knowledge article")

    page.goto("/model/")
    assert page.locator("[data-testid=f1-chart] svg g.bar").count() >= 1
    assert page.locator("[data-testid=confusion] td[class*=heat-]").count() >= 1
    shot(page, "model")
    owner.assert_clean("model page")

    page.goto("/billing/")
    shot(page, "billing")
    page.goto("/billing/?plan=team#card-element")
    page.get_by_test_id("card-element").locator("input[placeholder=number]").wait_for()
    shot(page, "billing-card")
    owner.assert_clean("billing")

    page.goto("/billing/usage/")
    page.get_by_test_id("usage-period").wait_for()
    # The live refresh (every 30 s), now: htmx fetches the period and swaps it in.
    with page.expect_response("**/billing/usage/"):
        page.evaluate(
            "htmx.ajax('GET', '/billing/usage/', {target: '#usage-period', swap: 'outerHTML'})"
        )
    page.get_by_test_id("usage-period").locator("svg").first.wait_for()
    shot(page, "usage")
    owner.assert_clean("usage")

    page.goto("/settings/webhooks/")
    shot(page, "webhooks")
    page.goto(f"/settings/webhooks/{world['endpoint'].pk}/")
    shot(page, "webhook-endpoint")
    owner.assert_clean("webhooks")

    page.goto("/api/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for()
    page.locator(".swagger-ui .opblock-summary").first.click()
    page.locator(".swagger-ui .opblock-body").first.wait_for()
    shot(page, "api-docs")
    owner.assert_clean("API docs")

    expert = open_page()
    page = expert.page
    sign_in(page, world["expert"].email)
    page.goto(f"/experts/claims/{world['claim'].pk}/answer/")
    page.fill("textarea[name=body]", ANSWER)
    page.get_by_test_id("preview-answer").click()
    preview = page.get_by_test_id("answer-preview")
    preview.locator("table").wait_for()
    assert preview.locator("script, img, svg, iframe").count() == 0
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "answer-preview")
    expert.assert_clean("expert answer preview")
    page.goto("/experts/queue/")
    page.goto("/experts/claims/")
    shot(page, "expert-claims")
    expert.assert_clean("expert pages")
