"""`ticket.triaged` says what the triage decided (needs detail, with the question; not sure) but
not the explanation: its terms are words of the body, which webhooks never carry."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from solutions.services import tickets
from tests.solutions.triage_results import record, triage_result, vague_result
from tests.webhooks.conftest import owner_of

pytestmark = pytest.mark.usefixtures("allow_loopback")


def test_triaged_carries_the_outcome_and_the_question_but_not_the_explanation(
    make_org_with_model, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    org = make_org_with_model()
    ticket = tickets.ticket_submit(
        organization=org, author=owner_of(org), title="Help", body="it doesn't work, hunter2"
    )
    _, secret = make_endpoint(org, receiver.url, events=["ticket.triaged"])
    with django_capture_on_commit_callbacks(execute=True):
        record(ticket, vague_result(org))
    with django_capture_on_commit_callbacks(execute=True):
        record(
            ticket,
            triage_result(
                org, explanation={"terms": [{"term": "hunter2", "weight": 0.3}], "neighbours": []}
            ),
        )
    vague, sure = (Webhook(secret).verify(r.body, r.headers) for r in receiver.wait_for(2))
    sent = vague["data"]["ticket"]
    assert sent["status"] == "needs_detail" and sent["category"] == ""
    assert sent["triage"]["needs_detail"] is True and sent["triage"]["abstained"] is True
    assert sent["triage"]["follow_up_question"].startswith("Your ticket doesn't")
    assert sent["triage"]["candidates"][0] == {"category": "hardware", "confidence": 0.22}
    assert sure["data"]["ticket"]["triage"]["needs_detail"] is False
    assert all("explanation" not in event["data"]["ticket"]["triage"] for event in (vague, sure))
    assert not any(b"hunter2" in r.body for r in receiver.requests)
