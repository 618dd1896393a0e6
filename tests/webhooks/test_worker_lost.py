"""A webhook attempt whose worker dies mid-attempt is attempted again without beat: the task
is acks_late with reject_on_worker_lost, so the broker hands the same message to a new worker
process, and the delivery row (the claim carries the task id) lets exactly that message take
the attempt over before its lease ends. The lost attempt counts once; the cap still holds.
The last test kills a real Celery pool process while it waits on a slow receiver."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from billiard.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from webhooks import services
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.usefixtures("allow_loopback")


def _emit(org):
    [delivery] = services.webhook_event_emit(
        organization=org, event="ticket.answered", data={"ticket": {"id": 5}}
    )
    return delivery


def _dies_mid_attempt(monkeypatch, delivery, task_id):
    """Runs an attempt whose process ends inside the POST. (In-process, the end of the
    process is a BaseException the service does not catch; the real kill is the last test.)"""

    class WorkerKilled(BaseException):
        pass

    def killed(*args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr(services, "_post", killed)
    with pytest.raises(WorkerKilled):
        services.webhook_delivery_attempt(delivery_id=delivery.pk, task_id=task_id)
    monkeypatch.undo()
    delivery.refresh_from_db()


def test_the_redelivered_message_takes_the_attempt_over_before_the_lease_ends(
    make_org, make_endpoint, receiver, monkeypatch
):
    org = make_org()
    make_endpoint(org, receiver.url)
    delivery = _emit(org)
    _dies_mid_attempt(monkeypatch, delivery, "task-1")
    assert (delivery.status, delivery.attempts, delivery.attempt_task_id) == (
        "pending",
        1,
        "task-1",
    )
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=60)  # the lease

    # Any other message for it (a duplicate, the sweeper's) still waits for the lease.
    services.webhook_delivery_attempt(delivery_id=delivery.pk, task_id="task-2")
    assert receiver.requests == []
    # The same message again: its worker is gone, so it attempts now.
    services.webhook_delivery_attempt(delivery_id=delivery.pk, task_id="task-1")
    [request] = receiver.wait_for(1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.attempt_task_id) == ("succeeded", 2, "")
    assert request.headers["webhook-id"] == delivery.message_id
    # A late copy of it finds the delivery done.
    services.webhook_delivery_attempt(delivery_id=delivery.pk, task_id="task-1")
    assert len(receiver.requests) == 1


def test_a_message_that_keeps_killing_its_worker_stops_at_the_attempt_cap(
    make_org, make_endpoint, receiver, monkeypatch, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    org = make_org()
    make_endpoint(org, receiver.url)
    delivery = _emit(org)
    _dies_mid_attempt(monkeypatch, delivery, "task-1")
    _dies_mid_attempt(monkeypatch, delivery, "task-1")  # redelivered, dies again
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    services.webhook_delivery_attempt(delivery_id=delivery.pk, task_id="task-1")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert delivery.last_error == "The worker stopped during the last attempt."
    assert receiver.requests == []


def test_an_attempt_cut_short_in_process_is_a_failed_attempt_with_a_retry(
    make_org, make_endpoint, receiver, monkeypatch, fast_retries
):
    org = make_org()
    make_endpoint(org, receiver.url)
    delivery = _emit(org)

    def trickling(*args, **kwargs):
        raise SoftTimeLimitExceeded()  # what Celery raises in the task at the soft limit

    monkeypatch.setattr(services.transport, "post", trickling)
    before = timezone.now()
    services.webhook_delivery_attempt(delivery_id=delivery.pk, task_id="task-1")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.attempt_task_id) == ("pending", 1, "")
    assert delivery.last_error == "The attempt was cut short (SoftTimeLimitExceeded)."
    # The next attempt is on the normal backoff (1 s here), not after the 90 s claim.
    assert delivery.next_attempt_at <= before + timedelta(seconds=5)


# ---------------------------------------------------------------- a real pool process, killed


@pytest.fixture
def worker_options() -> list[str]:
    # A prefork pool of one: the test kills the pool process, the worker main process sees
    # it die and, for a reject_on_worker_lost task, puts the message back.
    return ["-Q", "default", "--pool", "prefork", "--concurrency", "1"]


@pytest.fixture
def worker_env() -> dict[str, str]:
    return {"WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}


def _pool_processes(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def test_a_worker_killed_mid_attempt_is_retried_without_beat(
    worker, make_org, make_endpoint, receiver
):
    proc, log_path = worker
    org = make_org()
    make_endpoint(org, receiver.url)
    receiver.hold(1)  # the first request hangs: the attempt is in flight
    delivery = _emit(org)  # autocommit: queued to the worker at once
    receiver.wait_for(1, timeout=90)
    [pool_process] = _pool_processes(proc.pid)
    os.kill(pool_process, signal.SIGKILL)

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, log_path.read_text()
        delivery.refresh_from_db()
        if delivery.status != "pending":
            break
        time.sleep(0.2)
    log = log_path.read_text()
    assert delivery.status == "succeeded", log[-3000:]
    # No beat runs here: the retry came from the redelivered message, well inside the lease.
    assert (delivery.attempts, delivery.last_response_code) == (2, 200)
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.message_id
    assert "SIGKILL" in log or "signal 9" in log
    assert not WebhookDelivery.objects.filter(status="pending").exists()
