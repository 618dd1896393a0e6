# Gunicorn settings for the `web` service: gunicorn -c platform/gunicorn.conf.py config.wsgi
#
# Loaded by path, never imported as a module: platform/ is not a Python package and must not
# become one (it would shadow the standard library's `platform` module).
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# Each worker is a process with its own copy of the triage model (torch), so the worker count
# is bounded by memory; threads share the model inside a worker.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# No preload: torch and the models must be loaded in each worker after fork, not in the master.
preload_app = False

timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5

# Recycle workers now and then (bounded memory growth); jitter keeps them from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))

# Heartbeat files in memory, not on the container's overlay filesystem.
_SHM = "/dev/shm"  # noqa: S108 - gunicorn's worker heartbeat files, no data
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None

# Logs to stdout/stderr, collected by the container runtime.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


# /metrics under several workers (docs/operations.md): with PROMETHEUS_MULTIPROC_DIR set, each
# worker writes its metrics there. The folder is emptied when gunicorn starts (files of an
# earlier run would be summed in), and an exited worker's live gauges are dropped.
def on_starting(server: object) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def child_exit(server: object, worker: object) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
