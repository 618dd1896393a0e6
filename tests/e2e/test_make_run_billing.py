"""The owner's money journey on `make run` itself: platform/run.sh with its own localstripe
(started by the Procfile, keys and webhook secret from the local settings, nothing configured
by hand). The owner picks Team, pays with localstripe's test card, sees the subscription
active, switches to Enterprise, and finds the paid invoice that localstripe's signed webhook
delivered to the web server. Desktop, then the same pages at phone width."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import fill_test_card, sign_in
from tests.make_run import REPO, make_run, run_env

pytestmark = [pytest.mark.e2e]

OWNER = "owner@make-run.test"
# The owner is made with the product's own services, in the run's database, by the same
# interpreter and settings `make run` uses; the password is the one sign_in() types.
CREATE_OWNER = (
    "from accounts import services\n"
    "from tests.factories import PASSWORD\n"
    f"user = services.user_create(email={OWNER!r}, password=PASSWORD, full_name='Olga Owner')\n"
    "services.organization_create(creator=user, name='Make Run Corp')\n"
)


def _wait_for(page, test_id: str, url: str, seconds: float = 40) -> None:
    """The invoice arrives by webhook, after the page that caused it: reload until it shows."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page.goto(url)
        if page.get_by_test_id(test_id).count():
            return
        time.sleep(1)
    pytest.fail(f"no {test_id} on {url} within {seconds:.0f} s")


def test_owner_subscribes_on_make_runs_own_localstripe(tmp_path: Path, browser, artifacts) -> None:
    with make_run(tmp_path) as run:
        env = run_env(run.var_dir, run.web_port, run.stripe_port)
        subprocess.run(
            [str(REPO / ".venv/bin/python"), "manage.py", "shell", "-c", CREATE_OWNER],
            cwd=REPO,
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.local"},
            check=True,
            capture_output=True,
            timeout=120,
        )
        context = browser.new_context(base_url=run.url, viewport={"width": 1280, "height": 860})
        context.set_default_timeout(20_000)
        try:
            page = context.new_page()
            sign_in(page, OWNER)
            page.goto("/billing/")
            page.get_by_test_id("choose-team").click()
            fill_test_card(page)
            page.screenshot(path=str(artifacts / "01-card.png"), full_page=True)
            page.get_by_test_id("subscribe-button").click()
            page.wait_for_url("**/billing/")
            assert page.get_by_test_id("subscription-status").inner_text() == "Active"
            assert page.get_by_test_id("current-plan").inner_text() == "Team"
            page.screenshot(path=str(artifacts / "02-active.png"), full_page=True)

            page.get_by_test_id("change-enterprise").click()
            page.get_by_test_id("change-confirm-button").click()
            page.wait_for_url("**/billing/")
            assert page.get_by_test_id("current-plan").inner_text() == "Enterprise"

            _wait_for(page, "invoice-row", "/billing/invoices/")
            assert "$199.00" in page.get_by_test_id("invoice-row").first.inner_text()
            page.screenshot(path=str(artifacts / "03-invoices.png"), full_page=True)

            page.set_viewport_size({"width": 390, "height": 844})
            for name in ("/billing/", "/billing/invoices/"):
                page.goto(name)
                assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
            page.screenshot(path=str(artifacts / "04-invoices-phone.png"), full_page=True)
        finally:
            context.close()
        # Every webhook localstripe sent was verified and applied (no 4xx/5xx in the log).
        assert 'POST /billing/stripe/webhook/ HTTP/1.1" 200' in run.output()
        assert '/billing/stripe/webhook/ HTTP/1.1" 4' not in run.output()
        assert '/billing/stripe/webhook/ HTTP/1.1" 5' not in run.output()
