"""Loading the champions when a web or worker process starts (ml/preload.py): the first ticket
finds the model in the cache, and no champion, a broken artifact or a failing database never
stops a process from starting."""

from __future__ import annotations

import logging

import pytest
from celery.signals import worker_process_init

from ml import preload, serving
from ml.models import ModelVersion


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The artifact paths `ml.serving` loads triage models from, in order."""
    seen: list[str] = []
    real_load = serving.pipeline.load

    def counting_load(path, *args, **kwargs):
        seen.append(str(path))
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(serving.pipeline, "load", counting_load)
    return seen


def test_the_champion_is_loaded_before_the_first_ticket(make_org_with_model, loads):
    org = make_org_with_model()
    serving.reset_caches()

    assert preload.champions_preload() == 1
    assert len(loads) == 1

    [result] = serving.triage(org, ["The VPN router drops every few minutes"])
    assert result.available
    assert len(loads) == 1  # the ticket found the preloaded model


def test_without_a_champion_nothing_is_loaded(make_org, loads):
    make_org()
    assert preload.champions_preload() == 0
    assert loads == []


def test_a_broken_artifact_does_not_stop_the_start(make_org_with_model, caplog):
    org = make_org_with_model()
    ModelVersion.objects.filter(organization=org).update(artifact_checksum="0" * 64)
    serving.reset_caches()
    with caplog.at_level(logging.ERROR):
        assert preload.champions_preload() == 0
    assert "unavailable" in caplog.text  # the cache's own message, logged once per version


def test_any_failure_is_logged_and_swallowed(make_org_with_model, monkeypatch, caplog):
    make_org_with_model()

    def broken(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(serving, "triage", broken)
    with caplog.at_level(logging.ERROR, logger="ml.preload"):
        assert preload.champions_preload() == 0
    assert "Preloading the champion models failed" in caplog.text


def test_the_background_preload_is_off_unless_enabled(settings):
    settings.ML_PRELOAD_CHAMPIONS = False
    assert preload.champions_preload_in_background() is None


@pytest.mark.django_db(transaction=True)
def test_a_pool_process_loads_the_champions_in_the_background(
    make_org_with_model, settings, monkeypatch, loads
):
    """Celery's worker_process_init (each pool process, after the fork) starts the preload in
    a thread of its own, with its own database connection (committed data: transaction=True)."""
    make_org_with_model()
    serving.reset_caches()
    settings.ML_PRELOAD_CHAMPIONS = True
    started = []
    real_background = preload.champions_preload_in_background

    def recorded():
        thread = real_background()
        started.append(thread)
        return thread

    monkeypatch.setattr(preload, "champions_preload_in_background", recorded)
    worker_process_init.send(sender=None)

    [thread] = started
    assert thread is not None
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert len(loads) == 1
