"""The public API under load: gunicorn + PostgreSQL + Redis + a Celery worker, with the
organization's champion model loaded as in production (issue 18).

    .venv/bin/python bench/load.py [--workers 2] [--threads 4] [--clients 8]
                                   [--creates 2000] [--lists 2000] [--retrieves 2000]
                                   [--in-process 200] [--retrain]

It drops and recreates the PostgreSQL database `expertdesk_bench_load` (DATABASE_URL may
name another, whose name must contain "bench") and uses Redis db 14 (REDIS_URL), flushed
first. Settings are config.settings.production with the environment a deployment gives it
(platform/env.example): a TLS-terminating proxy is stood in for by the client, which sends
`X-Forwarded-Proto: https` as the compose health check does; e-mail goes to the dummy backend
and Stripe has no key (nothing in a create calls it). The one bench override: every plan's
`api_requests_per_minute` is raised so the run measures the work, not the 429s.

The model is the demo's starter model trained the way `seed_demo` has the worker train it:
demo/tickets.csv imported with `ml_import_tickets`, one STARTER training run with
ML_STARTER_TIME_BUDGET_S (300 s by default), then the answer index the ml worker would build.
That takes minutes on 2 cores, so the database right after training (pg_dump) and the
artifacts are kept under var/bench-cache/load/ and a rerun restores them (--retrain trains
again). Serving uses the production default ML_SERVE_QUANTIZATION (onnx_int8).

Phases, one after the other on the same machine:
1. in process (no gunicorn running, the Celery worker running): predict() alone (the
   champion's `TriageModel.predict(..., explain=True)`, as triage calls it), triage (predict
   + answer retrieval) and a whole create through django.test.Client on the same texts,
   interleaved; the SQL queries of one create, list and retrieve; a cProfile of creates.
2. gunicorn (platform/gunicorn.conf.py, --workers/--threads) with the Celery worker (default
   queue): a warm-up, then a fixed number of creates, then lists (limit 50), then retrieves,
   each from --clients keep-alive connections (urllib3, one per thread).

Ticket texts are helpdesk_qa rows (../shared/datasets, read in place), each used once. The
last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import os
import pstats
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: the project root is not on path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / "var" / "bench-cache" / "load"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/expertdesk_bench_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
HOST = "127.0.0.1"
ORG_SLUG = "bench-load"
OWNER_EMAIL = "owner@bench-load.test"


def _environment(scratch: Path) -> None:
    """What a deployment's environment holds (platform/env.example), before Django starts;
    gunicorn and the Celery worker inherit it."""
    os.environ["EXPERTDESK_VAR_DIR"] = str(scratch)
    # This tree's code in every process, not the editable install's (a copy of the tree at
    # another commit, benchmarked beside the checkout, must run its own code).
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["SECRET_KEY"] = "bench-load-" + "x" * 40
    os.environ["ALLOWED_HOSTS"] = f"{HOST},localhost"
    os.environ["SITE_URL"] = f"https://{HOST}"
    os.environ["EMAIL_URL"] = "dummymail://"
    # Artifacts (and their ONNX export) outlive the scratch folder: the cached database
    # points at them.
    os.environ["ML_ARTIFACT_DIR"] = str(CACHE_DIR / "models")
    # Several gunicorn workers: metrics are written per process, as docs/operations.md says.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(scratch / "prometheus")
    (scratch / "prometheus").mkdir()
    (scratch / "staticfiles").mkdir()  # WhiteNoise warns at every start without it
    os.environ.setdefault("LOG_LEVEL", "INFO")  # as platform/env.example


def _database_name(url: str) -> str:
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    return name


def _server_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


def _pg_tool(name: str, *args: str) -> None:
    """psql, pg_dump or pg_restore from PATH (the PostgreSQL client the server came with)."""
    tool = shutil.which(name)
    if tool is None:
        raise SystemExit(f"{name} is not on PATH (the PostgreSQL client tools)")
    subprocess.run([tool, *args], check=True)  # noqa: S603 - our own arguments


def _psql(url: str, sql: str) -> None:
    _pg_tool("psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql)


def _cache_key() -> str:
    """What the cached model depends on besides the code: the budget and any override."""
    from django.conf import settings

    return json.dumps(
        {
            "budget_s": int(settings.ML_STARTER_TIME_BUDGET_S),
            "train": settings.ML_TRAIN_OVERRIDES,
            "retriever": settings.ML_RETRIEVER_OVERRIDES,
            "data": (ROOT / "demo" / "tickets.csv").stat().st_size,
        },
        sort_keys=True,
    )


# ---------------------------------------------------------------- setup


def setup_database(*, retrain: bool) -> dict[str, Any]:
    """A fresh database with the organization and its champion: restored from the cache when
    it matches, else migrated and trained (and cached). Returns what was done, with timings."""
    from django.core.management import call_command
    from django.db import connections

    url = os.environ["DATABASE_URL"]
    name = _database_name(url)
    dump = CACHE_DIR / "database.dump"
    key_file = CACHE_DIR / "key.json"
    connections.close_all()
    _psql(_server_url(url), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _psql(_server_url(url), f'CREATE DATABASE "{name}"')
    started = time.perf_counter()
    cached = (
        not retrain
        and dump.is_file()
        and key_file.is_file()
        and key_file.read_text() == _cache_key()
    )
    if cached:
        _pg_tool("pg_restore", "--no-owner", "-d", url, str(dump))
        call_command("migrate", verbosity=0)  # migrations newer than the cache
        if _champion() is not None:
            return {"model": "restored from var/bench-cache/load", "setup_s": _since(started)}
        print("cached database has no usable champion; training again", flush=True)
        connections.close_all()
        _psql(_server_url(url), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _psql(_server_url(url), f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)
    timings = _train_starter()
    connections.close_all()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    _pg_tool("pg_dump", "-Fc", "-f", str(dump), url)
    key_file.write_text(_cache_key())
    return {"model": "trained now", "setup_s": _since(started), **timings}


def _champion() -> Any:
    from ml.models import ModelVersion

    champion = ModelVersion.objects.filter(
        organization__slug=ORG_SLUG, status=ModelVersion.Status.CHAMPION
    ).first()
    if champion is None or not Path(champion.artifact_path).is_dir():
        return None
    return champion


def _train_starter() -> dict[str, Any]:
    """seed_demo's path, with the worker's part done here: import the demo tickets, one
    STARTER run with the starter budget, then the answer index (the ml worker's task)."""
    from django.conf import settings
    from django.core.management import call_command

    from accounts import services as accounts
    from ml import services as ml
    from ml.models import TrainingRun

    owner = accounts.user_create(email=OWNER_EMAIL, password=None, full_name="Bench Owner")
    org = accounts.organization_create(creator=owner, name="Bench Load", slug=ORG_SLUG)
    call_command(
        "ml_import_tickets",
        org=ORG_SLUG,
        csv=str(ROOT / "demo" / "tickets.csv"),
        text_cols="title,body",
        label_col="category",
        priority_col="priority",
        answer_col="answer",
        verbosity=0,
    )
    shutil.rmtree(CACHE_DIR / "models", ignore_errors=True)
    print(f"training the starter model ({settings.ML_STARTER_TIME_BUDGET_S} s budget)…", flush=True)
    started = time.perf_counter()
    run = ml.training_run_request(
        organization=org,
        trigger=TrainingRun.Trigger.STARTER,
        time_budget_s=int(settings.ML_STARTER_TIME_BUDGET_S),
        schedule=False,
    )
    version = ml.training_run_execute(run_id=run.pk)
    train_s = _since(started)
    run.refresh_from_db()
    if version is None or _champion() is None:
        raise SystemExit(f"starter training did not produce a champion: {run.message}")
    started = time.perf_counter()
    indexed = ml.embedding_index_rebuild(organization=org)
    version.refresh_from_db()
    return {
        "train_s": train_s,
        "index_s": _since(started),
        "indexed_answers": indexed,
        "macro_f1": version.macro_f1,
        "strategy": version.strategy,
    }


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 1)


def organization_ready() -> tuple[Any, str]:
    """The organization, a fresh API key and the bench's one override (no 429s)."""
    from accounts import services as accounts
    from accounts.models import Organization, User
    from billing.models import Plan

    Plan.objects.update(api_requests_per_minute=1_000_000)
    org = Organization.objects.get(slug=ORG_SLUG)
    owner = User.objects.get(email=OWNER_EMAIL)
    _, key = accounts.api_key_create(
        organization=org, actor=owner, name="bench", scopes=["tickets:read", "tickets:write"]
    )
    return org, key


# ---------------------------------------------------------------- ticket texts


def ticket_texts() -> list[tuple[str, str]]:
    """(title, body) of every helpdesk_qa row, shuffled once with a fixed seed: several
    languages and lengths, each submitted once (a repeat would be a duplicate, a 200)."""
    import csv

    from bench._data import DATASETS_DIR

    csv.field_size_limit(sys.maxsize)
    with (DATASETS_DIR / "helpdesk_qa.csv").open(newline="", encoding="utf-8") as fh:
        rows = [
            ((r["subject"] or "").strip(), (r["body"] or "").strip()) for r in csv.DictReader(fh)
        ]
    rows = [(title or body[:80], body) for title, body in rows if body]
    random.Random(0).shuffle(rows)
    return rows


# ---------------------------------------------------------------- statistics


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    if not samples_ms:
        return {}
    ordered = sorted(samples_ms)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


# ---------------------------------------------------------------- in process


def in_process(org: Any, key: str, texts: list[tuple[str, str]], n: int) -> dict[str, Any]:
    """predict() alone vs triage vs a whole create, on the same texts, interleaved (a noisy
    machine slows all three alike); then queries per request and a profile of creates."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ml import serving
    from solutions.services.tickets import SUGGESTIONS_SHOWN, solution_settings_for

    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https"
    )
    champion = _champion()
    model = serving.load_champion(champion)
    if model is None:
        raise SystemExit(f"the champion's artifact does not load: {champion.artifact_path}")
    target = solution_settings_for(org).precision_target

    def create(title: str, body: str) -> dict[str, Any]:
        response = client.post(
            "/api/v1/tickets/",
            json.dumps({"title": title, "body": body}),
            content_type="application/json",
        )
        assert response.status_code in (200, 201), response.content[:500]
        return dict(response.json())

    warm = texts[:10]
    for title, body in warm:  # ONNX session, tokenizer, the answer index copy, connections
        model.predict([f"{title}\n{body}"], precision_target=target, explain=True)
        serving.triage(org, [f"{title}\n{body}"], k=SUGGESTIONS_SHOWN, precision_target=target)
        create(title, body)
    predict_ms, triage_ms, create_ms = [], [], []
    statuses: Counter[int] = Counter()
    for title, body in texts[10 : 10 + n]:
        text = f"{title}\n{body}"  # Ticket.text: what triage reads
        started = time.perf_counter()
        model.predict([text], precision_target=target, explain=True)
        predict_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        serving.triage(org, [text], k=SUGGESTIONS_SHOWN, precision_target=target)
        triage_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        response = client.post(
            "/api/v1/tickets/",
            json.dumps({"title": title, "body": body}),
            content_type="application/json",
        )
        create_ms.append((time.perf_counter() - started) * 1000)
        statuses[response.status_code] += 1
    predict, triage, create_stats = (
        percentiles(predict_ms),
        percentiles(triage_ms),
        percentiles(create_ms),
    )
    rest = texts[10 + n :]
    queries: dict[str, int] = {}
    title, body = rest[0]
    with CaptureQueriesContext(connection) as captured:
        number = create(title, body)["id"]
    queries["create"] = len(captured)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/tickets/?limit=50").status_code == 200
    queries["list_50"] = len(captured)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/api/v1/tickets/{number}/").status_code == 200
    queries["retrieve"] = len(captured)

    profiled = rest[1:31]
    profiler = cProfile.Profile()
    profiler.enable()
    for title, body in profiled:
        create(title, body)
    profiler.disable()
    lister = cProfile.Profile()
    lister.enable()
    for _ in range(10):
        client.get("/api/v1/tickets/?limit=50")
    lister.disable()
    return {
        "requests": n,
        "create_statuses": dict(statuses),
        "predict": predict,
        "triage": triage,
        "create": create_stats,
        "create_over_predict_p50": round(create_stats["p50_ms"] / predict["p50_ms"], 2),
        "create_over_predict_mean": round(create_stats["mean_ms"] / predict["mean_ms"], 2),
        "queries_per_request": queries,
        "profile": _profile_summary(profiler, len(profiled), "create")
        + "\n"
        + _profile_summary(lister, 10, "list_50"),
        "texts_used": len(warm) + n + 1 + len(profiled),
    }


def _profile_summary(profiler: cProfile.Profile, requests: int, name: str, top: int = 25) -> str:
    """The project's own functions by cumulative time per request (the library frames under
    them are in their totals): where a request's time goes."""
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, function), (_, calls, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        if str(ROOT) in filename and "/.venv/" not in filename:
            where = f"{Path(filename).relative_to(ROOT)}:{line}({function})"
            rows.append((cumulative, calls, where))
    rows.sort(reverse=True)
    out = io.StringIO()
    out.write(f"{'ms/' + name:>12} {'calls/' + name:>14}  function\n")
    for cumulative, calls, where in rows[:top]:
        out.write(f"{1000 * cumulative / requests:12.2f} {calls / requests:14.1f}  {where}\n")
    return out.getvalue()


# ---------------------------------------------------------------- processes


@dataclass
class Processes:
    scratch: Path
    started: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (self.scratch / f"{name}.log").open("wb")
        # Its own process group, so stopping it stops its children (workers, pool processes).
        process = subprocess.Popen(  # noqa: S603 - our own argv
            argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started.append((name, process))
        return process

    def stop(self, name: str) -> None:
        for entry in list(self.started):
            if entry[0] != name:
                continue
            process = entry[1]
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            self.started.remove(entry)

    def stop_all(self) -> None:
        for name, _ in reversed(list(self.started)):
            self.stop(name)

    def log(self, name: str) -> str:
        return (self.scratch / f"{name}.log").read_text(errors="replace")


def celery_start(processes: Processes, concurrency: int) -> None:
    processes.start(
        "celery",
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "config",
            "worker",
            "-Q",
            "default",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "INFO",
        ],
    )


def gunicorn_start(processes: Processes, port: int, workers: int, threads: int) -> str:
    processes.start(
        "gunicorn",
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            "platform/gunicorn.conf.py",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"{HOST}:{port}",
            "config.wsgi",
        ],
    )
    return f"http://{HOST}:{port}"


def wait_ready(processes: Processes, base: str, workers: int, timeout_s: float = 180) -> float:
    """/readyz answers 200, and every worker has logged its preloaded champion (else the
    first requests would wait for the load)."""
    import urllib3

    started = time.perf_counter()
    http = urllib3.PoolManager(headers={"X-Forwarded-Proto": "https"})
    while time.perf_counter() - started < timeout_s:
        try:
            response = http.request("GET", f"{base}/readyz", timeout=2.0, retries=False)
            loaded = processes.log("gunicorn").count("Champion models of")
            if response.status == 200 and loaded >= workers:
                return _since(started)
        except urllib3.exceptions.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(
        f"gunicorn not ready after {timeout_s} s:\n{processes.log('gunicorn')[-3000:]}"
    )


# ---------------------------------------------------------------- driving


@dataclass
class Phase:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    numbers: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        done = len(self.latencies_ms)
        ok = sum(c for s, c in self.statuses.items() if 200 <= s < 300)
        return {
            "requests": done,
            "per_s": round(done / self.seconds, 1) if self.seconds else 0.0,
            **percentiles(self.latencies_ms),
            "statuses": {str(s): c for s, c in sorted(self.statuses.items())},
            # A connection that failed is timed and counted in `done` too, with no status.
            "errors": done - ok,
            "failures": dict(self.failures),
            "seconds": round(self.seconds, 2),
        }


def drive(
    base: str,
    key: str,
    phase: Phase,
    count: int,
    clients: int,
    request: Callable[[int], tuple[str, str, bytes | None]],
    on_response: Callable[[int, int, bytes], None] | None = None,
) -> Phase:
    """`count` requests from `clients` threads, each on its own keep-alive connection;
    request(i) gives (method, path, body)."""
    import urllib3

    counter = itertools.count()
    lock = threading.Lock()
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "X-Forwarded-Proto": "https",
        "Host": HOST,
    }

    def client() -> None:
        pool = urllib3.HTTPConnectionPool(HOST, int(base.rsplit(":", 1)[1]), maxsize=1)
        while True:
            with lock:
                i = next(counter)
            if i >= count:
                return
            method, path, body = request(i)
            started = time.perf_counter()
            try:
                response = pool.request(
                    method, path, body=body, headers=headers, timeout=60.0, retries=False
                )
            except urllib3.exceptions.HTTPError as exc:
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    phase.latencies_ms.append(elapsed)
                    phase.failures[type(exc).__name__] += 1
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                phase.latencies_ms.append(elapsed)
                phase.statuses[response.status] += 1
            if on_response is not None:
                on_response(i, response.status, response.data)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.seconds += time.perf_counter() - started
    return phase


def under_load(
    base: str, key: str, texts: list[tuple[str, str]], args: argparse.Namespace
) -> dict[str, Any]:
    created: list[int] = []
    created_lock = threading.Lock()

    def create_request(offset: int) -> Callable[[int], tuple[str, str, bytes | None]]:
        def request(i: int) -> tuple[str, str, bytes | None]:
            title, body = texts[offset + i]
            return "POST", "/api/v1/tickets/", json.dumps({"title": title, "body": body}).encode()

        return request

    def remember(i: int, status: int, data: bytes) -> None:
        if status in (200, 201):
            with created_lock:
                created.append(int(json.loads(data)["id"]))

    warm_up = max(20, 4 * args.workers * args.threads)
    warm = drive(base, key, Phase("warm_up"), warm_up, args.clients, create_request(0))
    creates = drive(
        base, key, Phase("create"), args.creates, args.clients, create_request(warm_up), remember
    )
    numbers = sorted(set(created)) or [1]
    lists = drive(
        base,
        key,
        Phase("list_50"),
        args.lists,
        args.clients,
        lambda i: ("GET", "/api/v1/tickets/?limit=50", None),
    )
    rng = random.Random(1)
    picks = [rng.choice(numbers) for _ in range(args.retrieves)]
    retrieves = drive(
        base,
        key,
        Phase("retrieve"),
        args.retrieves,
        args.clients,
        lambda i: ("GET", f"/api/v1/tickets/{picks[i]}/", None),
    )
    return {
        "warm_up": warm.summary(),
        "create": creates.summary(),
        "list_50": lists.summary(),
        "retrieve": retrieves.summary(),
    }


def queue_lengths() -> dict[str, int]:
    """Tasks left in Redis when the run ends: did the default worker keep up? (`ml` has no
    worker here: what creates leave for the ml worker.)"""
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    return {queue: int(client.llen(queue)) for queue in ("default", "ml")}


def table(result: dict[str, Any]) -> str:
    """The rows pasted into docs/benchmarks.md."""
    lines = [
        "| operation | requests | req/s | p50 ms | p95 ms | p99 ms | errors | statuses |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name in ("create", "list_50", "retrieve"):
        r = result["load"][name]
        statuses = ", ".join(f"{s}: {c}" for s, c in r["statuses"].items())
        lines.append(
            f"| {name} | {r['requests']} | {r['per_s']} | {r['p50_ms']} | {r['p95_ms']} | "
            f"{r['p99_ms']} | {r['errors']} | {statuses} |"
        )
    p = result["in_process"]
    lines += [
        "",
        "| in process (one thread) | p50 ms | p95 ms | mean ms |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name in ("predict", "triage", "create"):
        lines.append(
            f"| {name} | {p[name]['p50_ms']} | {p[name]['p95_ms']} | {p[name]['mean_ms']} |"
        )
    lines += [
        "",
        f"create / predict: {p['create_over_predict_p50']}x (p50), "
        f"{p['create_over_predict_mean']}x (mean); SQL queries per request: "
        + ", ".join(f"{k} {v}" for k, v in p["queries_per_request"].items()),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client connections")
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--lists", type=int, default=2000)
    parser.add_argument("--retrieves", type=int, default=2000)
    parser.add_argument("--in-process", type=int, default=200, help="creates timed in process")
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--retrain", action="store_true", help="ignore the cached model")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="expertdesk-bench-load-"))
    _environment(scratch)
    import django

    django.setup()
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    load_before = os.getloadavg()
    result: dict[str, Any] = {
        "settings": {
            "django_settings": os.environ["DJANGO_SETTINGS_MODULE"],
            "workers": args.workers,
            "threads": args.threads,
            "clients": args.clients,
            "celery_concurrency": args.celery_concurrency,
            "cpus": os.cpu_count(),
        }
    }
    from django.conf import settings

    result["settings"].update(
        quantization=settings.ML_SERVE_QUANTIZATION,
        ml_num_threads=settings.ML_NUM_THREADS,
        conn_max_age=settings.DATABASES["default"].get("CONN_MAX_AGE"),
    )
    result["setup"] = setup_database(retrain=args.retrain)
    print(f"setup: {result['setup']}", flush=True)
    org, key = organization_ready()
    texts = ticket_texts()
    needed = args.in_process + 60 + max(20, 4 * args.workers * args.threads) + args.creates
    if needed > len(texts):
        raise SystemExit(f"{needed} distinct texts needed, the dataset has {len(texts)}")

    processes = Processes(scratch)
    try:
        celery_start(processes, args.celery_concurrency)
        print(f"in process: {args.in_process} creates…", flush=True)
        result["in_process"] = in_process(org, key, texts, args.in_process)
        profile = result["in_process"].pop("profile")
        used = result["in_process"].pop("texts_used")
        from django.db import connections

        connections.close_all()  # the web workers get the database to themselves
        base = gunicorn_start(processes, args.port, args.workers, args.threads)
        result["ready_s"] = wait_ready(processes, base, args.workers)
        print(f"gunicorn ready in {result['ready_s']} s; driving…", flush=True)
        result["load"] = under_load(base, key, texts[used:], args)
        result["queues_left"] = queue_lengths()
    finally:
        processes.stop_all()
    result["load_average"] = {
        "before": [round(x, 2) for x in load_before],
        "after": [round(x, 2) for x in os.getloadavg()],
    }
    print("\nwhere the time goes (in process, cProfile of 30 creates and 10 lists):")
    print(profile)
    print(table(result))
    print(json.dumps(result))
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
