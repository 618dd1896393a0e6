"""With DEBUG off, a refused page (403), a missing one (404) and a server error (500) are
pages in the site's look with a way back: the dashboard for people who are signed in, the
home page otherwise. The 500 page renders with no request and no database. The API keeps its
problem+json errors."""

from __future__ import annotations

import json

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import include, path, reverse
from django.views.defaults import server_error

from accounts.models import Role
from config.urls import handler404 as project_handler404

pytestmark = pytest.mark.usefixtures("_production_errors")


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the database went away")


# This module doubles as a URLconf (`pytest.mark.urls`): the project's routes plus one that
# fails, so a real request reaches the 500 handler.
urlpatterns = [path("boom/", _boom), path("", include("config.urls"))]
handler404 = project_handler404


@pytest.fixture
def _production_errors(settings) -> None:
    settings.DEBUG = False


@pytest.fixture
def agent_client(make_org, make_user, add_member, login) -> Client:
    org = make_org(name="Guarded Corp")
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    return login(agent)


def _styled(html: str) -> None:
    assert 'data-testid="error-page"' in html
    assert "css/app.css" in html and "pico.min.css" in html
    assert '<header class="topbar">' in html


@pytest.mark.django_db
def test_an_agent_on_an_owner_page_gets_the_styled_403(agent_client):
    for name in ("billing", "audit_log", "api_keys", "webhooks", "ml_model"):
        response = agent_client.get(reverse(name))
        assert response.status_code == 403, name
        html = response.content.decode()
        _styled(html)
        assert "for the owners and admins of Guarded Corp" in html
        assert "you are an agent there" in html
        assert f'href="{reverse("dashboard")}" role="button" data-testid="error-back"' in html
        assert 'aria-label="Main"' in html  # the sidebar: the rest of the product is a click away
        assert reverse("billing_usage") not in html  # manager links stay hidden


@pytest.mark.django_db
def test_a_missing_page_is_a_styled_404_with_the_way_back(agent_client):
    response = agent_client.get("/no-such-page/")
    assert response.status_code == 404
    _styled(response.content.decode())
    assert 'data-testid="error-back">Back to the dashboard' in response.content.decode()
    anonymous = Client().get("/no-such-page/")
    assert anonymous.status_code == 404
    html = anonymous.content.decode()
    _styled(html)
    assert f'href="{reverse("landing")}" role="button" data-testid="error-back"' in html
    assert reverse("account_login") in html


@pytest.mark.django_db
def test_the_api_keeps_its_problem_details(agent_client):
    missing = Client().get("/api/v1/no-such-endpoint/")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/problem+json")
    assert json.loads(missing.content)["status"] == 404
    refused = Client().get("/api/v1/tickets/")
    assert refused.status_code in (401, 403)
    assert refused["Content-Type"].startswith("application/problem+json")


def test_the_500_page_renders_without_a_request_or_the_database():
    """Not marked django_db: any query here fails the test."""
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    _styled(html)
    assert 'href="/" role="button" data-testid="error-back"' in html
    assert 'href="/static/css/app.css"' in html


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_failing_page_answers_with_the_500_page(agent_client):
    agent_client.raise_request_exception = False
    response = agent_client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    _styled(html)
    assert "Something went wrong on our side" in html and "the database went away" not in html
