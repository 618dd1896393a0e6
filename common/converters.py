"""URL converters shared by every app's urls, and the one parser of ids that arrive in query
strings and form fields."""

from __future__ import annotations

import re

# At most 18 digits always fits a 64-bit database integer.
ID_MAX = 10**18 - 1
_ID = re.compile(r"[0-9]{1,18}")


class IdConverter:
    """A database id or number in a URL. Django's `int` matches any length, and an id beyond
    a 64-bit integer makes the database driver raise (a 500) instead of finding nothing; at
    most 18 digits always fits, so a longer one simply doesn't match: a 404."""

    regex = _ID.pattern

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


def id_or_none(value: object) -> int | None:
    """`value` as a database id when it is one: ASCII digits only (`str.isdigit()` also
    accepts "²" and "١", which `int()` refuses or reads), at most 18 of them. Anything else —
    empty, negative, too large for the database, not a number — is None, for the caller to
    treat as "no such object"."""
    if isinstance(value, str) and _ID.fullmatch(value):
        return int(value)
    return None
