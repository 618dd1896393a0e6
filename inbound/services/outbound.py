"""E-mails to a ticket's requester: an agent's reply (the ticket page's form), the expert
answer the ticket was resolved with, and the follow-up question when the text said too
little. Each carries the `[Expertdesk #n]` reference in its subject, a Message-ID we record
(so the requester's reply finds the ticket), In-Reply-To/References to the thread, and the
organization's inbound address as Reply-To. Sent after the act commits, by a task that
retries on SMTP errors and never sends twice (`sent_at`)."""

from __future__ import annotations

from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, User
from accounts.services import audit_log_record
from solutions.markdown import storable
from solutions.models import Ticket, TicketEvent
from solutions.selectors.requesters import answer_accepted_of
from solutions.services.common import ticket_event_hook_register, ticket_event_record

from ..models import InboundMessage, OutboundEmail
from ..parsing import OUR_HEADER
from .addresses import inbound_domain, primary_address

REPLY_MAX = 10_000
EXCERPT = 300
Kind = OutboundEmail.Kind
NO_REQUESTER = "This ticket has no requester to e-mail (it did not come by e-mail)."


def subject_of(ticket: Ticket, *, reply: bool = True) -> str:
    return f"{'Re: ' if reply else ''}[Expertdesk #{ticket.number}] {ticket.title}"[:300]


def _thread(ticket: Ticket) -> list[str]:
    """The thread's Message-IDs, oldest first: what the requester sent and we sent."""
    received = InboundMessage.objects.filter(ticket=ticket).exclude(message_id="")
    sent = OutboundEmail.objects.filter(ticket=ticket)
    dated = [(m.received_at, m.message_id) for m in received] + [
        (m.created_at, m.message_id) for m in sent
    ]
    return [message_id for _, message_id in sorted(dated)]


def requester_email_queue(
    *, ticket: Ticket, kind: str, body: str, sent_by: User | None = None
) -> OutboundEmail:
    """Records the e-mail in the caller's transaction and sends it after the commit."""
    if ticket.requester is None:
        raise ValidationError(NO_REQUESTER)
    thread = _thread(ticket)
    row = OutboundEmail.objects.create(
        organization=ticket.organization,
        ticket=ticket,
        to=ticket.requester.email,
        kind=kind,
        subject=subject_of(ticket),
        body=body,
        message_id=make_msgid(domain=inbound_domain()),
        in_reply_to=thread[-1] if thread else "",
        sent_by=sent_by,
    )
    from ..tasks import outbound_email_send_task

    transaction.on_commit(lambda: outbound_email_send_task.delay(row.pk))
    return row


def outbound_email_deliver(*, outbound_id: int) -> bool:
    """Sends one recorded e-mail once; False when it is gone or was sent already."""
    row = (
        OutboundEmail.objects.select_related("ticket", "organization")
        .filter(pk=outbound_id)
        .first()
    )
    if row is None or row.sent_at is not None:
        return False
    references = [m for m in _thread(row.ticket) if m != row.message_id][-20:]
    headers = {
        "Message-ID": row.message_id,
        OUR_HEADER: f"{row.organization.slug}#{row.ticket.number}",
    }
    if row.in_reply_to:
        headers["In-Reply-To"] = row.in_reply_to
    if references:
        headers["References"] = " ".join(references)
    if row.kind != Kind.AGENT_REPLY:
        # Sent by the system, not typed by a person: auto-responders must not answer it.
        headers["Auto-Submitted"] = "auto-generated"
    EmailMessage(
        subject=row.subject,
        body=row.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to],
        reply_to=[primary_address(row.organization)],
        headers=headers,
    ).send()
    OutboundEmail.objects.filter(pk=row.pk).update(sent_at=timezone.now())
    return True


def requester_reply_send(*, ticket: Ticket, actor: User, body: str) -> OutboundEmail:
    """An agent's reply to the ticket's requester (the ticket page's form)."""
    body = storable(body or "").strip()
    if not body:
        raise ValidationError({"body": "Write the reply first."})
    if len(body) > REPLY_MAX:
        raise ValidationError({"body": f"Keep the reply to {REPLY_MAX:,} characters or fewer."})
    if not Membership.objects.filter(organization_id=ticket.organization_id, user=actor).exists():
        raise PermissionDenied("Only members of the ticket's organization can reply.")
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("requester", "organization")
            .get(pk=ticket.pk)
        )
        if ticket.requester is None:
            raise ValidationError(NO_REQUESTER)
        row = requester_email_queue(ticket=ticket, kind=Kind.AGENT_REPLY, body=body, sent_by=actor)
        excerpt = body[:EXCERPT] + ("…" if len(body) > EXCERPT else "")
        ticket_event_record(
            ticket=ticket,
            actor=actor,
            kind="requester_emailed",
            message=f"Replied to {ticket.requester.email} by e-mail: {excerpt}",
            details={"outbound_id": row.pk},
        )
        audit_log_record(
            actor=actor,
            organization=ticket.organization,
            action="ticket.requester_emailed",
            target=ticket,
            details={"to": ticket.requester.email},
        )
    return row


# ---------------------------------------------------------------- timeline hooks


def _requester_ticket(event: TicketEvent) -> Ticket | None:
    # The event's own ticket says whether an e-mail requester exists: most tickets have none,
    # and their timeline costs no query here.
    if event.ticket.requester_id is None:
        return None
    ticket = Ticket.objects.select_related("requester", "organization").get(pk=event.ticket_id)
    return ticket if ticket.requester is not None else None


def _on_answer_accepted(event: TicketEvent) -> None:
    """The expert's answer, as the customer's page shows it, to the requester."""
    ticket = _requester_ticket(event)
    answer = answer_accepted_of(ticket) if ticket is not None else None
    if ticket is None or answer is None:
        return
    body = (
        f"Here is the answer to your request “{ticket.title}”:\n\n{answer.body}\n\n"
        "If it did not solve the problem, reply to this e-mail."
    )
    requester_email_queue(ticket=ticket, kind=Kind.EXPERT_ANSWER, body=body)


def _on_detail_requested(event: TicketEvent) -> None:
    """The follow-up question, which the page shows to members, to the requester: their
    reply is added as detail and the ticket is triaged again."""
    ticket = _requester_ticket(event)
    if ticket is None:
        return
    body = (
        f"To help with your request “{ticket.title}” we need a little more detail:\n\n"
        f"{event.message}\n\nReply to this e-mail with the answer."
    )
    requester_email_queue(ticket=ticket, kind=Kind.DETAIL_REQUESTED, body=body)


def hooks_register() -> None:
    ticket_event_hook_register(
        kinds=("answer_accepted", "answer_auto_accepted"), hook=_on_answer_accepted
    )
    ticket_event_hook_register(kinds=("detail_requested",), hook=_on_detail_requested)
