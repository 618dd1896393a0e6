"""A real Celery round trip: a service queues a task on commit, and a worker process started
here (Redis when REDIS_URL is set, the serverless filesystem broker otherwise) runs it against
the same database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from accounts import services
from accounts.models import Invitation
from config.celery_app import app as celery_app


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@pytest.fixture
def worker(transactional_db, tmp_path: Path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "default",
            "--pool",
            "solo",
            "-l",
            "info",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    celery_app.conf.task_always_eager = False
    try:
        yield proc, tmp_path / "worker.log"
    finally:
        celery_app.conf.task_always_eager = True
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


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
