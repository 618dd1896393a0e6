"""A real local Stripe server for billing tests: the `localstripe` package, started from
scratch in a subprocess bound to 127.0.0.1 (its own CLI binds every interface)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

SERVER = (
    "import sys\n"
    "from aiohttp import web\n"
    "from localstripe.server import app\n"
    "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)\n"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    # Its own working directory: localstripe may persist its store next to it.
    cwd: Path = tmp_path_factory.mktemp("localstripe")
    log = (cwd / "localstripe.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", SERVER, str(port)], cwd=cwd, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/v1/customers", auth=("sk_test_x", ""), timeout=1)
            break
        except requests.ConnectionError as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"localstripe did not start; see {cwd / 'localstripe.log'}"
                ) from exc
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def stripe_settings(settings, localstripe_url: str):
    """Points the app at the local Stripe server with test keys, and empties its store."""
    settings.STRIPE_SECRET_KEY = "sk_test_expertdesk"  # noqa: S105 - localstripe accepts any
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_expertdesk"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_expertdesk_test"  # noqa: S105
    settings.STRIPE_API_BASE = localstripe_url
    requests.delete(f"{localstripe_url}/_config/data", timeout=5)
    return settings


@pytest.fixture
def seeded_plans(db: None) -> None:
    """The plans the 0003 data migration seeds, put back: a transactional test can run after
    one whose flush removed them without the serialized state restoring them (seen after the
    billing journey in a full run), so the tests that need the seeded plans seed them."""
    import importlib

    from django.apps import apps

    seed = importlib.import_module("billing.migrations.0003_seed_plans").seed
    seed(apps, None)
