"""The API's default parser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES). It imports nothing of
this app's views: DRF imports it while its own views module loads, before `api.views` can."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser


def _nesting_exceeds(data: Any, limit: int) -> bool:
    """Whether lists/objects nest deeper than `limit` (iteratively: a recursive walk is what
    the limit protects against)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, Mapping):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _unstorable(value: str) -> bool:
    """NUL, or a lone surrogate (JSON's "\\ud800" decodes to one): PostgreSQL can store
    neither in text, so a request carrying one would fail at the database."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _has_nul(data: Any) -> bool:
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _unstorable(value):
                return True
        elif isinstance(value, Mapping):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser (the default for every API view) with two refusals that are 400
    problems instead of 500s: nesting deeper than API_MAX_JSON_DEPTH (64) levels — Python's
    decoder raises RecursionError near 1,000 levels, and no request of ours nests beyond 3 —
    and NUL characters (`\\u0000`) or unpaired surrogates (`\\ud800`), which PostgreSQL can't
    store in text."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        limit = int(settings.API_MAX_JSON_DEPTH)
        too_deep = f"JSON parse error - nested deeper than {limit} levels."
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(too_deep) from None
        if _nesting_exceeds(data, limit):
            raise exceptions.ParseError(too_deep)
        if _has_nul(data):
            raise exceptions.ParseError(
                "JSON parse error - strings must not contain NUL or unpaired surrogates."
            )
        return data
