from __future__ import annotations

import socket

import pytest

from config.celery_app import app as celery_app
from tests.webhooks.conftest import allow_loopback, make_endpoint, receiver  # noqa: F401 - shared


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Celery's broker at a port where nothing listens (bound once, then closed): every
    connection is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setitem(celery_app.conf, "broker_url", f"redis://127.0.0.1:{port}/0")
