"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server.

Screenshots go to var/test-artifacts/e2e/<test name>/ (override with E2E_ARTIFACTS)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are ordinary synchronous calls, so Django's async-safety guard is lifted here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    root = Path(
        os.environ.get(
            "E2E_ARTIFACTS", Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "e2e"
        )
    )
    folder = root / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


@pytest.fixture
def new_page(browser, live_server, artifacts) -> Iterator[Callable[[], object]]:
    """Opens pages in separate browser contexts (separate cookies: separate people)."""
    contexts = []

    def make() -> object:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 860}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot(artifacts: Path) -> Callable[[object, str], Path]:
    counter = {"n": 0}

    def take(page, name: str) -> Path:
        counter["n"] += 1
        path = artifacts / f"{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page, email: str) -> None:
    """Signs `email` in on `page` through the real login form (factory users' password)."""
    from tests.factories import PASSWORD

    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()


def fill_test_card(page) -> None:
    """Types Stripe's test card (4242…, a future date) into localstripe's card element."""
    card = page.get_by_test_id("card-element")
    card.locator("input[placeholder=number]").fill("4242424242424242")
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("34")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("10001")
