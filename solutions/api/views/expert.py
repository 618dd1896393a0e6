"""The expert side of the public API: the queue, one ticket, claim, release, answer. Thin: it
parses, checks, and calls the very services the expert pages call (`solutions.services.
experts`), so what an expert may see and do is decided in one place.

The caller is one expert: their own expert key or their browser session (`ExpertApiViewMixin`
refuses organization keys). Tickets are addressed by their pk, as on `/experts/tickets/<id>/`
(experts work across organizations, so the per-organization number would be ambiguous). A
ticket the expert may not see is a 404, exactly where the expert page answers 404.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiKey
from api.errors import Conflict
from api.permissions import HasScope
from api.views import ID_PATTERN, ExpertApiViewMixin
from billing import services as billing

from ...models import Claim, ExpertProfile, Ticket
from ...selectors import expert_ticket_taken, expert_ticket_visible
from ...selectors.reputation import expert_net_pay
from ...services import experts as services
from ..serializers import expert as s

EXPERT = ApiKey.EXPERT_SCOPE
NOT_VISIBLE = "No such ticket in your queue."
NO_ACTIVE_CLAIM = "You hold no active claim on this ticket."

ANSWER_EXAMPLE = {
    "id": 12,
    "ticket": 981,
    "claim": 40,
    "body": "Renew the DHCP lease on the office router, then restart the VPN client.",
    "status": "submitted",
    "price_cents": 8000,
    "created_at": "2026-11-23T12:30:00Z",
}


class AlreadyClaimed(Conflict):
    default_code = "already_claimed"


class TicketNotOpen(Conflict):
    default_code = "ticket_not_open"


class NoActiveClaim(Conflict):
    default_code = "no_active_claim"


class ExpertQueuePagination(LimitOffsetPagination):
    # Offsets, not cursors: the queue's order (priority, SLA, waiting time) is computed, and
    # tickets leave it as they are claimed; follow `next` and expect the odd shift.
    default_limit = 50
    max_limit = 100


class _ExpertView(ExpertApiViewMixin):
    profile: ExpertProfile  # set by ExpertApiViewMixin once permissions pass


class ExpertQueueViewSet(_ExpertView, viewsets.GenericViewSet[Ticket]):
    permission_classes = (IsAuthenticated, HasScope)
    serializer_class = s.ExpertTicketOutput
    pagination_class = ExpertQueuePagination
    required_scopes = {"list": EXPERT}

    @extend_schema(
        summary="The expert's queue",
        description="Escalated tickets matching the expert's skills, most urgent first; "
        "masked. Empty for an expert who is not vetted or is marked unavailable.",
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        context = {
            **self.get_serializer_context(),
            "expert": self.expert,
            "net_pay": expert_net_pay(expert=self.expert, tickets=page),
            "plans": billing.plans_of(t.organization_id for t in page),
        }
        return self.get_paginated_response(
            self.get_serializer(page, many=True, context=context).data
        )


class ExpertTicketViewSet(_ExpertView, viewsets.GenericViewSet[Ticket]):
    permission_classes = (IsAuthenticated, HasScope)
    serializer_class = s.ExpertTicketDetailOutput
    lookup_value_regex = ID_PATTERN
    required_scopes = {
        "retrieve": EXPERT,
        "claim": EXPERT,
        "release": EXPERT,
        "answer": EXPERT,
    }

    @staticmethod
    def _ticket_id(pk: str) -> int:
        return int(pk)  # ID_PATTERN: at most 18 digits, so it always fits the database

    def _visible(self, pk: str) -> Ticket:
        return self.expert_ticket(self._ticket_id(pk), not_found=NotFound)

    def _active_claim(self, ticket: Ticket) -> Claim | None:
        return Claim.objects.filter(
            ticket=ticket, expert=self.expert, status=Claim.Status.ACTIVE
        ).first()

    def _out(self, ticket_id: int) -> Response:
        # Never a 404 after a claim or release: the caller holds or held a claim.
        ticket = self.expert_ticket(ticket_id, not_found=NotFound)
        context = {
            **self.get_serializer_context(),
            "active_claim": self._active_claim(ticket),
            "expert": self.expert,
        }
        return Response(s.ExpertTicketDetailOutput(ticket, context=context).data)

    @extend_schema(summary="One ticket (masked), with the caller's active claim")
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._out(self._visible(pk).pk)

    @extend_schema(
        summary="Claim the ticket until its SLA lapses",
        request=None,
        responses={200: s.ExpertTicketDetailOutput},
    )
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str) -> Response:
        ticket_id = self._ticket_id(pk)
        if expert_ticket_visible(expert=self.expert, ticket_id=ticket_id) is None:
            # Taken by someone else: a 409 that says so (below), not a 404.
            if not expert_ticket_taken(expert=self.expert, ticket_id=ticket_id):
                raise NotFound(NOT_VISIBLE)
        try:
            services.expert_claim_ticket(expert=self.expert, ticket_id=ticket_id)
        except ValidationError as exc:
            message = " ".join(exc.messages)
            if message == services.CLAIMED_FIRST:
                raise AlreadyClaimed(message) from exc
            if message == services.NOT_OPEN:
                raise TicketNotOpen(message) from exc
            raise  # the expert's own state (vetting, availability, claim limit): a 400
        return self._out(ticket_id)

    @extend_schema(
        summary="Hand the ticket back to the queue",
        request=None,
        responses={200: s.ExpertTicketDetailOutput},
    )
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str) -> Response:
        ticket = self._visible(pk)
        claim = self._active_claim(ticket)
        if claim is None:
            raise NoActiveClaim(NO_ACTIVE_CLAIM)
        services.expert_release_claim(expert=self.expert, claim_id=claim.pk)
        return self._out(ticket.pk)

    @extend_schema(
        summary="Answer the ticket you hold",
        request=s.ExpertAnswerInput,
        responses={201: s.ExpertAnswerOutput},
        examples=[
            OpenApiExample("Answer", value={"body": ANSWER_EXAMPLE["body"]}, request_only=True),
            OpenApiExample(
                "Answered", value=ANSWER_EXAMPLE, response_only=True, status_codes=["201"]
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str) -> Response:
        ticket = self._visible(pk)
        data = s.ExpertAnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        claim = self._active_claim(ticket)
        if claim is None:
            raise NoActiveClaim(NO_ACTIVE_CLAIM)
        answer = services.expert_answer_submit(
            expert=self.expert, claim_id=claim.pk, body=data.validated_data["body"]
        )
        return Response(s.ExpertAnswerOutput(answer).data, status=status.HTTP_201_CREATED)
