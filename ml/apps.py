from typing import Any

from django.apps import AppConfig


def _hnsw_search_breadth(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Every PostgreSQL connection searches the answer index's HNSW graph with
    ML_ANSWER_HNSW_EF_SEARCH candidates (pgvector's default, 40, found 0.85-0.89 of the exact
    top 10 at 100k answers with a second organization in the table; 200 finds 0.97), and
    with pgvector 0.8's iterative scan, so that an organization whose rows are a small share
    of the graph's candidates still gets as many rows as it asked for (at ef_search 40 a 10k
    organization beside a 100k one got 1.9 of 40: docs/benchmarks.md). The scan's relaxed
    order is harmless: serving rescores the candidates. One statement per new connection."""
    if connection.vendor != "postgresql":
        return
    from django.conf import settings

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('hnsw.ef_search', %s, false), "
            "set_config('hnsw.iterative_scan', 'relaxed_order', false)",
            [str(int(settings.ML_ANSWER_HNSW_EF_SEARCH))],
        )


class MlConfig(AppConfig):
    name = "ml"
    verbose_name = "Machine learning"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import checks  # noqa: F401 - registers the system checks

        connection_created.connect(_hnsw_search_breadth, dispatch_uid="ml.hnsw_ef_search")
