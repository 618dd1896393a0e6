"""A real Celery round trip: a service queues a task on commit, and a worker process started
here (Redis when REDIS_URL is set, the serverless filesystem broker otherwise) runs it against
the same database. The `worker` fixture lives in tests/conftest.py."""

from __future__ import annotations

import time

from accounts import services
from accounts.models import Invitation


def test_service_task_runs_in_a_real_worker(worker, make_org):
    proc, log_path = worker
    org = make_org()
    owner = org.memberships.get().user
    issued = services.invitation_create(actor=owner, organization=org, email="async@example.test")
    deadline = time.monotonic() + 90
    sent_at = None
    while time.monotonic() < deadline and sent_at is None:
        assert proc.poll() is None, log_path.read_text()
        sent_at = Invitation.objects.get(pk=issued.invitation.pk).email_sent_at
        time.sleep(0.5)
    assert sent_at is not None, log_path.read_text()
    assert "invitation_send_email_task" in log_path.read_text()
