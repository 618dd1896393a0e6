"""Scheduled work of the expert side (see CELERY_BEAT_SCHEDULE): each task calls one service,
which is idempotent, so a late or doubled beat tick does no harm. A tick that waited in the
queue past the next one is dropped (`expires`): the next tick does the same work."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="solutions.tasks_experts.claims_expire_task", expires=55)
def claims_expire_task() -> int:
    from ..services.experts import claims_expire_due

    return claims_expire_due()


@shared_task(name="solutions.tasks_experts.sla_warnings_task", expires=55)
def sla_warnings_task() -> int:
    from ..services.experts import sla_warnings_send

    return sla_warnings_send()


@shared_task(name="solutions.tasks_experts.experts_notify_task", expires=9 * 60)
def experts_notify_task() -> int:
    from ..services.experts import experts_notify_new_tickets

    return experts_notify_new_tickets()


@shared_task(name="solutions.tasks_experts.answers_auto_accept_task", expires=55 * 60)
def answers_auto_accept_task() -> int:
    from ..services.tickets import answers_auto_accept_due

    return answers_auto_accept_due()
