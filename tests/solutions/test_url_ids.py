"""An id too large for the database, in any page's URL, is a 404 — never a 500."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Role

HUGE = "9" * 30


def _routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    found: list[str] = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _routes(entry, route)
        elif isinstance(entry, URLPattern):
            found.append(route)
    return found


def _patterns(resolver: URLResolver) -> list[str]:
    return [route for route in _routes(resolver) if "<id:" in route]


def test_every_id_route_uses_the_bounded_converter():
    assert len(_patterns(get_resolver())) >= 15
    assert [r for r in _routes(get_resolver()) if "<int:" in r] == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_huge_ids_are_404_on_every_page(make_org, make_expert, login, method):
    org = make_org()
    owner = org.memberships.get(role=Role.OWNER).user
    routes = _patterns(get_resolver())
    for user in (owner, make_expert()):
        client = login(user)
        for route in routes:
            url = "/" + route.replace("^", "")
            while "<id:" in url:
                start = url.index("<id:")
                url = url[:start] + HUGE + url[url.index(">", start) + 1 :]
            response = getattr(client, method)(url)
            assert response.status_code == 404, (url, response.status_code)
