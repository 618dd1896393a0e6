"""Two experts press Claim on the same ticket at the same moment: exactly one claim exists
afterwards, and the other expert hears "Someone else claimed this ticket first.".

On PostgreSQL the loser waits on the ticket's row lock and then sees it claimed; SQLite has no
row locks, so there the loser's write fails on the database lock, which the service reports as
the same lost race. Both paths run here, on whichever database the suite uses."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from solutions.models import Claim, Ticket
from solutions.services import experts as services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("hold_s", [0.0, 0.3], ids=["plain-race", "winner-holds-the-lock"])
def test_one_of_two_simultaneous_claims_wins(
    make_org, make_expert, make_escalated_ticket, monkeypatch, hold_s
):
    ticket = make_escalated_ticket(make_org())
    experts = [make_expert(), make_expert()]
    if hold_s:
        # Stretch the winner's transaction (the due time is computed after the ticket is
        # locked) so the other thread surely arrives while the lock is held.
        compute_due = services.claim_due_at

        def slow_due_at(*, ticket: Ticket, start: datetime) -> datetime:
            time.sleep(hold_s)
            return compute_due(ticket=ticket, start=start)

        monkeypatch.setattr(services, "claim_due_at", slow_due_at)

    barrier = threading.Barrier(len(experts))
    outcomes: dict[int, object] = {}

    def press_claim(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = services.expert_claim_ticket(
                expert=experts[index], ticket_id=ticket.pk
            )
        except Exception as exc:  # anything but the friendly error fails the asserts below
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=press_claim, args=(i,)) for i in range(len(experts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    won = [o for o in outcomes.values() if isinstance(o, Claim)]
    lost = [o for o in outcomes.values() if not isinstance(o, Claim)]
    assert len(won) == 1, outcomes
    assert len(lost) == 1 and isinstance(lost[0], ValidationError), outcomes
    assert lost[0].messages == [services.CLAIMED_FIRST]

    assert Claim.objects.filter(ticket=ticket).count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLAIMED
    assert ticket.assignee_id == won[0].expert_id
