"""The public model API (`tickets:read`): which model version triages the organization's
tickets now, and how it scored on the frozen held-out split."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.permissions import HasScope
from api.views import ApiViewMixin

from ..services import champion_of
from . import serializers as s


class ModelViewSet(ApiViewMixin, viewsets.ViewSet):
    permission_classes = (IsAuthenticated, HasScope)
    required_scopes = {"retrieve": "tickets:read"}

    @extend_schema(responses={200: s.ModelOutput})
    def retrieve(self, request: Request) -> Response:
        return Response(s.ModelOutput({"champion": champion_of(self.organization)}).data)
