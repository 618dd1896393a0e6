"""Celery tasks of the reports app: they call one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="reports.tasks.satisfaction_surveys_send_task", ignore_result=True)
def satisfaction_surveys_send_task() -> int:
    from .services import surveys_send

    return surveys_send()
