"""Fixtures shared by the solutions tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Max
from django.utils import timezone

from accounts.models import Organization, User
from billing import services as billing
from solutions.models import ExpertProfile, Ticket


@pytest.fixture
def make_expert(make_user: Callable[..., User]) -> Callable[..., User]:
    """An expert account: a user with a (by default vetted, available) profile and no org."""

    def make(skills: tuple[str, ...] = ("network", "hardware"), **profile: Any) -> User:
        user = make_user()
        ExpertProfile.objects.create(
            user=user,
            headline=profile.pop("headline", "IT generalist"),
            skills=[s.lower() for s in skills],
            vetted=profile.pop("vetted", True),
            **profile,
        )
        return user

    return make


@pytest.fixture
def make_escalated_ticket(db: None) -> Callable[..., Ticket]:
    """A ticket as `tickets.ticket_escalate` leaves it: escalated, masked copy stored, priced,
    with its net pay and its price held against the spend cap. Built directly so expert-side
    tests don't depend on triage."""

    def make(
        organization: Organization,
        *,
        category: str = "network",
        priority: str = "high",
        title: str = "VPN drops every hour",
        body: str = "Since Monday the VPN disconnects every hour.",
        author: User | None = None,
        **fields: Any,
    ) -> Ticket:
        number = (
            Ticket.objects.filter(organization=organization).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        price = fields.pop("expert_price_cents", 8000)
        hold = fields.pop("hold", True)
        pay = billing.expert_pay(
            gross_cents=price, commission_bps=billing.commission_bps_of(organization)
        )
        ticket = Ticket.objects.create(
            organization=organization,
            author=author,
            number=number,
            title=title,
            body=body,
            status=fields.pop("status", Ticket.Status.ESCALATED),
            category=category,
            priority=priority,
            predicted_category=category,
            predicted_priority=priority,
            masked_title=fields.pop("masked_title", title),
            masked_body=fields.pop("masked_body", body),
            expert_price_cents=price,
            expert_net_cents=pay.net_cents,
            escalated_at=fields.pop("escalated_at", timezone.now()),
            **fields,
        )
        if hold:
            billing.spend_hold_place(
                organization=organization, ticket_id=ticket.pk, amount_cents=price
            )
        return ticket

    return make


@pytest.fixture
def make_open_ticket(db: None) -> Callable[..., Ticket]:
    """A ticket triage sent to the experts' side: categorised, waiting for someone to
    escalate it. Built directly so escalation tests don't depend on triage."""

    def make(
        organization: Organization,
        author: User | None,
        title: str = "VPN drops every hour",
        body: str = "Since Monday the VPN disconnects every hour.",
        **fields: Any,
    ) -> Ticket:
        number = (
            Ticket.objects.filter(organization=organization).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        return Ticket.objects.create(
            organization=organization,
            author=author,
            number=number,
            title=title,
            body=body,
            status=Ticket.Status.NEEDS_EXPERT,
            category=fields.pop("category", "network"),
            priority=fields.pop("priority", "high"),
            **fields,
        )

    return make
