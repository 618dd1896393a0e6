"""Commission tiers: a vetted expert who is reliable in the ticket's category claims it at the
plan's reliable commission, and is paid at it when the answer is accepted; everyone else at
the commission fixed at escalation. What each expert is shown (queue, ticket, answer page,
API) is what they would be paid; the earnings page shows the tier and what is missing; staff
set the tier on the plan in the admin, which refuses one above the standard commission."""

from __future__ import annotations

import json

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from accounts.models import Role
from billing.models import ExpertEarning, Plan, SpendHold
from solutions.models import Claim
from solutions.services import experts as expert_services
from solutions.services import tickets as ticket_services
from tests.solutions.history import past_answer, reliable_history, seed_plans_with_tiers

PRICE = 8000  # the Starter plan's price of a high-priority answer
ANSWER = "Renew the DHCP lease on the router, then restart the VPN client."


@pytest.fixture
def org(make_org):
    return make_org(name="Acme")


@pytest.fixture
def owner(org):
    return org.memberships.get(role=Role.OWNER).user


@pytest.fixture
def starter(db):
    """The default plan, with the reliable tier its data migration gave it."""
    seed_plans_with_tiers()
    plan = Plan.objects.get(code="starter")
    assert (plan.commission_bps, plan.reliable_commission_bps) == (2000, 1500)
    return plan


@pytest.fixture
def reliable(org, make_expert):
    expert = make_expert(skills=("network",))
    reliable_history(org, expert, "network")
    return expert


@pytest.fixture
def standard(org, make_expert):
    expert = make_expert(skills=("network",))
    past_answer(org, expert, "network", score=5)
    return expert


@pytest.fixture
def ticket(org, owner, make_open_ticket, settings):
    # Without a first-offer window: both experts see the ticket at once.
    settings.EXPERT_FIRST_OFFER_MINUTES = 0
    return ticket_services.ticket_escalate(
        ticket=make_open_ticket(org, owner), actor=owner, confirmed_price_cents=PRICE
    )


def _claim_answer_accept(ticket, expert, owner):
    claim = expert_services.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
    answer = expert_services.expert_answer_submit(expert=expert, claim_id=claim.pk, body=ANSWER)
    ticket_services.expert_answer_accept(ticket=ticket, actor=owner, answer_id=answer.pk, score=5)
    return claim, ExpertEarning.objects.get(expert=expert, ticket_id=ticket.pk)


def test_a_reliable_expert_claims_and_is_paid_at_the_lower_commission(
    ticket, reliable, owner, starter
):
    claim, earning = _claim_answer_accept(ticket, reliable, owner)
    assert claim.commission_bps == 1500
    assert (earning.gross_cents, earning.commission_cents, earning.net_cents) == (8000, 1200, 6800)


def test_a_standard_expert_is_paid_at_the_commission_fixed_at_escalation(
    ticket, standard, owner, starter
):
    claim, earning = _claim_answer_accept(ticket, standard, owner)
    assert claim.commission_bps == 2000
    assert (earning.commission_cents, earning.net_cents) == (1600, 6400)


def test_the_tier_is_fixed_with_the_claim(ticket, reliable, owner, starter):
    claim = expert_services.expert_claim_ticket(expert=reliable, ticket_id=ticket.pk)
    # Staff drop the tier while the expert works: the claim keeps what the expert was shown.
    Plan.objects.filter(pk=starter.pk).update(reliable_commission_bps=None)
    answer = expert_services.expert_answer_submit(expert=reliable, claim_id=claim.pk, body=ANSWER)
    ticket_services.expert_answer_accept(ticket=ticket, actor=owner, answer_id=answer.pk, score=4)
    assert ExpertEarning.objects.get(expert=reliable).net_cents == 6800


def test_no_tier_on_the_plan_means_one_commission_for_everyone(ticket, reliable, starter):
    Plan.objects.filter(pk=starter.pk).update(reliable_commission_bps=None)
    claim = expert_services.expert_claim_ticket(expert=reliable, ticket_id=ticket.pk)
    assert claim.commission_bps == 2000


def test_the_tier_never_charges_more_than_the_escalation_did(ticket, reliable, starter):
    SpendHold.objects.filter(ticket_id=ticket.pk).update(commission_bps=1000)
    claim = expert_services.expert_claim_ticket(expert=reliable, ticket_id=ticket.pk)
    assert claim.commission_bps == 1000


def test_reliable_in_another_category_is_standard_here(org, ticket, make_expert, starter):
    expert = make_expert(skills=("network", "email"))
    reliable_history(org, expert, "email")
    claim = expert_services.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
    assert claim.commission_bps == 2000


def test_each_expert_is_shown_their_own_net_pay(ticket, reliable, standard, login, starter):
    mine, theirs = login(reliable), login(standard)
    queue = reverse("expert_queue")
    assert "$68.00" in mine.get(queue).content.decode()
    assert "$64.00" in theirs.get(queue).content.decode()
    page = reverse("expert_ticket", args=[ticket.pk])
    assert "$68.00" in mine.get(page).content.decode()
    assert "$64.00" in theirs.get(page).content.decode()
    api_queue = reverse("api-expert-queue-list")
    assert mine.get(api_queue).json()["results"][0]["net_pay_cents"] == 6800
    assert theirs.get(api_queue).json()["results"][0]["net_pay_cents"] == 6400
    detail = reverse("api-expert-ticket-detail", args=[ticket.pk])
    assert mine.get(detail).json()["net_pay_cents"] == 6800

    claimed = mine.post(reverse("api-expert-ticket-claim", args=[ticket.pk])).json()
    assert claimed["net_pay_cents"] == 6800
    claim = Claim.objects.get(ticket=ticket, expert=reliable)
    assert "$68.00" in mine.get(reverse("expert_answer", args=[claim.pk])).content.decode()
    answered = mine.post(
        reverse("api-expert-ticket-answer", args=[ticket.pk]),
        data=json.dumps({"body": ANSWER}),
        content_type="application/json",
    )
    assert answered.status_code == 201 and answered.json()["net_pay_cents"] == 6800


def test_the_earnings_page_shows_the_tier_and_what_is_missing(
    org, reliable, standard, login, starter
):
    page = login(reliable).get(reverse("expert_earnings")).content.decode()
    assert 'data-testid="tier-badge">Reliable in network<' in page
    assert "Starter" in page and "20%" in page and "15%" in page
    other = login(standard).get(reverse("expert_earnings")).content.decode()
    assert 'data-testid="tier-badge">Standard<' in other
    assert "9 more answers (at least 10)." in other


# ---------------------------------------------------------------- the plan in the admin


@pytest.fixture
def staff(make_user):
    user = make_user(email="ops@expertdesk.test")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def _plan_form(plan, **changes):
    data = {k: v for k, v in model_to_dict(plan).items() if v is not None}
    for name in ("expert_price_cents", "sla_hours", "sla_calendar"):
        data[name] = json.dumps(data.get(name, {}))
    data.update(changes)
    return data


def test_the_admin_refuses_a_tier_above_the_standard_commission(staff, login, starter):
    client = login(staff)
    url = reverse("admin:billing_plan_change", args=[starter.pk])
    response = client.post(url, _plan_form(starter, reliable_commission_bps=2500))
    assert response.status_code == 200
    assert "must not be higher than the standard commission (2000 basis points)" in (
        response.content.decode()
    )
    starter.refresh_from_db()
    assert starter.reliable_commission_bps == 1500
    saved = client.post(url, _plan_form(starter, reliable_commission_bps=1200))
    assert saved.status_code == 302
    starter.refresh_from_db()
    assert starter.reliable_commission_bps == 1200
    cleared = client.post(url, _plan_form(starter, reliable_commission_bps=""))
    assert cleared.status_code == 302
    starter.refresh_from_db()
    assert starter.reliable_commission_bps is None
