"""What the public API and outbound webhooks cost, without the model: per-request latency of
the API plumbing (key lookup, scope, throttle, usage row, Idempotency-Key, problem errors) on
the embedded default (SQLite), and the time to sign and deliver one webhook to a local
receiver.

    .venv/bin/python bench/api_webhooks.py [--requests 300]

It runs in a throwaway var/ folder (its own SQLite file and filesystem broker; nothing is
sent to a worker). Tickets are submitted to an organization with no model, so their triage
is "unavailable" and the numbers are the API's and the services' own, not the encoder's
(bench/triage_latency.py measures that). The last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

if __package__ in (None, ""):  # run as a script: the project root is not on path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Before Django reads its settings: a scratch var/ folder, loopback webhooks allowed.
os.environ["EXPERTDESK_VAR_DIR"] = tempfile.mkdtemp(prefix="expertdesk-bench-api-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "true"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from accounts import services as accounts  # noqa: E402
from accounts.models import Organization  # noqa: E402
from billing.models import Plan  # noqa: E402
from tests.factories import OrganizationFactory  # noqa: E402
from tests.webhooks.receiver import local_receiver  # noqa: E402
from webhooks import services as webhooks  # noqa: E402
from webhooks.models import EventType, WebhookDelivery  # noqa: E402


def timed(n: int, call: Callable[[int], Any]) -> dict[str, float]:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "per_s": round(1000 * n / sum(samples), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    n = args.requests

    call_command("migrate", verbosity=0)
    Plan.objects.update(api_requests_per_minute=1_000_000)  # measure the work, not the 429s
    org = cast(Organization, OrganizationFactory())
    owner = org.memberships.get(role="owner").user
    _, key = accounts.api_key_create(
        organization=org, actor=owner, name="bench", scopes=["tickets:read", "tickets:write"]
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="127.0.0.1")

    def submit(i: int) -> None:
        response = client.post(
            "/api/v1/tickets/",
            json.dumps({"title": f"Printer {i} jams", "body": "Tray 2 jams on every job."}),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"bench-{i}",
        )
        assert response.status_code == 201, response.content

    def replay(i: int) -> None:
        response = client.post(
            "/api/v1/tickets/",
            json.dumps({"title": f"Printer {i} jams", "body": "Tray 2 jams on every job."}),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"bench-{i}",
        )
        assert response["Idempotent-Replayed"] == "true"

    def list_page(i: int) -> None:
        assert client.get("/api/v1/tickets/?limit=50").status_code == 200

    def detail(i: int) -> None:
        assert client.get(f"/api/v1/tickets/{i + 1}/").status_code == 200

    results: dict[str, Any] = {
        "requests": n,
        "create_ticket": timed(n, submit),
        "create_replayed": timed(n, replay),
        "list_50": timed(n, list_page),
        "retrieve": timed(n, detail),
    }

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queries: dict[str, int] = {}
    for name, call in (("create_ticket", submit), ("list_50", list_page), ("retrieve", detail)):
        with CaptureQueriesContext(connection) as captured:
            call(n + 1000 if name == "create_ticket" else 0)  # a new key: a real create
        queries[name] = len(captured)

    results["queries_per_request"] = queries

    with local_receiver() as receiver:
        webhooks.webhook_endpoint_create(
            organization=org, actor=owner, url=receiver.url, events=list(EventType.values)
        )
        deliveries = [
            webhooks.webhook_event_emit(
                organization=org, event="ticket.answered", data={"ticket": {"id": i}}
            )[0]
            for i in range(n)
        ]

        def deliver(i: int) -> None:
            done = webhooks.webhook_delivery_attempt(delivery_id=deliveries[i].pk)
            assert done is not None and done.status == WebhookDelivery.Status.SUCCEEDED

        results["webhook_sign_and_deliver"] = timed(n, deliver)
        assert len(receiver.requests) == n

    for name, value in results.items():
        print(f"{name}: {value}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
