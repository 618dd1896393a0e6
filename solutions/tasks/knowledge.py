"""Celery tasks of the knowledge base: keep `ml`'s answer index in line with the articles.

They run on the default queue (only `ml.tasks.*` go to the GPU worker): embedding a few
articles with the champion's encoder is light, and it keeps web requests free of model loading.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="solutions.tasks_knowledge.article_index_task",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=3,
)
def article_index_task(article_id: int) -> int:
    from ..services.knowledge import article_index_sync

    return article_index_sync(article_ids=[article_id])


@shared_task(
    name="solutions.tasks_knowledge.articles_index_task",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=3,
)
def articles_index_task(article_ids: list[int]) -> int:
    """A batch from a CSV import: one encoder pass for many articles."""
    from ..services.knowledge import article_index_sync

    return article_index_sync(article_ids=article_ids)
