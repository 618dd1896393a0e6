"""A ticket's conversation in the API, on both sides: `/api/v1/tickets/{number}/messages/` for
the organization (its key, or a member's session: every message in the original, internal
notes included and marked) and `/api/v1/expert/tickets/{id}/messages/` for the expert (masked,
no notes; only the holder of the active claim may post, anyone else who may see the ticket
gets a 409). Thin: the same selectors and `message_post` as the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiKey
from accounts.tenancy import request_user
from api.pagination import ApiCursorPagination
from api.permissions import HasScope
from api.views import ID_PATTERN, ApiViewMixin, ExpertApiViewMixin

from ...models import Claim, Ticket, TicketMessage
from ...selectors.conversations import conversation_of_customer, conversation_of_expert
from ...services.conversations import NO_ACTIVE_CLAIM, message_post
from ..serializers import conversations as s
from .expert import NoActiveClaim

READ, WRITE = "tickets:read", "tickets:write"


class MessagePagination(ApiCursorPagination):
    ordering = "pk"  # oldest first, as a thread reads


class TicketMessageViewSet(ApiViewMixin, viewsets.GenericViewSet[Any]):
    serializer_class = s.TicketMessageOutput
    permission_classes = (IsAuthenticated, HasScope)
    pagination_class = MessagePagination
    lookup_field = "number"
    lookup_value_regex = ID_PATTERN
    required_scopes = {"list": READ, "create": WRITE}

    def scoped_queryset(self) -> QuerySet[Ticket]:
        return Ticket.objects.all()

    @extend_schema(
        summary="The ticket's conversation",
        description="Messages between your members and the expert, the expert's clarifying "
        "questions and your internal notes (`internal: true`), oldest first, in the original.",
    )
    def list(self, request: Request, number: int) -> Response:
        ticket = self.get_object()
        page = self.paginate_queryset(conversation_of_customer(ticket))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Write to the expert, or add an internal note",
        description="A `message` reaches the expert (masked) while an expert holds the ticket "
        "(status `claimed`) and resumes their SLA clock if they asked a question; a `note` is "
        "possible at any time and never reaches an expert. Files can be attached on the "
        "ticket's page only.",
        request=s.MessageInput,
        responses={201: s.TicketMessageOutput},
        examples=s.org_examples(),
    )
    def create(self, request: Request, number: int) -> Response:
        ticket = self.get_object()
        earlier = self.created_by_earlier_attempt(TicketMessage)
        message = conversation_of_customer(ticket).filter(pk=earlier).first() if earlier else None
        if message is None:
            data = s.MessageInput(data=request.data)
            data.is_valid(raise_exception=True)
            created = message_post(
                ticket_id=ticket.pk,
                author=request_user(request._request),
                side=TicketMessage.Side.CUSTOMER,
                kind=data.validated_data["kind"],
                body=data.validated_data["body"],
                idempotency_record=self.idempotency_record,
            )
            message = conversation_of_customer(ticket).get(pk=created.pk)
        out = self.get_serializer(message)
        return Response(out.data, status=status.HTTP_201_CREATED)


class ExpertTicketMessageViewSet(ExpertApiViewMixin, viewsets.GenericViewSet[Any]):
    serializer_class = s.ExpertMessageOutput
    permission_classes = (IsAuthenticated, HasScope)
    pagination_class = MessagePagination
    lookup_value_regex = ID_PATTERN
    required_scopes = {"list": ApiKey.EXPERT_SCOPE, "create": ApiKey.EXPERT_SCOPE}

    def _visible(self, pk: str) -> Ticket:
        ticket: Ticket = self.expert_ticket(int(pk), not_found=NotFound)
        return ticket

    @extend_schema(
        summary="The conversation of your claims on the ticket",
        description="Your messages and questions and the customer's replies, oldest first; "
        "masked. The customer's files are not shown (`files_withheld` counts them).",
    )
    def list(self, request: Request, pk: str) -> Response:
        ticket = self._visible(pk)
        page = self.paginate_queryset(conversation_of_expert(ticket, self.expert))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Write to the customer, or ask a clarifying question",
        description="Only while you hold the active claim (else a 409). A `question` pauses "
        "your SLA clock until the customer's next message. What you write is masked like the "
        "customer's text before anyone reads it.",
        request=s.MessageInput,
        responses={201: s.ExpertMessageOutput},
        examples=s.expert_examples(),
    )
    def create(self, request: Request, pk: str) -> Response:
        ticket = self._visible(pk)
        conversation = conversation_of_expert(ticket, self.expert)
        earlier = self.created_by_earlier_attempt(TicketMessage)
        message = conversation.filter(pk=earlier).first() if earlier else None
        if message is None:
            data = s.MessageInput(data=request.data)
            data.is_valid(raise_exception=True)
            if not Claim.objects.filter(
                ticket=ticket, expert=self.expert, status=Claim.Status.ACTIVE
            ).exists():
                raise NoActiveClaim(NO_ACTIVE_CLAIM)
            try:
                created = message_post(
                    ticket_id=ticket.pk,
                    author=self.expert,
                    side=TicketMessage.Side.EXPERT,
                    kind=data.validated_data["kind"],
                    body=data.validated_data["body"],
                    idempotency_record=self.idempotency_record,
                )
            except ValidationError as exc:
                if " ".join(exc.messages) == NO_ACTIVE_CLAIM:  # the claim ended meanwhile
                    raise NoActiveClaim(NO_ACTIVE_CLAIM) from exc
                raise
            message = conversation.get(pk=created.pk)
        return Response(self.get_serializer(message).data, status=status.HTTP_201_CREATED)
