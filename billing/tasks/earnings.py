"""Scheduled work of experts' earnings (see CELERY_BEAT_SCHEDULE): each task calls one
idempotent service, so a late or doubled beat tick pays nothing twice."""

from __future__ import annotations

from celery import shared_task


# A tick that waited past the next one is dropped: the next tick releases the same rows.
@shared_task(name="billing.tasks_earnings.earnings_release_task", expires=55 * 60)
def earnings_release_task() -> int:
    from ..services.earnings import earnings_release_due

    return earnings_release_due()


@shared_task(name="billing.tasks_earnings.payouts_monthly_task")
def payouts_monthly_task(period: str | None = None) -> list[int]:
    """Pays out the previous month (or `period`, YYYY-MM, for a manual rerun). Not expiring:
    a monthly run that waited in the queue must still run, and a rerun creates nothing."""
    from ..services.earnings import payouts_create
    from ..services.periods import previous_period

    return [payout.pk for payout in payouts_create(period=period or previous_period())]
