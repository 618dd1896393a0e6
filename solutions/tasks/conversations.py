"""Scheduled work of the conversation (see CELERY_BEAT_SCHEDULE): the batched e-mail of new
messages. The service takes each notification by a compare-and-set, so a late or doubled
tick sends nothing twice; a tick that waited past the next one is dropped (`expires`)."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="solutions.tasks.conversations.conversation_emails_task",
    expires=4 * 60,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=3,
)
def conversation_emails_task() -> int:
    from ..services.conversations import conversation_emails_send

    return conversation_emails_send()
