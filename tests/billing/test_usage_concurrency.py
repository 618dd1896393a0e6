"""Many processes recording at once: one row per key, exact totals, and a cap nobody slips past.

Real threads with their own database connections (a transactional test, so they see committed
data). PostgreSQL allows ~100 connections: every thread runs, but at most SLOTS talk to the
database at once, and each closes its connection when done."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from billing.models import BillingAccount, Plan, UsageRecord
from billing.services import SpendCapExceeded, rate_period, usage_record

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 200
KEYS = 50
SLOTS = 40
AT = datetime(2025, 3, 10, tzinfo=UTC)


def _run(threads: int, work) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(threads)
    slots = threading.BoundedSemaphore(SLOTS)

    def body(i: int) -> None:
        start.wait()
        with slots:
            try:
                work(i)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                connection.close()

    pool = [threading.Thread(target=body, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    return errors


@pytest.fixture
def org(make_org):
    org = make_org(name="Busy")
    account, _ = BillingAccount.objects.get_or_create(organization=org)
    # Transactional tests flush the seeded plans: this one mirrors Starter's numbers.
    account.plan, _ = Plan.objects.get_or_create(
        code="conc-starter",
        defaults={
            "name": "Starter",
            "base_price_cents": 4900,
            "included_ai_answers": 100,
            "ai_overage_cents": 50,
            "expert_price_cents": {"medium": 5000},
            "sla_hours": {"medium": 24},
        },
    )
    account.save()
    return org


def test_200_threads_50_keys_make_50_rows_and_exact_totals(org):
    def work(i: int) -> None:
        key = i % KEYS
        usage_record(
            organization=org,
            kind="ai_answer",
            quantity=key + 1,
            idempotency_key=f"conc-{key}",
            occurred_at=AT,
        )

    assert _run(THREADS, work) == []
    assert UsageRecord.objects.filter(organization=org).count() == KEYS
    rating = rate_period(organization=org, period="2025-03")
    total = sum(range(1, KEYS + 1))  # 1275 answers: 100 included, 1175 beyond at 50 ¢
    assert rating.quantities["ai_answer"] == total
    assert (rating.included_used, rating.overage_count) == (100, total - 100)
    assert rating.overage_cents == (total - 100) * 50


def test_concurrent_acts_never_pass_the_cap(org):
    BillingAccount.objects.filter(organization=org).update(spend_cap_cents=50_000)
    refused: list[int] = []

    def work(i: int) -> None:
        try:
            usage_record(
                organization=org,
                kind="expert_answer",
                unit_price_cents=3000,
                idempotency_key=f"cap-{i}",
                occurred_at=AT,
            )
        except SpendCapExceeded:
            refused.append(i)

    threads = 60
    assert _run(threads, work) == []
    accepted = UsageRecord.objects.filter(organization=org).count()
    assert accepted == 50_000 // 3000 == 16
    assert len(refused) == threads - accepted
    assert rate_period(organization=org, period="2025-03").expert_cents == 48_000
