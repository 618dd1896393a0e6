"""Inputs a fuzzer found that were 500s, each now a clear 4xx in the problem+json shape:
deeply nested JSON, NUL characters, and tampered pagination cursors."""

from __future__ import annotations

import base64
import json

import pytest

from solutions.services import tickets as ticket_services

from .conftest import bearer, owner_of

URL = "/api/v1/tickets/"


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "raw",
    [
        _nested(100_000),  # Python's decoder: RecursionError
        '{"title": ' + _nested(65) + ', "body": "x"}',  # parses, but deeper than the limit
        '{"title":' * 5_000 + '"x"' + "}" * 5_000,
    ],
    ids=["recursion", "just-over-the-limit", "objects"],
)
def test_json_nested_too_deep_is_a_400_problem(make_org, make_key, raw):
    _, plaintext = make_key(make_org())
    response = bearer(plaintext).post(URL, raw, content_type="application/json")
    body = _problem(response, 400)
    assert body["type"].endswith("/parse-error")
    assert "nested deeper than 64 levels" in body["detail"]


def test_json_at_the_depth_limit_is_parsed(make_org, make_key, settings):
    settings.API_MAX_JSON_DEPTH = 3
    _, plaintext = make_key(make_org())
    client = bearer(plaintext)
    ok = {"title": "Printer jams", "body": "Tray 2.", "extra": {"a": [1]}}  # 3 levels
    assert client.post(URL, json.dumps(ok), content_type="application/json").status_code == 201
    deeper = {**ok, "extra": {"a": [[1]]}}
    response = client.post(URL, json.dumps(deeper), content_type="application/json")
    assert "nested deeper than 3 levels" in _problem(response, 400)["detail"]


def test_nul_characters_are_a_400_problem_in_bodies_and_query_strings(make_org, make_key):
    org = make_org()
    _, plaintext = make_key(org)
    client = bearer(plaintext)
    body = json.dumps({"title": "Printer\u0000", "body": "x"})
    assert "NUL" in _problem(client.post(URL, body, content_type="application/json"), 400)["detail"]
    assert "NUL" in _problem(client.get(URL, {"category": "a\x00b"}), 400)["detail"]
    assert not org.tickets.exists()


def test_unpaired_surrogates_are_a_400_problem_not_a_database_error(make_org, make_key):
    """JSON's "\\ud800" decodes to a lone surrogate, which PostgreSQL can't store in text."""
    org = make_org()
    _, plaintext = make_key(org)
    client = bearer(plaintext)
    body = '{"title": "Printer \\ud800 jams", "body": "Tray 2 \\udfff."}'
    detail = _problem(client.post(URL, body, content_type="application/json"), 400)["detail"]
    assert "surrogate" in detail
    assert not org.tickets.exists()
    paired = '{"title": "Printer \\ud83d\\ude00 jams", "body": "Tray 2."}'  # an emoji is fine
    assert client.post(URL, paired, content_type="application/json").status_code == 201


def _cursor(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "raw",
    [b"p=abc", b"p=", b"p=99999999999999999999", b"r=1&p=%00", b"o=0&p=1.5"],
    ids=["text", "empty", "beyond-64-bits", "nul", "fraction"],
)
def test_a_tampered_cursor_is_a_404_problem(make_org, make_key, raw):
    _, plaintext = make_key(make_org())
    response = bearer(plaintext).get(URL, {"cursor": _cursor(raw)})
    assert _problem(response, 404)["detail"] == "Invalid cursor"


def test_a_tampered_cursor_on_a_date_ordering_is_a_404_problem(make_org, make_key):
    _, plaintext = make_key(make_org(), scopes=["tickets:read", "kb:write"])
    response = bearer(plaintext).get("/api/v1/kb/articles/", {"cursor": _cursor(b"p=yesterday")})
    assert _problem(response, 404)["detail"] == "Invalid cursor"


def test_real_cursors_still_page_through(make_org, make_key):
    org = make_org()
    _, plaintext = make_key(org)
    for i in range(3):
        ticket_services.ticket_submit(
            organization=org, author=owner_of(org), title=f"Printer {i}", body="Tray 2."
        )
    client = bearer(plaintext)
    first = client.get(URL, {"limit": 2}).json()
    second = client.get(first["next"]).json()
    assert [t["id"] for t in first["results"] + second["results"]] == [3, 2, 1]
