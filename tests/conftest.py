from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest
from django.db import connection
from django.test import Client

from accounts import services
from accounts.models import Membership, Organization, Role, User
from tests.factories import OrganizationFactory, UserFactory


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that runs outside a rolled-back transaction (transaction=True, or a live
    server, or a worker) restores the database as migrations left it (seeded plans, content
    types) when it ends, instead of leaving it flushed: then no such test depends on which one
    ran before it. Without this, a flush (which recreates content types under new ids) followed
    by a test that reloads the serialized state fails on duplicate keys."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        names = getattr(item, "fixturenames", [])
        transactional = (marker is not None and marker.kwargs.get("transaction")) or (
            "transactional_db" in names or "live_server" in names
        )
        if transactional and "django_db_serialized_rollback" not in names:
            names.append("django_db_serialized_rollback")


@pytest.fixture(autouse=True)
def _no_cached_index_across_tests() -> None:
    """Per-process caches keyed by database state (the answer index by organization id and
    index version, the solve calibration by organization id and its clicks) would carry one
    test's data into the next where a rollback lets ids and versions repeat (SQLite): each
    test starts without them. (Loaded models, keyed by checksum, are kept: they are slow.)"""
    from ml import serving
    from solutions import selectors

    serving.reset_index_cache()
    selectors.suggestion_calibrations_reset()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(**kwargs: object) -> User:
        return cast(User, UserFactory(**kwargs))

    return make


@pytest.fixture
def make_org(db: None) -> Callable[..., Organization]:
    def make(**kwargs: object) -> Organization:
        return cast(Organization, OrganizationFactory(**kwargs))

    return make


@pytest.fixture
def add_member(db: None) -> Callable[[Organization, User, str], Membership]:
    """Adds a member the way the product does: an invitation, then its acceptance."""

    def add(org: Organization, user: User, role: str = Role.AGENT) -> Membership:
        owner = Membership.objects.filter(organization=org, role=Role.OWNER).first()
        assert owner is not None
        issued = services.invitation_create(
            actor=owner.user, organization=org, email=user.email, role=role
        )
        return services.invitation_accept(token=issued.token, user=user)

    return add


@pytest.fixture
def login() -> Callable[[User], Client]:
    def make_client(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make_client


@pytest.fixture(scope="session")
def tiny_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real triage model trained once per test session on synthetic tickets (categories
    access, hardware, network, software; cold start, so retrieval uses MiniLM's own
    embeddings) and saved as an artifact that tests register as a champion."""
    from tests.ml.engine_data import tiny_model_save

    return tiny_model_save(tmp_path_factory.mktemp("tiny-model") / "v1")


STARTER_ANSWERS = (
    ("VPN router drops", "Restart the VPN client and renew the router lease."),
    ("Printer out of toner", "Replace the toner cartridge in tray 2."),
    ("Account locked after password change", "Unlock the account in the portal."),
)


@pytest.fixture
def install_champion(tiny_artifact):
    """Makes the tiny session model `organization`'s champion (version 1) and empties the
    per-process serving caches, so the next triage loads it."""
    from django.utils import timezone

    from ml import serving
    from ml.models import ModelVersion
    from ml.pipeline import checksum

    def install(organization: Organization, **fields: object) -> ModelVersion:
        version = ModelVersion.objects.create(
            organization=organization,
            version=1,
            status=ModelVersion.Status.CHAMPION,
            artifact_path=str(tiny_artifact),
            artifact_checksum=checksum(tiny_artifact),
            promoted_at=timezone.now(),
            **fields,
        )
        serving.reset_caches()
        return version

    return install


@pytest.fixture
def make_org_with_model(make_org, install_champion):
    """An organization whose champion is the tiny session model, with solved tickets whose
    answers retrieval can suggest."""
    from ml.models import ImportedTicket
    from ml.services import embedding_index_rebuild

    def make(answers=STARTER_ANSWERS, **org_fields: object) -> Organization:
        org = make_org(**org_fields)
        install_champion(
            org, label_sets={"category": ["access", "hardware", "network", "software"]}
        )
        for i, (title, answer) in enumerate(answers):
            ImportedTicket.objects.create(
                organization=org, external_id=f"x{i}", title=title, text=title, answer=answer
            )
        embedding_index_rebuild(organization=org)
        return org

    return make


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@pytest.fixture
def worker_env() -> dict[str, str]:
    """Extra environment for the `worker` process; override it in a test module to change
    the worker's settings (they are read from the environment)."""
    return {}


@pytest.fixture
def worker_options() -> list[str]:
    """The worker's queue and pool; override it in a test module (`-Q ml`, or `--pool
    prefork -c 1` to have a pool process to kill)."""
    return ["-Q", "default", "--pool", "solo"]


@pytest.fixture
def worker(
    transactional_db: None, tmp_path: Path, worker_env: dict[str, str], worker_options: list[str]
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """A real Celery worker process (queue `default`, by default) on this test's database and
    broker; while it runs, tasks queued here go to it instead of running eagerly."""
    from config.celery_app import app as celery_app

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        **worker_env,
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
            *worker_options,
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
