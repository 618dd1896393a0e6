"""URL converters shared by every app's urls."""

from __future__ import annotations


class IdConverter:
    """A database id or number in a URL. Django's `int` matches any length, and an id beyond
    a 64-bit integer makes the database driver raise (a 500) instead of finding nothing; at
    most 18 digits always fits, so a longer one simply doesn't match: a 404."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
