"""The API's one list pagination."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.pagination import Cursor, CursorPagination

# The largest integer a 64-bit database column holds.
BIGINT_MAX = 2**63 - 1


class ApiCursorPagination(CursorPagination):
    """Lists: 50 a page by default, `limit` up to 100; subclasses set `ordering`.

    DRF decodes the cursor's base64 but passes its position to the database unchecked, so a
    tampered cursor (`p=abc` on a number, a date that isn't one, a number beyond 64 bits)
    would be a 500; here it is the same 404 "Invalid cursor" as an undecodable one."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 100
    _model: Any = None

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Any) -> Cursor | None:
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            if not self._position_is_valid(str(cursor.position)):
                raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor

    def _position_is_valid(self, position: str) -> bool:
        if "\x00" in position:
            return False
        ordering = self.ordering if isinstance(self.ordering, list | tuple) else [self.ordering]
        try:
            field = self._model._meta.get_field(str(ordering[0]).lstrip("-"))
        except (FieldDoesNotExist, AttributeError):
            return True  # an ordering through a relation: left to the database
        try:
            value = field.to_python(position)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            return False
        if isinstance(value, int) and not isinstance(value, bool):
            return -BIGINT_MAX - 1 <= value <= BIGINT_MAX
        return True
