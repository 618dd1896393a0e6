"""Scheduled billing work (see CELERY_BEAT_SCHEDULE): closing last month's usage."""

from __future__ import annotations

from celery import shared_task


# Not expiring: a monthly close that waited in the queue must still run, and a rerun sends
# nothing twice (every invoice item carries a key derived from organization, period and kind).
@shared_task(name="billing.tasks.close_previous_period_task")
def close_previous_period_task(period: str | None = None) -> dict[str, int]:
    """Closes the previous calendar month (or `period`, YYYY-MM) for every organization."""
    from ..services.invoicing import period_close_all
    from ..services.periods import previous_period

    results = period_close_all(period=period or previous_period())
    return {
        "organizations": len(results),
        "items_created": sum(len(r.created) for r in results),
        "skipped": sum(1 for r in results if r.skipped),
    }
