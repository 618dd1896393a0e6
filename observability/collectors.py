"""Gauges computed at scrape time: the same for every process, so read from the source of
truth (the database, the broker) when Prometheus asks, never stored per process.

Each part is guarded on its own: a broker that is down costs its queue gauges (and sets
`expertdesk_metrics_collector_up{collector="celery_queues"}` to 0), not the whole scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from prometheus_client.core import GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)

# A scrape must answer within Prometheus' timeout (10 s by default) even with the broker down.
BROKER_TIMEOUT_S = 2


def celery_queue_names() -> list[str]:
    """The queues the settings route tasks to (the default queue and every routed one)."""
    names = {str(settings.CELERY_TASK_DEFAULT_QUEUE)}
    for route in dict(getattr(settings, "CELERY_TASK_ROUTES", {})).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(str(route["queue"]))
    return sorted(names)


def celery_queue_lengths() -> dict[str, int]:
    """Messages waiting in each queue, asked of the broker through kombu, so Redis (LLEN of
    the queue's lists, one per priority step) and the filesystem transport (the message files
    in its queue folder) are counted by the transport's own rules. A queue nobody declared
    yet holds nothing."""
    from kombu.exceptions import ChannelError

    from config.celery_app import app

    lengths: dict[str, int] = {}
    with app.connection_for_read(connect_timeout=BROKER_TIMEOUT_S) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_S)
        channel: Any = connection.default_channel
        for name in celery_queue_names():
            try:
                lengths[name] = int(channel.queue_declare(name, passive=True).message_count)
            except ChannelError:
                lengths[name] = 0
    return lengths


class StateCollector:
    """A prometheus_client custom collector (`collect()` yields metric families)."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "expertdesk_metrics_collector_up",
            "1 when this scrape could compute the collector's gauges, 0 when it failed.",
            labels=["collector"],
        )
        parts: list[tuple[str, Callable[[], list[Metric]]]] = [
            ("models", self._models),
            ("celery_queues", self._queues),
            ("webhook_deliveries", self._webhooks),
        ]
        for name, part in parts:
            try:
                families = part()
            except Exception:
                logger.exception("Metrics: the %s collector failed", name)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up

    def _models(self) -> list[Metric]:
        # Read only: ml has no selector listing every organization's champion, and this needs
        # no more than the rows (no model is loaded).
        from ml.models import ModelVersion

        family = GaugeMetricFamily(
            "expertdesk_model_champion_version",
            "The version number of each organization's champion triage model.",
            labels=["organization"],
        )
        rows = (
            ModelVersion.objects.filter(status=ModelVersion.Status.CHAMPION)
            .order_by("organization__slug")
            .values_list("organization__slug", "version")
        )
        for slug, version in rows:
            family.add_metric([str(slug)], float(version))
        return [family]

    def _queues(self) -> list[Metric]:
        family = GaugeMetricFamily(
            "expertdesk_celery_queue_length",
            "Messages waiting in each Celery queue of the broker.",
            labels=["queue"],
        )
        for name, length in celery_queue_lengths().items():
            family.add_metric([name], float(length))
        return [family]

    def _webhooks(self) -> list[Metric]:
        from django.db.models import Count

        from webhooks.models import WebhookDelivery

        family = GaugeMetricFamily(
            "expertdesk_webhook_deliveries",
            "Webhook deliveries stored, by status (pending, succeeded, failed); old ones are "
            "purged, so rate() over this is not a delivery rate: use delta() over short spans.",
            labels=["status"],
        )
        counts = dict(
            WebhookDelivery.objects.values_list("status").annotate(n=Count("id")).order_by()
        )
        for status in WebhookDelivery.Status.values:
            family.add_metric([status], float(counts.get(status, 0)))
        return [family]
