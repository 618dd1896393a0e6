from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "observability"

    def ready(self) -> None:
        from celery.signals import task_failure, task_success, worker_init

        from .receivers import on_task_failure, on_task_success
        from .worker import on_worker_init

        # Celery sends these in the process that ran the task: a worker's pool process, or
        # the caller's own process for eager tasks.
        task_success.connect(on_task_success, dispatch_uid="observability-task-success")
        task_failure.connect(on_task_failure, dispatch_uid="observability-task-failure")
        # CELERY_METRICS_PORT: the worker serves its task counters itself (observability/worker.py).
        worker_init.connect(on_worker_init, dispatch_uid="observability-worker-metrics")
