"""Disputes: a member of the customer's organization contests an expert's answer within
DISPUTE_WINDOW_DAYS of its writing; platform staff decide in the admin.

* `dispute_open`: the answer awaits review (the ticket is answered) or was accepted. While the
  dispute is open, an answer awaiting review is neither accepted (by the customer or
  automatically) nor followed up, and an accepted answer's earning is on hold (neither released
  nor paid out).
* `dispute_decide` (staff only): uphold, refund or split. On an accepted answer (charged C, the
  expert's net N) a refund of R (R = C for a refund, 0 < R < C for a split) is a credit to the
  customer, taken off their next Stripe invoice, and a reversal of X = N·R/C (half-up) from the
  expert: the earning itself when all of it is reversed before a payout, otherwise a balance
  carried into the next payout. On an answer never accepted, uphold accepts it as an automatic
  acceptance would; refund releases the reserved price (nothing was charged or earned) and the
  ticket needs an expert again; split accepts it, then refunds R as above.

Every money movement is a billing ledger row with its own key (`dispute:<id>:…`), and a
decided dispute is returned unchanged: deciding twice moves nothing twice."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from accounts.services import audit_log_record
from billing import services as billing

from ..models import Dispute, ExpertAnswer, Ticket
from ..selectors.disputes import dispute_window_days, dispute_window_ends
from .common import notification_send, ticket_event_record
from .masking import masking_context_for, text_mask
from .tickets import answer_earning_key, expert_answer_accept_upheld

REASON_MIN, REASON_MAX = 10, 5000
OUTCOMES = ("uphold", "refund", "split")
NOTE_MAX = 5000
ALREADY_DISPUTED = "This answer is already disputed; one dispute per answer."


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def credit_key(dispute: Dispute) -> str:
    return f"dispute:{dispute.pk}:customer_credit"


def reversal_key(dispute: Dispute) -> str:
    return f"dispute:{dispute.pk}:expert_reversal"


def dispute_reference(dispute: Dispute) -> str:
    return f"dispute:{dispute.pk}"


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise ValidationError(
            {"reason": f"Say what is wrong with the answer (at least {REASON_MIN} characters)."}
        )
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason to {REASON_MAX:,} characters or fewer."})
    return reason


def _disputable_status(ticket: Ticket, answer: ExpertAnswer) -> bool:
    if answer.status == ExpertAnswer.Status.ACCEPTED:
        return True
    return (
        answer.status == ExpertAnswer.Status.SUBMITTED and ticket.status == Ticket.Status.ANSWERED
    )


# ---------------------------------------------------------------- opening


def dispute_open(*, ticket: Ticket, actor: User, answer_id: int, reason: str) -> Dispute:
    """Opens the one dispute an answer may have; refused (ValidationError, nothing saved) for an
    answer that is not awaiting review or accepted, after the window, or a second time."""
    if not Membership.objects.filter(organization_id=ticket.organization_id, user=actor).exists():
        raise PermissionDenied("Only members of the ticket's organization can dispute its answer.")
    reason = _clean_reason(reason)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("organization").get(pk=ticket.pk)
        answer = ticket.answers.select_related("expert").filter(pk=answer_id).first()
        if answer is None:
            raise ValidationError("That answer does not belong to this ticket.")
        if Dispute.objects.filter(answer=answer).exists():
            raise ValidationError(ALREADY_DISPUTED)
        if not _disputable_status(ticket, answer):
            raise ValidationError(
                "Only an answer awaiting your review or an accepted one can be disputed."
            )
        now = timezone.now()
        ends = dispute_window_ends(answer)
        if now > ends:
            raise ValidationError(
                f"The dispute window closed on {timezone.localtime(ends):%Y-%m-%d %H:%M}: an "
                f"answer can be disputed for {dispute_window_days()} days after it was written "
                "or accepted."
            )
        try:
            with transaction.atomic():
                dispute = Dispute.objects.create(
                    organization=ticket.organization,
                    ticket=ticket,
                    answer=answer,
                    opened_by=actor,
                    reason=reason,
                    created_at=now,
                )
        except IntegrityError as exc:  # a concurrent dispute of the same answer won
            raise ValidationError(
                "This answer is already disputed; one dispute per answer."
            ) from exc
        accepted = answer.status == ExpertAnswer.Status.ACCEPTED
        if accepted:
            # Not released, not paid out, until staff decide.
            billing.expert_earning_hold(idempotency_key=answer_earning_key(answer), on_hold=True)
        ticket_event_record(
            ticket=ticket,
            actor=actor,
            kind="dispute_opened",
            message="Disputed the expert's answer. Platform staff review the answer and decide: "
            "the expert is paid, or the price is refunded in full or in part.",
            details={"answer_id": answer.pk, "dispute_id": dispute.pk},
        )
        audit_log_record(
            actor=actor,
            organization=ticket.organization,
            action="ticket.answer_disputed",
            target=ticket,
            details={
                "answer_id": answer.pk,
                "dispute_id": dispute.pk,
                "expert": answer.expert.display_name,
                "accepted": accepted,
            },
        )
        context = masking_context_for(organization=ticket.organization, ticket=ticket)
        masked_reason = text_mask(reason, context).text
        excerpt = masked_reason if len(masked_reason) <= 200 else masked_reason[:199] + "…"
        notification_send(
            user=answer.expert,
            kind="answer_disputed",
            message=f"The customer disputed your answer to “{ticket.masked_title}”: {excerpt} "
            "Platform staff will decide; "
            + ("your earning is on hold until then." if accepted else "it is not paid until then."),
            url=reverse("expert_ticket", args=[ticket.pk]),
        )
    return dispute


# ---------------------------------------------------------------- deciding


def _refund_of(outcome: str, refund_cents: int | None, charged: int) -> int:
    if outcome == "uphold":
        return 0
    if outcome == "refund":
        return charged
    if refund_cents is None:
        raise ValidationError({"refund_cents": "Enter the amount to refund for a split."})
    if not 0 < int(refund_cents) < charged:
        raise ValidationError(
            {
                "refund_cents": f"A split refunds more than $0.00 and less than the price "
                f"({_money(charged)}); use refund or uphold otherwise."
            }
        )
    return int(refund_cents)


def _refund_accepted(dispute: Dispute, answer: ExpertAnswer, refund: int) -> int:
    """Credits the customer `refund` and reverses the expert's share; returns that share."""
    ticket = dispute.ticket
    billing.customer_credit_record(
        organization=ticket.organization,
        amount_cents=refund,
        idempotency_key=credit_key(dispute),
        reference=dispute_reference(dispute),
        ticket_id=ticket.pk,
        description=f"Refund after a dispute: expert answer to ticket #{ticket.number}",
    )
    earning = billing.expert_earning_of(idempotency_key=answer_earning_key(answer))
    if earning is None:  # accepted before earnings were recorded: nothing to take back
        return 0
    reversal = billing.reversal_cents(
        net_cents=earning.net_cents, refund_cents=refund, charged_cents=answer.price_cents
    )
    if reversal > 0:
        billing.expert_reversal_record(
            earning=earning,
            amount_cents=reversal,
            idempotency_key=reversal_key(dispute),
            reference=dispute_reference(dispute),
            description=f"Reversed after a dispute: answer to “{ticket.masked_title}”"[:300],
        )
    else:
        billing.expert_earning_hold(idempotency_key=earning.idempotency_key, on_hold=False)
    return reversal


def _refund_unaccepted(ticket: Ticket, answer: ExpertAnswer) -> None:
    """Nothing was charged or earned: the reserved price is released, the answer is refunded
    and the ticket needs an expert again (the customer may escalate it once more)."""
    billing.spend_hold_release(
        organization=ticket.organization, ticket_id=ticket.pk, reason="dispute refunded"
    )
    answer.status = ExpertAnswer.Status.REFUNDED
    answer.save(update_fields=["status"])
    ticket.status = Ticket.Status.NEEDS_EXPERT
    ticket.assignee = None
    ticket.sla_due_at = None
    ticket.sla_warned_at = None
    ticket.save(update_fields=["status", "assignee", "sla_due_at", "sla_warned_at", "updated_at"])


def _decision_sentence(outcome: str, refund: int, charged: int, was_accepted: bool) -> str:
    if outcome == "uphold":
        return "Platform staff upheld the expert's answer: the expert is paid" + (
            "." if was_accepted else " and the answer is accepted."
        )
    if outcome == "refund" and not was_accepted:
        return (
            "Platform staff decided the dispute for you: nothing is charged, the reserved "
            f"{_money(charged)} is free again and the ticket needs an expert again."
        )
    return (
        f"Platform staff decided the dispute: {_money(refund)} of {_money(charged)} is refunded "
        "as a credit on your next invoice."
    )


def dispute_decide(
    *,
    dispute_id: int,
    actor: User,
    outcome: str,
    refund_cents: int | None = None,
    note: str = "",
) -> Dispute:
    """Decides an open dispute (see the module's docstring). Platform staff only. A dispute
    already decided is returned unchanged, whatever this call asks."""
    if not actor.is_staff:
        raise PermissionDenied("Only platform staff decide disputes.")
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": "Choose uphold, refund or split."})
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"Keep the note to {NOTE_MAX:,} characters or fewer."})
    ticket_id = Dispute.objects.filter(pk=dispute_id).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        raise ValidationError("No such dispute.")
    with transaction.atomic():
        # The ticket first, as every act on a ticket locks it, then the dispute.
        ticket = Ticket.objects.select_for_update().select_related("organization").get(pk=ticket_id)
        dispute = Dispute.objects.select_for_update().get(pk=dispute_id)
        if dispute.status != Dispute.Status.OPEN:
            return dispute
        dispute.ticket = ticket
        answer = ExpertAnswer.objects.select_related("expert").get(pk=dispute.answer_id)
        charged = answer.price_cents
        refund = _refund_of(outcome, refund_cents, charged) if charged else 0
        if outcome != "uphold" and not charged:
            raise ValidationError("This answer had no price: there is nothing to refund.")
        was_accepted = answer.status == ExpertAnswer.Status.ACCEPTED
        if not was_accepted and answer.status != ExpertAnswer.Status.SUBMITTED:
            raise ValidationError(f"The answer is {answer.get_status_display().lower()}.")
        reversal = 0
        if outcome == "refund" and not was_accepted:
            _refund_unaccepted(ticket, answer)
        else:
            if not was_accepted:
                # Upheld or split: first accepted as an automatic acceptance would be.
                expert_answer_accept_upheld(ticket_id=ticket.pk, answer_id=answer.pk)
                answer.refresh_from_db()
            if refund:
                reversal = _refund_accepted(dispute, answer, refund)
            else:
                billing.expert_earning_hold(
                    idempotency_key=answer_earning_key(answer), on_hold=False
                )
        now = timezone.now()
        dispute.status = {
            "uphold": Dispute.Status.UPHELD,
            "refund": Dispute.Status.REFUNDED,
            "split": Dispute.Status.SPLIT,
        }[outcome]
        dispute.refund_cents = refund
        dispute.expert_reversal_cents = reversal
        dispute.decided_by = actor
        dispute.decided_at = now
        dispute.decision_note = note
        dispute.save(
            update_fields=[
                "status",
                "refund_cents",
                "expert_reversal_cents",
                "decided_by",
                "decided_at",
                "decision_note",
            ]
        )
        sentence = _decision_sentence(outcome, refund, charged, was_accepted)
        ticket_event_record(
            ticket=ticket,
            actor=None,
            kind="dispute_decided",
            message=sentence,
            details={
                "dispute_id": dispute.pk,
                "answer_id": answer.pk,
                "outcome": outcome,
                "refund_cents": refund,
            },
        )
        audit_log_record(
            actor=actor,
            organization=ticket.organization,
            action="ticket.dispute_decided",
            target=ticket,
            details={
                "dispute_id": dispute.pk,
                "outcome": outcome,
                "refund_cents": refund,
                "expert_reversal_cents": reversal,
                "expert": answer.expert.display_name,
            },
        )
        if dispute.opened_by is not None:
            notification_send(
                user=dispute.opened_by,
                organization=ticket.organization,
                kind="dispute_decided",
                message=f"Your dispute of the answer to ticket #{ticket.number} “{ticket.title}” "
                f"was decided. {sentence}",
                url=reverse("ticket_detail", args=[ticket.number]),
            )
        notification_send(
            user=answer.expert,
            kind="dispute_decided",
            message=_expert_sentence(ticket, outcome, reversal, was_accepted),
            url=reverse("expert_ticket", args=[ticket.pk]),
        )
    return dispute


def _expert_sentence(ticket: Ticket, outcome: str, reversal: int, was_accepted: bool) -> str:
    title = f"“{ticket.masked_title}”"
    if outcome == "uphold":
        return f"The dispute of your answer to {title} was decided for you: you are paid."
    if outcome == "refund" and not was_accepted:
        return (
            f"The dispute of your answer to {title} was decided for the customer: it is not paid."
        )
    return (
        f"The dispute of your answer to {title} was decided: {_money(reversal)} of your pay is "
        "reversed (before payout, or taken off your next payout)."
    )
