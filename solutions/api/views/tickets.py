"""The public ticket API: parse, check scope, call the same services the pages call."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.tenancy import request_user
from api.errors import BillingReadOnly, Conflict
from api.pagination import ApiCursorPagination
from api.permissions import HasScope
from api.views import ID_PATTERN, ApiViewMixin
from billing import services as billing

from ...models import Ticket
from ...selectors import tickets_filtered
from ...selectors.duplicates import recent_identical_ticket
from ...services import tickets as ticket_services
from ...services.duplicates import ticket_merge
from ...services.masking import terms_clean, ticket_masked_copy
from ..serializers import tickets as s

READ, WRITE = "tickets:read", "tickets:write"

CREATE_EXAMPLE_REQUEST = {
    "title": "VPN drops every few minutes",
    "body": "Since this morning the VPN client disconnects from the office router.",
}
INVALID_EXAMPLE_RESPONSE = {
    "type": "https://expertdesk.example/problems/validation-error",
    "title": "Invalid request",
    "status": 400,
    "detail": "The request has invalid fields; see `errors`.",
    "errors": {"title": ["This field is required."]},
}
PRICE_CHANGED_EXAMPLE = {
    "type": "https://expertdesk.example/problems/conflict",
    "title": "Conflict",
    "status": 409,
    "detail": "The price changed since you looked; confirm the current price.",
    "current_price_cents": 8000,
}


class TicketPagination(ApiCursorPagination):
    ordering = "-number"


class TicketViewSet(ApiViewMixin, viewsets.GenericViewSet[Ticket]):
    serializer_class = s.TicketOutput
    permission_classes = (IsAuthenticated, HasScope)
    pagination_class = TicketPagination
    lookup_field = "number"
    lookup_value_regex = ID_PATTERN
    required_scopes = {
        "list": READ,
        "retrieve": READ,
        "create": WRITE,
        "escalate": WRITE,
        "feedback": WRITE,
        "correct": WRITE,
        "rate": WRITE,
        "close": WRITE,
        "withdraw": WRITE,
        "merge": WRITE,
        "add_detail": WRITE,
        "expert_preview": READ,
    }

    def scoped_queryset(self) -> QuerySet[Ticket]:
        return Ticket.objects.select_related("model_version").prefetch_related("suggestions")

    def _out(self, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
        ticket = self.get_queryset().get(pk=ticket.pk)
        return Response(self.get_serializer(ticket).data, status=code)

    def _require_submit_access(self) -> None:
        access = billing.organization_access(self.organization)
        if not access.can_submit:
            raise BillingReadOnly(access.banner or "The subscription does not allow new work.")

    @extend_schema(parameters=[s.TicketFilterInput])
    def list(self, request: Request) -> Response:
        params = s.TicketFilterInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        tickets = tickets_filtered(
            self.organization,
            {
                "status": data.get("status", ""),
                "category": data.get("category", ""),
                "priority": data.get("priority", ""),
                "q": data.get("search", ""),
            },
        )
        tickets = self.scoped(tickets).select_related("model_version")
        tickets = tickets.prefetch_related("suggestions")
        if "created_after" in data:
            tickets = tickets.filter(created_at__gte=data["created_after"])
        if "created_before" in data:
            tickets = tickets.filter(created_at__lt=data["created_before"])
        page = self.paginate_queryset(tickets)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(examples=s.ticket_examples(status_code="200"))
    def retrieve(self, request: Request, number: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=s.TicketCreateInput,
        responses={201: s.TicketOutput, 200: s.TicketOutput},
        description="Submits a ticket (201). A near-identical open ticket of the same requester "
        "from the last minutes (DUPLICATE_WINDOW_MINUTES) is returned instead, with "
        "`duplicate_of` set and 200: nothing new is stored.",
        examples=[
            OpenApiExample("Submit", value=CREATE_EXAMPLE_REQUEST, request_only=True),
            *s.ticket_examples(status_code="201"),
            OpenApiExample(
                "Invalid fields",
                value=INVALID_EXAMPLE_RESPONSE,
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        data = self._valid(s.TicketCreateInput, request)
        created = self.created_by_earlier_attempt(Ticket)
        earlier = self.get_queryset().filter(pk=created).first() if created else None
        if earlier is not None:
            # The first attempt with this key stored the ticket and died before answering.
            ticket = ticket_services.ticket_submit_resume(ticket=earlier)
            return self._out(ticket, status.HTTP_201_CREATED)
        self._require_submit_access()
        author = request_user(request._request)
        same = recent_identical_ticket(
            organization=self.organization, author=author, title=data["title"], body=data["body"]
        )
        if same is not None:
            # A double submission or a client's retry without an Idempotency-Key: the open
            # ticket it repeats, not a second one (200, `duplicate_of`).
            same = self.get_queryset().get(pk=same.pk)
            context = {**self.get_serializer_context(), "duplicate_of": same.number}
            return Response(self.get_serializer(same, context=context).data)
        ticket = ticket_services.ticket_submit(
            organization=self.organization,
            author=author,
            title=data["title"],
            body=data["body"],
            idempotency_record=self.idempotency_record,
            channel="api",
        )
        return self._out(ticket, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.MergeInput,
        responses={200: s.TicketOutput},
        description="Merges this ticket into another open ticket of the organization as a "
        "duplicate: it is closed with `duplicate_of` set, its timeline kept, its requester told "
        "once. Answers the ticket it joined. 400 when either ticket can't be merged (an expert "
        "holds it, it is closed, it is the same ticket).",
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, number: int) -> Response:
        ticket = self.get_object()
        data = self._valid(s.MergeInput, request)
        target = ticket_merge(
            ticket=ticket, into_number=data["into"], actor=request_user(request._request)
        )
        return self._out(target)

    @extend_schema(
        request=s.EscalateInput,
        responses={200: s.TicketOutput},
        examples=[
            OpenApiExample(
                "Confirm the price", value={"confirmed_price_cents": 8000}, request_only=True
            ),
            OpenApiExample(
                "The price changed",
                value=PRICE_CHANGED_EXAMPLE,
                response_only=True,
                status_codes=["409"],
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, number: int) -> Response:
        ticket = self.get_object()
        data = self._valid(s.EscalateInput, request)
        self._require_submit_access()
        current = ticket_services.escalation_price_cents(ticket)
        if current != data["confirmed_price_cents"]:
            raise Conflict(
                "The price changed since you looked; confirm the current price.",
                current_price_cents=current,
            )
        ticket = ticket_services.ticket_escalate(
            ticket=ticket,
            actor=request_user(request._request),
            confirmed_price_cents=current,
            masking_terms=data["masking_terms"],
        )
        return self._out(ticket)

    @extend_schema(
        summary="What an expert would see if the ticket were escalated now",
        parameters=[
            OpenApiParameter(
                "terms",
                str,
                many=True,
                description="Extra words to hide (repeat the parameter for several).",
            )
        ],
        responses={200: s.ExpertPreviewOutput},
    )
    @action(detail=True, methods=["get"], url_path="expert-preview")
    def expert_preview(self, request: Request, number: int) -> Response:
        ticket = self.get_object()
        terms = terms_clean(request.query_params.getlist("terms"))
        copy = ticket_masked_copy(ticket=ticket, extra_terms=terms)
        return Response({"title": copy.title, "body": copy.body, "masked": copy.counts})

    @extend_schema(request=None, responses={200: s.TicketOutput})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, number: int) -> Response:
        """Takes an escalated ticket nobody has claimed back from the experts' queue and
        releases the price it reserved against the spend cap."""
        ticket = self.get_object()
        ticket_services.ticket_withdraw(ticket=ticket, actor=request_user(request._request))
        return self._out(ticket)

    @extend_schema(
        request=s.FeedbackInput,
        responses={200: s.TicketOutput},
        examples=[
            OpenApiExample(
                "This suggestion solved it",
                value={"suggestion": 7, "helpful": True},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, number: int) -> Response:
        ticket = self.get_object()
        data = self._valid(s.FeedbackInput, request)
        ticket_services.suggestion_feedback(
            ticket=ticket,
            actor=request_user(request._request),
            suggestion_id=data["suggestion"],
            solved=data["helpful"],
        )
        return self._out(ticket)

    @extend_schema(
        request=s.AddDetailInput,
        responses={200: s.TicketOutput},
        examples=[
            OpenApiExample(
                "Answer the follow-up question",
                value={"detail": "My ThinkPad T14 shows 'No bootable device' since Monday."},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path="add-detail")
    def add_detail(self, request: Request, number: int) -> Response:
        """Adds the requester's detail (the answer to `triage.follow_up_question`) to the body
        and triages the ticket again; while it needs detail or an expert and nobody has it."""
        ticket = self.get_object()
        data = self._valid(s.AddDetailInput, request)
        ticket = ticket_services.ticket_detail_add(
            ticket=ticket, actor=request_user(request._request), detail=data["detail"]
        )
        return self._out(ticket)

    @extend_schema(request=s.CorrectInput, responses={200: s.TicketOutput})
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, number: int) -> Response:
        ticket = self.get_object()
        data = self._valid(s.CorrectInput, request)
        ticket_services.ticket_correct(
            ticket=ticket,
            actor=request_user(request._request),
            category=data.get("category"),
            priority=data.get("priority"),
        )
        return self._out(ticket)

    @extend_schema(request=s.RateInput, responses={200: s.TicketOutput})
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, number: int) -> Response:
        ticket = self.get_object()
        data = self._valid(s.RateInput, request)
        ticket_services.expert_answer_accept(
            ticket=ticket,
            actor=request_user(request._request),
            answer_id=data["answer"],
            score=data["score"],
            comment=data.get("comment", ""),
        )
        return self._out(ticket)

    @extend_schema(request=None, responses={200: s.TicketOutput})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, number: int) -> Response:
        ticket = self.get_object()
        ticket_services.ticket_close(ticket=ticket, actor=request_user(request._request))
        return self._out(ticket)

    @staticmethod
    def _valid(serializer_class: Any, request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
