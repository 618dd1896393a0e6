"""The conversation on a claimed ticket: messages between the expert holding the claim and
the customer's members, the expert's clarifying questions (which pause the claim's SLA clock
until the customer replies) and the customer's internal notes.

Who may write what:

| side | who | kinds | when |
| --- | --- | --- | --- |
| customer | any member of the ticket's organization | `message` | while the ticket is claimed |
| customer | the same | `note` | always; no expert ever reads it |
| expert | the expert holding the active claim | `message`, `question` | while they hold it |

The caller names the side it posts for (the customer's page and API, or the expert's) and
the side is checked against who posts: membership for the customer's side, the active claim
for the expert's. Everything an expert reads or writes passes the organization's masking
rules: a customer's message keeps its original in `body` and the expert's copy in
`masked_body`; an expert's message is stored masked in both (the expert only ever saw masked
text, and masking also keeps an expert from writing out a secret). Files the customer attaches
stay with the customer (files can't be masked; experts only learn how many were withheld);
files the expert attaches are the customer's to download.

Each message tells the other side in the app at once, and by one batched e-mail per person
(`conversation_emails_send`, on a beat schedule); messages and questions become the
`ticket.message_created` webhook in the act's transaction; notes tell nobody."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from api.models import IdempotencyRecord
from api.services import idempotency_link
from webhooks.services import webhook_event_emit

from ..markdown import markdown_sanitize, markdown_text, storable
from ..models import Claim, Notification, Ticket, TicketMessage
from .common import (
    absolute_url,
    notification_send,
    ticket_event_record,
    ticket_milestone_stamp,
)
from .events import ticket_webhook_data
from .experts import claim_pause, claim_resume
from .masking import masking_context_for, text_mask

# The checks of files at ticket submission (count, size, type) apply to messages unchanged.
from .tickets import attachments_check, attachments_store

MESSAGE_MAX = 10_000
NOTIFICATION_KIND = "conversation_message"
WEBHOOK_EVENT = "ticket.message_created"
# One e-mail lists at most this many messages; the rest wait for the next run.
EMAIL_BATCH_MAX = 50

Side = TicketMessage.Side
Kind = TicketMessage.Kind

KINDS_OF_SIDE = {
    Side.CUSTOMER: (Kind.MESSAGE, Kind.NOTE),
    Side.EXPERT: (Kind.MESSAGE, Kind.QUESTION),
}
NOT_CLAIMED = (
    "Messages to the expert are open while an expert holds the ticket; "
    "an internal note is always possible."
)
NO_ACTIVE_CLAIM = "You hold no active claim on this ticket."
NOT_A_MEMBER = "Only members of the ticket's organization can write on its customer side."


def _checked_body(body: str) -> tuple[str, str]:
    """(as written, sanitized Markdown); refuses an empty or overlong message."""
    source = storable(body).strip()
    if not source:
        raise ValidationError({"body": "Write your message first."})
    if len(source) > MESSAGE_MAX:
        raise ValidationError(
            {"body": f"Keep the message to {MESSAGE_MAX:,} characters or fewer ({len(source):,})."}
        )
    sanitized = markdown_sanitize(source)
    if not markdown_text(sanitized):
        raise ValidationError({"body": "Write some text besides HTML, which is removed."})
    return source, sanitized


def _masked(text: str, ticket: Ticket) -> str:
    """The expert's copy. Sanitized again after masking: a placeholder can make Markdown of
    its neighbours ("Zoltan(javascript:…)" becomes "[name](javascript:…)", a link)."""
    context = masking_context_for(organization=ticket.organization, ticket=ticket)
    return markdown_sanitize(text_mask(text, context).text)


def _is_member(user: User, ticket: Ticket) -> bool:
    return Membership.objects.filter(organization_id=ticket.organization_id, user=user).exists()


def message_post(
    *,
    ticket_id: int,
    author: User,
    side: str,
    kind: str,
    body: str,
    attachments: Sequence[UploadedFile] = (),
    idempotency_record: IdempotencyRecord | None = None,
) -> TicketMessage:
    """Posts one message, question or note on the ticket for `side` (see the module's
    docstring for who may write what). A question pauses the claim's SLA clock; the next
    customer message resumes it with the counted time that was left."""
    if side not in KINDS_OF_SIDE:
        raise ValueError(f"Unknown side {side!r}")
    if kind not in KINDS_OF_SIDE[Side(side)]:
        raise ValidationError({"kind": f"The {side} side can't post a {kind or 'blank'} here."})
    source, sanitized = _checked_body(body)
    checked = attachments_check(attachments)
    with transaction.atomic():
        # Locks: the ticket, then its claim (as claims, answers and expiry take them).
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("organization", "author")
            .filter(pk=ticket_id)
            .first()
        )
        if ticket is None:
            raise ValidationError("No such ticket.")
        claim = (
            Claim.objects.select_for_update()
            .select_related("expert")
            .filter(ticket=ticket, status=Claim.Status.ACTIVE)
            .first()
        )
        now = timezone.now()
        if side == Side.CUSTOMER:
            if not _is_member(author, ticket):
                raise ValidationError(NOT_A_MEMBER)
            if kind == Kind.MESSAGE and (claim is None or ticket.status != Ticket.Status.CLAIMED):
                raise ValidationError(NOT_CLAIMED)
            stored, masked = sanitized, ("" if kind == Kind.NOTE else _masked(sanitized, ticket))
        else:
            if claim is None or claim.expert_id != author.pk:
                raise ValidationError(NO_ACTIVE_CLAIM)
            if ticket.status != Ticket.Status.CLAIMED or ticket.assignee_id != author.pk:
                raise ValidationError("This ticket is no longer open for experts.")
            # A paused clock has not run out, whatever due_at says (as for answers).
            if claim.paused_at is None and claim.due_at <= now:
                raise ValidationError("Your claim lapsed; the ticket goes back to the queue.")
            stored = masked = _masked(sanitized, ticket)
        message = TicketMessage.objects.create(
            ticket=ticket,
            claim=claim,
            author=author,
            side=side,
            kind=kind,
            body=stored,
            body_source=source,
            masked_body=masked,
            created_at=now,
        )
        attachments_store(
            ticket=ticket, checked=checked, uploaded_by=author, message=message, created_at=now
        )
        if idempotency_record is not None:
            idempotency_link(record=idempotency_record, created=message)
        if kind == Kind.NOTE:
            return message  # the customer's own: no timeline line, no notice, no webhook
        if side == Side.CUSTOMER and author.pk != ticket.author_id:
            # Someone of the requester's IT team wrote on the ticket: a first response too.
            ticket_milestone_stamp(ticket=ticket, field="first_response_at", at=now)
        if claim is None:  # unreachable: messages and questions need the claim (above)
            raise ValidationError(NOT_CLAIMED)
        if kind == Kind.QUESTION:
            # claim_pause writes the timeline line ("…paused until you reply").
            claim_pause(claim=claim, ticket=ticket, actor=author, now=now)
        elif side == Side.CUSTOMER:
            claim_resume(claim=claim, ticket=ticket, actor=author, now=now)
        else:
            ticket_event_record(
                ticket=ticket,
                actor=author,
                kind="expert_message",
                message="The expert wrote in the conversation.",
                details={"message_id": message.pk, "claim_id": claim.pk},
            )
        _notify(message=message, ticket=ticket, claim=claim)
        webhook_event_emit(
            organization=ticket.organization,
            event=WEBHOOK_EVENT,
            data=message_webhook_data(message=message, ticket=ticket, files=len(checked)),
        )
    return message


def message_webhook_data(*, message: TicketMessage, ticket: Ticket, files: int) -> dict[str, Any]:
    """The ticket's public state (as every ticket event) and the message. The expert's
    messages carry their (masked) body, which is what the event is for, as `ticket.answered`
    carries the answer; the customer's own messages don't (their people wrote them, and
    payloads end up in chat tools and logs): fetch `links.messages` for them."""
    data = ticket_webhook_data(ticket, details={})
    data["ticket"]["links"]["messages"] = absolute_url(f"/api/v1/tickets/{ticket.number}/messages/")
    data["message"] = {
        "id": message.pk,
        "side": message.side,
        "kind": message.kind,
        "body": message.body if message.side == Side.EXPERT else None,
        "format": "markdown",
        "attachments": files,
        "created_at": message.created_at.isoformat(),
    }
    return data


def _customer_recipients(ticket: Ticket, *, exclude: int | None) -> list[User]:
    """The ticket's author and the members who wrote to the expert on it, while they are
    still members."""
    wanted = set(
        TicketMessage.objects.filter(
            ticket=ticket, side=Side.CUSTOMER, kind=Kind.MESSAGE
        ).values_list("author_id", flat=True)
    )
    if ticket.author_id is not None:
        wanted.add(ticket.author_id)
    wanted.discard(exclude)
    members = Membership.objects.filter(organization_id=ticket.organization_id).values("user_id")
    users = User.objects.filter(pk__in=members).filter(pk__in=wanted)
    return list(users.order_by("pk"))


def _notify(*, message: TicketMessage, ticket: Ticket, claim: Claim) -> None:
    """In the app at once; by e-mail in the next batch (`conversation_emails_send`)."""
    if message.side == Side.CUSTOMER:
        # The expert reads the masked title only.
        notification_send(
            user=claim.expert,
            kind=NOTIFICATION_KIND,
            message=f"The customer replied on “{ticket.masked_title}”.",
            url=reverse("expert_ticket", args=[ticket.pk]) + "#conversation",
            email=False,
        )
        return
    what = "asked a question" if message.kind == Kind.QUESTION else "wrote"
    for user in _customer_recipients(ticket, exclude=message.author_id):
        notification_send(
            user=user,
            organization=ticket.organization,
            kind=NOTIFICATION_KIND,
            message=f"The expert {what} on ticket #{ticket.number} “{ticket.title}”.",
            url=reverse("ticket_detail", args=[ticket.number]) + "#conversation",
            email=False,
        )


# ---------------------------------------------------------------- the batched e-mail


def conversation_emails_send(now: datetime | None = None) -> int:
    """One e-mail per person listing their conversation notifications not yet e-mailed (and
    not yet read in the app: those need no e-mail). Each notification is taken by a
    compare-and-set on `emailed_at`, inside the transaction that sends, so two overlapping
    runs can't mail the same one twice, and a failed send leaves them for the next run.
    Returns the number of e-mails sent."""
    from django.core.mail import send_mail

    now = now or timezone.now()
    pending = Notification.objects.filter(
        kind=NOTIFICATION_KIND, emailed_at__isnull=True, read_at__isnull=True, created_at__lte=now
    ).exclude(user__email="")
    sent = 0
    for user_id in pending.values_list("user_id", flat=True).distinct().order_by("user_id"):
        with transaction.atomic():
            candidates = list(
                pending.filter(user_id=user_id)
                .select_related("user")
                .order_by("created_at", "pk")[:EMAIL_BATCH_MAX]
            )
            won = [
                n
                for n in candidates
                if Notification.objects.filter(pk=n.pk, emailed_at__isnull=True).update(
                    emailed_at=now
                )
            ]
            if not won:
                continue
            lines = [
                f"- {n.message}" + (f"\n  {absolute_url(n.url)}" if n.url else "") for n in won
            ]
            count = len(won)
            subject = (
                "[Expertdesk] A new message in your conversations"
                if count == 1
                else f"[Expertdesk] {count} new messages in your conversations"
            )
            send_mail(
                subject=subject,
                message="\n".join(lines) + "\n\nReply on the ticket's page.",
                from_email=None,
                recipient_list=[won[0].user.email],
            )
            sent += 1
    return sent
