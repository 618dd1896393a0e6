"""Eight integrations retry the same POST with the same Idempotency-Key at the same moment:
one ticket is created; every other attempt is told the first is still running (409) or gets
its response replayed — never a second ticket, never a 5xx. The unique (organization, key)
row is what serialises them, so this runs against the suite's real database (PostgreSQL in
CI), each thread on its own connection."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from solutions.models import Ticket

from .conftest import bearer

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def test_concurrent_identical_requests_create_one_ticket(make_org, make_key):
    org = make_org()
    _, plaintext = make_key(org)
    body = json.dumps({"title": "Disk full on build server", "body": "The /var disk is full."})
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def retry() -> None:
        try:
            client = bearer(plaintext)
            barrier.wait(timeout=10)
            response = client.post(
                "/api/v1/tickets/",
                body,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="retry-storm-1",
            )
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    assert len(results) == THREADS
    statuses = sorted(code for code, _ in results)
    assert set(statuses) <= {201, 409}, results
    created = [data for code, data in results if code == 201]
    assert created, results
    assert len({data["id"] for data in created}) == 1
    assert Ticket.objects.filter(organization=org).count() == 1

    # Once the first has finished, a late retry gets the same response replayed.
    late = bearer(plaintext).post(
        "/api/v1/tickets/",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="retry-storm-1",
    )
    assert late.status_code == 201
    assert late["Idempotent-Replayed"] == "true"
    assert late.json()["id"] == created[0]["id"]
    assert Ticket.objects.filter(organization=org).count() == 1
