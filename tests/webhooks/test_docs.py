"""The verification snippet in docs/webhooks.md (standard library only) accepts a real
delivery and refuses a tampered or stale one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webhooks import services, signing

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def _snippet():
    text = DOC.read_text()
    match = re.search(r"<!-- verification-snippet[^>]*-->\n```python\n(.*?)```", text, re.S)
    assert match, "docs/webhooks.md lost its verification snippet"
    namespace: dict[str, object] = {}
    exec(compile(match.group(1), str(DOC), "exec"), namespace)  # noqa: S102 - our own docs
    return namespace["verify_expertdesk_webhook"]


@pytest.mark.usefixtures("allow_loopback")
def test_the_documented_snippet_verifies_a_real_delivery(
    make_org, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    verify = _snippet()
    org = make_org()
    _, secret = make_endpoint(org, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_event_emit(organization=org, event="ticket.triaged", data={"x": 1})
    [request] = receiver.wait_for(1)
    assert verify(secret, request.headers, request.body) is True
    assert verify(secret, request.headers, request.body + b" ") is False
    stale = {
        **request.headers,
        "webhook-timestamp": str(int(request.headers["webhook-timestamp"]) - 3600),
    }
    assert verify(secret, stale, request.body) is False
    other = signing.secret_generate()
    assert verify(other, request.headers, request.body) is False
