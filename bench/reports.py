"""The Reports page at scale: the summary selector and the page itself with 100k tickets of one
organization on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/expertdesk_bench_reports \\
        .venv/bin/python bench/reports.py [--tickets 100000] [--repeat 20] [--with-indexes]

The database is dropped and recreated (it must not be one you keep). The organization's year of
history is written with bulk_create, spread evenly over the last 365 days: 40% resolved by an
AI suggestion (a proposed suggestion, a confident triage event), 25% by an expert (a claim —
one in ten breached first —, an expert message, the answer, the usage row), 15% closed by the
team (a closed event, a customer message), 20% still open; every ticket has its `submitted`
event, and half the resolved ones a satisfaction survey (most answered). A second organization
with a tenth as many tickets shares the tables.

Timed, after 3 warm-up calls, `--repeat` calls each: `reports.selectors.report_summary` for the
default range (the last 30 days, per day) and for the longest (366 days, per week), and the page
(`GET /reports/`, a signed-in owner through Django's test client: view, template, charts) for
both. `--with-indexes` also creates the two indexes on solutions_ticket that the report's range
filters could use, `(organization_id, created_at)` and `(organization_id, resolved_at)` (the
lead owns solutions' migrations; see docs/benchmarks.md for whether they pay), and times again.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

BATCH = 5000
PASSWORD = "bench-pass-2026"  # noqa: S105 - a throwaway database's logins
INDEXES = (
    "CREATE INDEX IF NOT EXISTS bench_ticket_org_created ON solutions_ticket "
    "(organization_id, created_at)",
    "CREATE INDEX IF NOT EXISTS bench_ticket_org_resolved ON solutions_ticket "
    "(organization_id, resolved_at)",
)


def _p(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * len(ordered)))]


def _timed(call: Any, repeat: int) -> tuple[float, float]:
    for _ in range(3):
        call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return _p(times)


def _history(org: Any, agent: Any, expert: Any, n: int, rng: random.Random) -> None:
    from django.utils import timezone

    from billing.models import UsageRecord
    from reports.models import SatisfactionSurvey
    from solutions.models import (
        Claim,
        ExpertAnswer,
        Ticket,
        TicketEvent,
        TicketMessage,
        TicketSuggestion,
    )

    now = timezone.now()
    categories = ["network", "email", "hardware", "software", "access", "printing", "security"]
    priorities = ["low", "medium", "high", "critical"]
    channels = ["web", "web", "web", "api", "email"]
    for offset in range(0, n, BATCH):
        size = min(BATCH, n - offset)
        tickets, kinds = [], []
        for i in range(offset, offset + size):
            created = now - timedelta(days=365) + timedelta(seconds=365 * 86400 * i / n)
            roll = rng.random()
            kind = (
                "ai"
                if roll < 0.4
                else "expert"
                if roll < 0.65
                else "internal"
                if roll < 0.8
                else ""
            )
            fields: dict[str, Any] = {}
            if kind in ("ai", "expert"):
                hours = rng.uniform(0.1, 3) if kind == "ai" else rng.uniform(2, 40)
                done = min(now, created + timedelta(hours=hours))
                fields = {"status": "resolved", "resolution": kind, "resolved_at": done}
            elif kind == "internal":
                fields = {"status": "closed"}
            else:
                fields = {"status": rng.choice(["needs_expert", "escalated", "ai_suggested"])}
            tickets.append(
                Ticket(
                    organization=org,
                    author=agent,
                    number=i + 1,
                    title=f"Ticket {i}",
                    body="Bench ticket.",
                    channel=rng.choice(channels),
                    category=rng.choice(categories),
                    priority=rng.choice(priorities),
                    created_at=created,
                    **fields,
                )  # fmt: skip
            )
            kinds.append(kind)
        Ticket.objects.bulk_create(tickets)
        events, suggestions, messages, claims, usage, surveys = [], [], [], [], [], []
        answered: list[tuple[Ticket, Claim]] = []
        for t, kind in zip(tickets, kinds, strict=True):
            events.append(
                TicketEvent(
                    ticket=t, kind="submitted", message="Submitted.", created_at=t.created_at
                )
            )
            triaged = t.created_at + timedelta(seconds=rng.uniform(5, 90))
            events.append(
                TicketEvent(
                    ticket=t,
                    kind="triaged",
                    message="Triaged.",
                    created_at=triaged,
                    details={"outcome": "confident" if kind == "ai" else "abstained"},
                )  # fmt: skip
            )
            if kind == "ai":
                t.first_response_at = triaged  # the proposed answer
                suggestions.append(
                    TicketSuggestion(
                        ticket=t,
                        rank=1,
                        source_kind="article",
                        source_key="kb:1",
                        title="Fix",
                        answer="Do this.",
                        score=0.9,
                        probability=0.9,
                        proposed=True,
                    )  # fmt: skip
                )
                usage.append(
                    UsageRecord(
                        organization=org,
                        kind="ai_answer",
                        idempotency_key=f"ai:{t.pk}",
                        ticket_id=t.pk,
                        occurred_at=t.resolved_at or t.created_at,
                    )  # fmt: skip
                )
            elif kind == "expert":
                claimed = triaged + timedelta(minutes=rng.uniform(5, 120))
                if rng.random() < 0.1:
                    claims.append(
                        Claim(
                            ticket=t,
                            expert=expert,
                            status="expired",
                            claimed_at=claimed,
                            due_at=claimed,
                            ended_at=claimed,
                            breached_at=claimed,
                        )  # fmt: skip
                    )
                c = Claim(
                    ticket=t, expert=expert, status="answered", claimed_at=claimed,
                    due_at=claimed + timedelta(hours=8), ended_at=claimed + timedelta(hours=1),
                )  # fmt: skip
                claims.append(c)
                answered.append((t, c))
                t.first_response_at = claimed + timedelta(minutes=10)  # the expert's message
                messages.append(
                    TicketMessage(
                        ticket=t,
                        author=expert,
                        side="expert",
                        body="Which version?",
                        created_at=claimed + timedelta(minutes=10),
                    )  # fmt: skip
                )
                usage.append(
                    UsageRecord(
                        organization=org,
                        kind="expert_answer",
                        idempotency_key=f"ex:{t.pk}",
                        ticket_id=t.pk,
                        unit_price_cents=8000,
                        occurred_at=t.resolved_at or t.created_at,
                    )  # fmt: skip
                )
            elif kind == "internal":
                closed = triaged + timedelta(hours=rng.uniform(1, 30))
                # The columns the product stamps from the timeline (services.common).
                t.closed_at = closed
                t.first_response_at = triaged + timedelta(minutes=20)
                events.append(
                    TicketEvent(ticket=t, kind="closed", message="Closed.", created_at=closed)
                )
                messages.append(
                    TicketMessage(
                        ticket=t,
                        author=expert,
                        side="customer",
                        body="On it.",
                        created_at=triaged + timedelta(minutes=20),
                    )  # fmt: skip
                )
            if kind in ("ai", "expert") and rng.random() < 0.5:
                score = rng.choice([None, 3, 4, 5, 5, 5])
                surveys.append(
                    SatisfactionSurvey(
                        organization=org,
                        ticket=t,
                        email="r@example.test",
                        resolver=kind,
                        created_at=t.resolved_at or t.created_at,
                        sent_at=t.resolved_at,
                        score=score,
                    )  # fmt: skip
                )
        Ticket.objects.bulk_update(tickets, ["first_response_at", "closed_at"], batch_size=BATCH)
        TicketEvent.objects.bulk_create(events, batch_size=BATCH)
        TicketSuggestion.objects.bulk_create(suggestions, batch_size=BATCH)
        TicketMessage.objects.bulk_create(messages, batch_size=BATCH)
        Claim.objects.bulk_create(claims, batch_size=BATCH)
        ExpertAnswer.objects.bulk_create(
            [
                ExpertAnswer(
                    ticket=t,
                    expert=expert,
                    claim=c,
                    body="Fix.",
                    status="accepted",
                    price_cents=8000,
                    created_at=c.ended_at or c.claimed_at,
                )  # fmt: skip
                for t, c in answered
            ],
            batch_size=BATCH,
        )
        UsageRecord.objects.bulk_create(usage, batch_size=BATCH)
        SatisfactionSurvey.objects.bulk_create(surveys, batch_size=BATCH)
        print(f"  {offset + size:>7} tickets written", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--with-indexes", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database this benchmark may drop.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from accounts import services as accounts
    from reports.forms import ReportRange, default_range
    from reports.selectors import report_summary

    rng = random.Random(0)
    owner = accounts.user_create(email="owner@bench.test", password=PASSWORD, full_name="O")
    agent = accounts.user_create(email="agent@bench.test", password=PASSWORD, full_name="A")
    expert = accounts.user_create(email="exp@bench.test", password=PASSWORD, full_name="E")
    org = accounts.organization_create(creator=owner, name="Bench Corp")
    other_owner = accounts.user_create(email="o2@bench.test", password=PASSWORD, full_name="P")
    other = accounts.organization_create(creator=other_owner, name="Other Corp")
    started = time.perf_counter()
    print(f"Writing {args.tickets} tickets (and {args.tickets // 10} of another organization)…")
    _history(org, agent, expert, args.tickets, rng)
    _history(other, other_owner, expert, args.tickets // 10, rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"written in {time.perf_counter() - started:.0f} s")

    today = timezone.localdate()
    ranges = {
        "last 30 days (per day)": default_range(),
        "366 days (per week)": ReportRange(first=today - timedelta(days=365), last=today),
    }
    client = Client()
    client.force_login(owner)  # the owner's only organization is the active one

    def run(label: str) -> None:
        print(f"\n{label}")
        print(f"{'what':<36} {'p50 ms':>8} {'p95 ms':>8}")
        for name, chosen in ranges.items():
            s = report_summary(organization=org, chosen=chosen)
            p50, p95 = _timed(
                lambda c=chosen: report_summary(organization=org, chosen=c), args.repeat
            )
            print(f"{'summary, ' + name:<36} {p50:>8.1f} {p95:>8.1f}")
            query = {"from": chosen.first.isoformat(), "to": chosen.last.isoformat()}
            response = client.get("/reports/", query)
            assert response.status_code == 200, response.status_code
            assert b"chart-deflection" in response.content
            p50, p95 = _timed(lambda q=query: client.get("/reports/", q), args.repeat)
            print(f"{'page, ' + name:<36} {p50:>8.1f} {p95:>8.1f}")
            print(
                f"{'':<4}created {s.created}, resolved {s.resolved} {s.resolved_by}, "
                f"deflection {s.deflection_rate:.3f}"
            )

    run("Without extra indexes")
    if args.with_indexes:
        with connection.cursor() as cursor:
            for sql in INDEXES:
                cursor.execute(sql)
            cursor.execute("ANALYZE solutions_ticket")
        run("With (organization_id, created_at) and (organization_id, resolved_at) on tickets")


if __name__ == "__main__":
    main()
