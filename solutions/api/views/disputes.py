"""A ticket's disputes: open one (a member's session or the organization's key), list them,
read one. Staff decide in the admin; the decision shows up here. Thin: the ticket is found
through the organization's scope (another organization's ticket is a 404), the service opens
the dispute."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.tenancy import request_user
from api.permissions import HasScope
from api.views import ID_PATTERN, ApiViewMixin

from ...models import Dispute, Ticket
from ...selectors.disputes import answer_disputable
from ...services.disputes import dispute_open
from ..serializers import disputes as s

READ, WRITE = "tickets:read", "tickets:write"

ALREADY_EXAMPLE = {
    "type": "https://expertdesk.example/problems/validation-error",
    "title": "Invalid request",
    "status": 400,
    "detail": "This answer is already disputed; one dispute per answer.",
}


class TicketDisputeViewSet(ApiViewMixin, viewsets.GenericViewSet[Dispute]):
    serializer_class = s.DisputeOutput
    permission_classes = (IsAuthenticated, HasScope)
    pagination_class = None
    lookup_value_regex = ID_PATTERN
    required_scopes = {"list": READ, "retrieve": READ, "create": WRITE}

    def scoped_queryset(self) -> QuerySet[Dispute]:
        return Dispute.objects.select_related("ticket").filter(
            ticket__number=self.kwargs.get("number", 0)
        )

    def _ticket(self, number: int) -> Ticket:
        ticket = self.scoped(Ticket.objects.all()).filter(number=number).first()
        if ticket is None:
            raise NotFound("No such ticket in this organization.")
        return ticket

    @extend_schema(summary="The ticket's disputes, newest first")
    def list(self, request: Request, number: int) -> Response:
        self._ticket(number)
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    @extend_schema(summary="One dispute of the ticket")
    def retrieve(self, request: Request, number: int, pk: int) -> Response:
        self._ticket(number)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Dispute an expert's answer",
        description="Within `DISPUTE_WINDOW_DAYS` (7) of the answer, while it awaits review or "
        "after it was accepted; once per answer. While open, the answer is not accepted "
        "(automatically or by `rate`) and an accepted answer's pay is on hold.",
        request=s.DisputeCreateInput,
        responses={201: s.DisputeOutput},
        examples=[
            OpenApiExample(
                "Dispute",
                value={"answer": 42, "reason": "The steps reset the wrong router; still down."},
                request_only=True,
            ),
            OpenApiExample(
                "Already disputed",
                value=ALREADY_EXAMPLE,
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def create(self, request: Request, number: int) -> Response:
        ticket = self._ticket(number)
        data = s.DisputeCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        answer_id = data.validated_data.get("answer")
        if answer_id is None:
            answer = answer_disputable(ticket)
            if answer is None:
                raise ValidationError(
                    {"answer": "This ticket has no answer that can be disputed now."}
                )
            answer_id = answer.pk
        dispute = dispute_open(
            ticket=ticket,
            actor=request_user(request._request),
            answer_id=answer_id,
            reason=data.validated_data["reason"],
        )
        dispute = self.get_queryset().get(pk=dispute.pk)
        return Response(self.get_serializer(dispute).data, status=status.HTTP_201_CREATED)
