"""/metrics: the format, the per-route counter, the token, multiprocess mode, task and triage
metrics, the scrape-time gauges."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import shared_task
from django.conf import settings
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from observability.metrics import triage_observed

pytestmark = pytest.mark.django_db


def scraped(client, **headers) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """{sample name: {sorted labels: value}} of one /metrics response."""
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            key = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[key] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


def test_a_request_counts_under_its_route_name(client):
    before = value(
        scraped(client),
        "expertdesk_http_requests_total",
        route="healthz",
        method="GET",
        status="2xx",
    )
    assert client.get("/healthz").status_code == 200
    assert client.get("/no-such-page-4711").status_code == 404
    samples = scraped(client)
    assert (
        value(
            samples, "expertdesk_http_requests_total", route="healthz", method="GET", status="2xx"
        )
        == before + 1
    )
    # Unmatched paths share one label; no raw path ever becomes a label value.
    assert value(
        samples, "expertdesk_http_requests_total", route="<unmatched>", method="GET", status="4xx"
    )
    routes = {dict(k)["route"] for k in samples["expertdesk_http_requests_total"]}
    assert not any("/" in route for route in routes)
    assert value(
        samples, "expertdesk_http_request_duration_seconds_count", route="healthz", method="GET"
    )
    # The scrape-time gauges are there, and every collector worked.
    for collector in ("models", "celery_queues", "webhook_deliveries"):
        assert value(samples, "expertdesk_metrics_collector_up", collector=collector) == 1
    for queue in ("default", "ml"):
        assert (("queue", queue),) in samples["expertdesk_celery_queue_length"]
    assert (("status", "failed"),) in samples["expertdesk_webhook_deliveries"]


def test_the_champion_version_per_organization(client, make_org, install_champion):
    org = make_org(slug="metrics-org")
    install_champion(org)
    assert value(scraped(client), "expertdesk_model_champion_version", organization=org.slug) == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": "Basic s3cret-token"}],
)
def test_without_the_token_the_endpoint_does_not_exist(client, settings, headers):
    settings.METRICS_ALLOW_LOOPBACK = False
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics", **headers).status_code == 404


def test_the_right_token_reads_the_metrics(client, settings):
    settings.METRICS_ALLOW_LOOPBACK = False
    settings.METRICS_TOKEN = "s3cret-token"
    assert "expertdesk_http_requests_total" in scraped(
        client, HTTP_AUTHORIZATION="Bearer s3cret-token"
    )


def test_an_empty_token_opens_nothing(client, settings):
    settings.METRICS_ALLOW_LOOPBACK = False
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.get("/metrics").status_code == 404


def test_loopback_needs_no_token_where_allowed(client, settings):
    settings.METRICS_ALLOW_LOOPBACK = True
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404


WRITER = """
from observability.metrics import CELERY_TASKS
CELERY_TASKS.labels(task="tests.multiprocess", outcome="success").inc({n})
"""


def test_multiprocess_mode_sums_every_process(client, tmp_path: Path, monkeypatch):
    """Two processes (as two gunicorn workers) write into PROMETHEUS_MULTIPROC_DIR; one
    scrape, in a third process, reads their sum."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n in (2, 3):
        subprocess.run(
            [sys.executable, "-c", WRITER.format(n=n)],
            env=env,
            check=True,
            cwd=settings.BASE_DIR,
            timeout=60,
        )
    assert len(list(tmp_path.glob("*.db"))) == 2
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scraped(client)
    assert (
        value(
            samples, "expertdesk_celery_tasks_total", task="tests.multiprocess", outcome="success"
        )
        == 5
    )
    # The scrape-time gauges are computed in multiprocess mode too.
    assert value(samples, "expertdesk_metrics_collector_up", collector="models") == 1


@shared_task(name="tests.observability.fails")
def failing_task() -> None:
    raise RuntimeError("boom")


@shared_task(name="tests.observability.succeeds")
def succeeding_task() -> int:
    return 1


def tasks_total(task: str, outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "expertdesk_celery_tasks_total", {"task": task, "outcome": outcome}
        )
        or 0.0
    )


def test_task_outcomes_are_counted():
    assert settings.CELERY_TASK_ALWAYS_EAGER
    failures = tasks_total("tests.observability.fails", "failure")
    successes = tasks_total("tests.observability.succeeds", "success")
    # Eager tasks that propagate raise before Celery's failure handling (and its signal), as
    # the caller's own exception; a worker reports them, as apply(throw=False) does here.
    result = failing_task.apply(throw=False)
    assert result.failed()
    succeeding_task.delay()
    assert tasks_total("tests.observability.fails", "failure") == failures + 1
    assert tasks_total("tests.observability.succeeds", "success") == successes + 1


def test_billing_close_runs_are_counted():
    from billing.tasks.invoicing import close_previous_period_task

    def runs(outcome: str) -> float:
        return (
            REGISTRY.get_sample_value(
                "expertdesk_billing_period_close_runs_total", {"outcome": outcome}
            )
            or 0.0
        )

    before = runs("success")
    close_previous_period_task.delay(period="2026-01")
    assert runs("success") == before + 1


def test_triage_latency_by_outcome(make_org):
    from ml import serving

    def count(outcome: str) -> float:
        return (
            REGISTRY.get_sample_value(
                "expertdesk_triage_duration_seconds_count", {"outcome": outcome}
            )
            or 0.0
        )

    before = {o: count(o) for o in ("available", "unavailable", "error")}
    # An organization without a model: the real serving path answers "unavailable".
    [result] = triage_observed(serving.triage, make_org(), ["VPN is down"])
    assert not result.available
    assert count("unavailable") == before["unavailable"] + 1

    def broken(*args, **kwargs):
        raise ValueError("bug")

    with pytest.raises(ValueError):
        triage_observed(broken)
    assert count("error") == before["error"] + 1


def test_a_ticket_triage_is_timed(make_org_with_model):
    from solutions.services.tickets import ticket_submit

    def available() -> float:
        return (
            REGISTRY.get_sample_value(
                "expertdesk_triage_duration_seconds_count", {"outcome": "available"}
            )
            or 0.0
        )

    org = make_org_with_model()
    before = available()
    ticket = ticket_submit(organization=org, author=None, title="VPN", body="The VPN drops")
    assert ticket.model_version_id is not None
    assert available() == before + 1


def test_a_broker_that_is_down_costs_only_its_gauges(client, broker_down):
    samples = scraped(client)
    assert value(samples, "expertdesk_metrics_collector_up", collector="celery_queues") == 0
    assert value(samples, "expertdesk_metrics_collector_up", collector="models") == 1
    assert "expertdesk_celery_queue_length" not in samples
