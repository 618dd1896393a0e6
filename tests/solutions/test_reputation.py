"""An expert's reputation from their history (solutions.selectors.reputation): the numbers per
skill and overall, the smoothing that neither zeroes a newcomer nor trusts one answer like
fifty, disputes lost, SLA compliance from breached claims, and the reliable tier's bar."""

from __future__ import annotations

import pytest

from solutions.models import Dispute, ExpertAnswer
from solutions.selectors.reputation import (
    expert_reliable_in,
    expert_reputation,
    expert_standing,
    reliability,
    reputations_of,
)
from tests.solutions.history import past_answer, past_claim, reliable_history

A = ExpertAnswer.Status


@pytest.fixture
def org(make_org):
    return make_org()


def test_numbers_per_skill_and_overall_from_constructed_history(org, make_expert):
    expert = make_expert(skills=("network", "email"))
    # network: 2 rated acceptances (5 and 4), 1 automatic (no rating), 1 follow-up, 1 waiting.
    past_answer(org, expert, "Network", score=5)  # the category's spelling doesn't matter
    past_answer(org, expert, "network", score=4)
    past_answer(org, expert, "network", auto=True)
    past_answer(org, expert, "network", status=A.REOPENED)
    past_answer(org, expert, "network", status=A.SUBMITTED)
    past_claim(org, expert, "network", breached=True)
    past_claim(org, expert, "network", breached=False)  # released: neither kept nor breached
    # email: one answer refunded after a lost dispute.
    past_answer(org, expert, "email", status=A.REFUNDED, dispute=Dispute.Status.REFUNDED)

    rep = expert_reputation(expert)
    network, email = rep.skill("network"), rep.skill("EMAIL")
    assert network.answers == 5
    assert (network.accepted, network.decided, network.acceptance_rate) == (3, 4, 0.75)
    assert (network.rating_count, network.rating_average) == (2, 4.5)
    assert (network.on_time, network.breached) == (5, 1)
    assert network.sla_compliance == pytest.approx(5 / 6) and network.sla_percent == 83
    assert network.disputes_lost == 0
    assert email.answers == 1 and email.acceptance_rate == 0.0 and email.disputes_lost == 1
    assert email.rating_average is None and email.dispute_loss_rate == 1.0
    overall = rep.overall
    assert (overall.answers, overall.accepted, overall.decided) == (6, 3, 5)
    assert (overall.disputes_lost, overall.on_time, overall.breached) == (1, 6, 1)
    assert [r.skill for r in rep.rows(["network", "email", "printing"])] == [
        "network",
        "email",
        "printing",
    ]
    assert rep.skill("printing").is_new


def test_one_category_only_when_asked(org, make_expert):
    expert = make_expert()
    past_answer(org, expert, "network")
    past_answer(org, expert, "hardware", status=A.REOPENED)
    rep = expert_reputation(expert, category="Network")
    assert set(rep.skills) == {"network"} and rep.overall.answers == 1


def test_disputes_lost_are_refunded_and_split_not_upheld_or_open(org, make_expert):
    expert = make_expert()
    for outcome in (Dispute.Status.REFUNDED, Dispute.Status.SPLIT):
        past_answer(org, expert, dispute=outcome)
    for outcome in (Dispute.Status.UPHELD, Dispute.Status.OPEN):
        past_answer(org, expert, dispute=outcome)
    past_answer(org, expert)
    record = expert_reputation(expert).skill("network")
    assert (record.disputes_lost, record.answers, record.dispute_loss_rate) == (2, 5, 0.4)


def test_sla_compliance_counts_breached_claims_and_ignores_released_ones(org, make_expert):
    expert = make_expert()
    for _ in range(3):
        past_answer(org, expert)
    past_claim(org, expert, breached=True)
    for _ in range(4):
        past_claim(org, expert, breached=False)
    record = expert_reputation(expert).skill("network")
    assert (record.on_time, record.breached, record.sla_compliance) == (3, 1, 0.75)
    # Only releases: no SLA record at all, not 0 %.
    newcomer = make_expert()
    past_claim(org, newcomer, breached=False)
    assert expert_reputation(newcomer).skill("network").sla_compliance is None


def test_the_routing_score_smooths_newcomers_and_small_histories(org, make_expert):
    newcomer, one, fifty, failing = (make_expert() for _ in range(4))
    past_answer(org, one, score=5)
    for _ in range(50):
        past_answer(org, fifty, score=5)
    for _ in range(20):
        past_answer(org, failing, status=A.REOPENED)
    reps = reputations_of([newcomer.pk, one.pk, fifty.pk, failing.pk], category="network")
    score = {u: reps[u.pk].skill("network").routing_score for u in (newcomer, one, fifty, failing)}
    # The priors' product: acceptance 0.7 × rating (4 − 1) / 4 × SLA 0.9 × (1 − 0.05).
    assert score[newcomer] == pytest.approx(0.7 * 0.75 * 0.9 * 0.95)
    assert 0 < score[newcomer] < score[one] < score[fifty]
    # One perfect answer is worth a little, fifty a lot.
    assert score[one] - score[newcomer] < (score[fifty] - score[newcomer]) / 3
    assert score[fifty] > 0.9
    # A long record of follow-ups ranks below someone with no record.
    assert score[failing] < score[newcomer] / 4


def test_reputations_of_many_experts_take_two_queries(org, make_expert, django_assert_num_queries):
    experts = [make_expert() for _ in range(5)]
    for expert in experts:
        past_answer(org, expert)
        past_claim(org, expert, breached=True)
    with django_assert_num_queries(2):
        reps = reputations_of([e.pk for e in experts])
    assert all(reps[e.pk].overall.answers == 1 and reps[e.pk].overall.breached for e in experts)


# ---------------------------------------------------------------- the reliable tier


def test_reliable_needs_vetting_volume_sla_rating_and_few_lost_disputes(org, make_expert):
    expert = make_expert()
    reliable_history(org, expert, answers=10)
    assert expert_reliable_in(expert, "Network")
    assert not expert_reliable_in(expert, "email")  # per category
    unvetted = make_expert(vetted=False)
    reliable_history(org, unvetted, answers=10)
    assert not expert_reliable_in(unvetted, "network")


def test_what_is_missing_is_said_in_words(org, make_expert):
    expert = make_expert()
    for _ in range(7):
        past_answer(org, expert, score=4)
    past_claim(org, expert, breached=True)
    past_answer(org, expert, status=A.REFUNDED, dispute=Dispute.Status.REFUNDED)
    check = reliability(vetted=True, record=expert_reputation(expert).skill("network"))
    assert not check.reliable
    assert check.missing == (
        "2 more answers (at least 10).",
        "SLA compliance of at least 90% (now 88%).",
        "An average rating of at least 4.5 (now 4.00).",
        "At most 5% of answers lost in disputes (now 13%).",
    )
    newcomer = reliability(vetted=False, record=expert_reputation(make_expert()).skill("email"))
    assert newcomer.missing[0] == "Get vetted by platform staff."
    assert "no ratings yet" in newcomer.missing[3]


def test_the_bar_comes_from_settings(org, make_expert, settings):
    settings.EXPERT_RELIABLE_MIN_ANSWERS = 2
    settings.EXPERT_RELIABLE_MIN_RATING = 4.0
    expert = make_expert()
    past_answer(org, expert, score=4)
    past_answer(org, expert, score=4)
    assert expert_reliable_in(expert, "network")
    settings.EXPERT_RELIABLE_MAX_DISPUTE_LOSS_RATE = 0.0
    past_answer(org, expert, score=5, dispute=Dispute.Status.SPLIT)
    assert not expert_reliable_in(expert, "network")


def test_standing_lists_each_skill_with_its_verdict(org, make_expert):
    expert = make_expert(skills=("network", "email"))
    reliable_history(org, expert, "network")
    standing = expert_standing(expert)
    assert [(s.skill, s.reliable) for s in standing.skills] == [
        ("network", True),
        ("email", False),
    ]
    assert standing.reliable_skills == ["network"]
    assert standing.skills[1].missing[0] == "10 more answers (at least 10)."
