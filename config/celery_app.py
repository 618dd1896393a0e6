import os
from typing import Any

from celery import Celery
from celery.exceptions import WorkerTerminate
from celery.signals import worker_process_init, worker_shutting_down

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("expertdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _champions_preload(**kwargs: Any) -> None:
    """Each pool process loads the champion models after the fork, in the background (a pool
    process must report ready within seconds), so the first task that triages doesn't wait.
    Not in the main process: torch must not be loaded before forking (see gunicorn.conf.py).
    The solo and threads pools send no worker_process_init and load at the first use."""
    from ml.preload import champions_preload_in_background

    champions_preload_in_background()


@worker_shutting_down.connect
def _cold_shutdown_now(how: str, exitcode: int, **kwargs: Any) -> None:
    """On the filesystem broker (the embedded default) the worker looks at its stop flag only
    between two waits of 2 s for a message, and then waits once more: a cold shutdown spent up
    to 5 s idle after Celery's handler had already cancelled the running tasks and stopped the
    pool, and `make run`'s Ctrl-C (honcho) kills what is left after 5 s. Raising Celery's own
    hard-shutdown exception from the signal handler ends that wait. Redis's event loop sees the
    flag at once and keeps Celery's behaviour; a warm shutdown is never cut short."""
    if how == "Cold" and str(app.conf.broker_url).startswith("filesystem:"):
        raise WorkerTerminate(exitcode)
