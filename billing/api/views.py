"""The public usage API (`usage:read`): what the usage page shows, for the current period or
an earlier one. Like the page, it is for owners and admins."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Membership
from accounts.tenancy import request_user
from api.permissions import HasScope
from api.views import ApiViewMixin

from ..models import BillingAccount
from ..services.periods import current_period
from ..services.rating import rate_period
from . import serializers as s


class UsageViewSet(ApiViewMixin, viewsets.ViewSet):
    permission_classes = (IsAuthenticated, HasScope)
    required_scopes = {"retrieve": "usage:read"}

    @extend_schema(parameters=[s.UsageFilterInput], responses={200: s.UsageOutput})
    def retrieve(self, request: Request) -> Response:
        membership = Membership.objects.filter(
            user=request_user(request._request), organization=self.organization
        ).first()
        if membership is None or not membership.can_manage:
            raise PermissionDenied("Usage is for owners and admins.")
        params = s.UsageFilterInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        period = params.validated_data.get("period") or current_period()
        rating = rate_period(organization=self.organization, period=period)
        account = self.scoped(BillingAccount.objects.all()).first()
        fields: list[str] = list(s.UsageOutput().fields)
        data: dict[str, Any] = {name: getattr(rating, name, None) for name in fields}
        data["spend_cap_cents"] = account.spend_cap_cents if account else None
        return Response(s.UsageOutput(data).data)
