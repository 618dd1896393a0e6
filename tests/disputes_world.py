"""What the dispute tests share (tests/solutions/test_disputes.py, tests/billing/test_ledger.py,
tests/e2e/test_dispute_journey.py): an organization with an agent, a vetted expert, and answers
made through the services the product uses (escalated, claimed, answered, accepted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Max
from django.utils import timezone

from accounts.models import Organization, Role, User
from accounts.services import invitation_accept, invitation_create
from billing import services as billing
from solutions.models import ExpertAnswer, ExpertProfile, Ticket
from solutions.services import experts as expert_services
from solutions.services import tickets as ticket_services
from tests.factories import OrganizationFactory, UserFactory

PRICE = 8000
NET = 6400  # at the default 20 % commission
ANSWER = "Renew the DHCP lease on the VPN router, then restart the client."


@dataclass
class World:
    org: Organization
    owner: User
    agent: User  # "Zoltan Quetzal": the ticket author, whose name masking hides
    expert: User
    staff: User


def user(**kwargs: Any) -> User:
    return cast(User, UserFactory(**kwargs))


def make_world(prefix: str = "acme") -> World:
    owner = user(email=f"owner@{prefix}.test", full_name="Olga Owner")
    org = cast(Organization, OrganizationFactory(creator=owner, name=prefix.title()))
    agent = user(email=f"agent@{prefix}.test", full_name="Zoltan Quetzal")
    issued = invitation_create(actor=owner, organization=org, email=agent.email, role=Role.AGENT)
    invitation_accept(token=issued.token, user=agent)
    expert = user(email=f"expert@{prefix}-experts.test", full_name="Erin Expert")
    ExpertProfile.objects.create(
        user=expert, headline="Network engineer", skills=["network"], vetted=True
    )
    staff = user(email=f"ops@{prefix}-platform.test", full_name="Pat Platform")
    User.objects.filter(pk=staff.pk).update(is_staff=True, is_superuser=True)
    staff.refresh_from_db()
    return World(org=org, owner=owner, agent=agent, expert=expert, staff=staff)


def escalated(world: World, *, title: str = "VPN of Zoltan Quetzal drops", price: int = PRICE):
    """A ticket as escalation leaves it (masked copy, price held), built directly so these
    tests don't depend on triage (as tests/solutions/conftest.py's make_escalated_ticket)."""
    org = world.org
    number = (Ticket.objects.filter(organization=org).aggregate(n=Max("number"))["n"] or 0) + 1
    pay = billing.expert_pay(gross_cents=price, commission_bps=billing.commission_bps_of(org))
    ticket = Ticket.objects.create(
        organization=org,
        author=world.agent,
        number=number,
        title=title,
        body=f"{title}: since Monday, every hour.",
        status=Ticket.Status.ESCALATED,
        category="network",
        priority="high",
        predicted_category="network",
        predicted_priority="high",
        masked_title=title.replace("Zoltan Quetzal", "[name]"),
        masked_body=f"{title.replace('Zoltan Quetzal', '[name]')}: since Monday.",
        expert_price_cents=price,
        expert_net_cents=pay.net_cents,
        escalated_at=timezone.now(),
    )
    billing.spend_hold_place(organization=org, ticket_id=ticket.pk, amount_cents=price)
    return ticket


def answered(world: World, **kwargs: Any) -> tuple[Ticket, ExpertAnswer]:
    """Escalated, claimed and answered: the answer awaits the customer's review."""
    ticket = escalated(world, **kwargs)
    claim = expert_services.expert_claim_ticket(expert=world.expert, ticket_id=ticket.pk)
    answer = expert_services.expert_answer_submit(
        expert=world.expert, claim_id=claim.pk, body=ANSWER
    )
    ticket.refresh_from_db()
    return ticket, answer


def accepted(world: World, **kwargs: Any) -> tuple[Ticket, ExpertAnswer]:
    """Answered, then accepted and rated by the agent: charged, the expert's earning available."""
    ticket, answer = answered(world, **kwargs)
    ticket_services.expert_answer_accept(
        ticket=ticket, actor=world.agent, answer_id=answer.pk, score=4
    )
    ticket.refresh_from_db()
    answer.refresh_from_db()
    return ticket, answer
