"""`GET /api/v1/reports/summary/`: the Reports page's numbers. An organization key with
`tickets:read`, or the session of an owner or admin (agents are refused, as on the page)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Membership
from accounts.tenancy import request_user
from api.authentication import request_api_key
from api.permissions import HasScope
from api.views import ApiViewMixin

from ..exports import summary_data
from ..forms import ReportRangeForm
from ..selectors import report_summary
from . import serializers as s

RANGE_PARAMETERS = [
    OpenApiParameter(
        name,
        OpenApiTypes.DATE,
        description=f"{what} (YYYY-MM-DD, inclusive). Without either: the last 30 days; "
        "at most 366 days.",
    )
    for name, what in (("from", "First day"), ("to", "Last day"))
]


class ReportSummaryViewSet(ApiViewMixin, viewsets.ViewSet):
    permission_classes = (IsAuthenticated, HasScope)
    required_scopes = {"retrieve": "tickets:read"}

    @extend_schema(parameters=RANGE_PARAMETERS, responses={200: s.SummaryOutput})
    def retrieve(self, request: Request) -> Response:
        if request_api_key(request) is None:
            membership = Membership.objects.filter(
                user=request_user(request._request), organization=self.organization
            ).first()
            if membership is None or not membership.can_manage:
                raise PermissionDenied("Reports are for owners and admins.")
        form = ReportRangeForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(form.error_messages())
        summary = report_summary(organization=self.organization, chosen=form.report_range)
        return Response(s.SummaryOutput(summary_data(summary)).data)
