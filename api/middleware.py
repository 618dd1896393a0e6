"""Request checks that hold for every view of every app, pages included. It lives with the
REST plumbing because its contract is theirs: the API's parser checks JSON bodies, and an
API request refused here gets the API's problem format."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse, QueryDict

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NUL_DETAIL = "The request contains a NUL character (\\u0000), which no field accepts."


def _has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())


class RejectNulMiddleware:
    """A NUL character in a query string or a form field is a 400 before any view runs.

    PostgreSQL text can't hold NUL, so a view that filters by a raw parameter (`?q=%00`,
    `plan=%00`) would otherwise make the driver raise: a 500 on PostgreSQL while SQLite
    shrugs. Django's and DRF's form fields refuse NUL already; this covers every raw read.
    Uploaded files are not form fields and keep their bytes. API bodies are JSON, which
    `api.parsers.BoundedJSONParser` checks; their raw body must stay unread here (it is the
    Idempotency-Key fingerprint), so on /api/ only the query string is looked at."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_api = request.path.startswith("/api/")
        nul = "\x00" in request.path or _has_nul(request.GET)
        if not nul and not is_api and self._form_is_small(request):
            # Reading `body` first keeps it readable for views that want the raw bytes
            # (a multipart parse would consume the stream).
            _ = request.body
            nul = _has_nul(request.POST)
        if nul:
            if is_api:
                from .errors import PROBLEM_CONTENT_TYPE, problem

                return JsonResponse(
                    problem(400, NUL_DETAIL, code="invalid_character"),
                    status=400,
                    content_type=PROBLEM_CONTENT_TYPE,
                )
            return HttpResponseBadRequest(NUL_DETAIL, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _form_is_small(request: HttpRequest) -> bool:
        """A form body Django would hold in memory anyway. Larger ones are uploads, whose
        fields are forms' fields (which refuse NUL themselves)."""
        if request.content_type not in FORM_TYPES:
            return False
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return False
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return 0 < length and (limit is None or length <= limit)
