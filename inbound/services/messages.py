"""A received message, from the SMTP server or a provider's webhook, becomes a ticket, a
reply on one, or a record of why not. One transaction per message and organization: the
record, the requester, the ticket and its files are stored together or not at all (a
failure leaves only a FAILED record with the raw message, and the sender's server is asked
to try again). Triage runs after the commit, so a triage failure keeps the ticket.

The rules (docs/email.md):
- recipients: `<slug>@INBOUND_EMAIL_DOMAIN` or an alias; anything else bounces (550);
- rate limits per sender and per organization over the last hour (451, try later);
- ignored, recorded, never answered: a null sender (a bounce), our own mail coming back,
  mail from one of our addresses, auto-replies (`Auto-Submitted` other than "no",
  `Precedence: bulk/junk/list`, `X-Autoreply`), delivery reports, and mail the relay says
  fails DMARC under the sender domain's p=reject policy;
- a reply: In-Reply-To/References naming a message of the ticket's thread, or the
  `[Expertdesk #n]` reference in the subject, from the ticket's requester; from anyone
  else it is a new ticket."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization
from solutions.markdown import storable
from solutions.models import Ticket
from solutions.selectors.requesters import ticket_of_id, ticket_of_number
from solutions.services.common import ticket_event_record
from solutions.services.requesters import (
    attachments_sorted,
    contact_for,
    requester_reply_record,
)
from solutions.services.tickets import BODY_MAX, TITLE_MAX, ticket_submit, ticket_triage

from ..models import InboundMessage, OutboundEmail
from ..parsing import ParsedEmail, email_parse
from .addresses import is_our_address, organization_for_address

logger = logging.getLogger(__name__)

Result = InboundMessage.Result
OK = "250 2.0.0 OK: received"
TRY_LATER = "451 4.3.0 Could not store the message now; try again later"


@dataclass(frozen=True)
class Outcome:
    result: str
    reason: str = ""
    ticket_number: int | None = None
    record_id: int | None = None
    smtp_reply: str = OK


def _envelope(sender: str) -> str:
    """MAIL FROM as stored: "" for the null sender ("<>", a bounce)."""
    sender = sender.strip().strip("<>").strip().lower()
    return sender[:254]


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode()[:300]


# ---------------------------------------------------------------- at the door


def rate_refusal(*, sender: str, organization: Organization) -> str:
    """Why this message is one too many now ("" when it isn't): per sender and per
    organization, counted over the messages recorded in the last hour (bounces aside)."""
    since = timezone.now() - timedelta(hours=1)
    recent = InboundMessage.objects.filter(received_at__gte=since).exclude(result=Result.BOUNCED)
    per_sender = int(settings.INBOUND_SENDER_PER_HOUR)
    if sender and recent.filter(envelope_from=sender).count() >= per_sender:
        return f"more than {per_sender} messages an hour from {sender}"
    per_org = int(settings.INBOUND_ORGANIZATION_PER_HOUR)
    if recent.filter(organization=organization).count() >= per_org:
        return f"more than {per_org} messages an hour for this organization"
    return ""


def recipient_check(
    *, envelope_from: str, recipient: str, channel: str = InboundMessage.Channel.SMTP
) -> tuple[Organization | None, str]:
    """At RCPT TO: the organization the recipient reaches and "" — or a refusal to answer
    (an SMTP reply): 550 for an unknown address (recorded as a bounce), 451 past a rate
    limit (not recorded: a flood would write a row per try)."""
    envelope_from = _envelope(envelope_from)
    organization = organization_for_address(recipient)
    if organization is None:
        InboundMessage.objects.create(
            channel=channel,
            envelope_from=envelope_from,
            recipient=recipient.strip().lower()[:254],
            result=Result.BOUNCED,
            reason="No organization has this address.",
        )
        return None, f"550 5.1.1 <{_ascii(recipient)}>: no such mailbox here"
    refusal = rate_refusal(sender=envelope_from, organization=organization)
    if refusal:
        logger.warning("Inbound mail to %s refused: %s", recipient, refusal)
        return organization, f"451 4.7.1 Too many messages ({_ascii(refusal)}); try later"
    return organization, ""


# ---------------------------------------------------------------- the message


def message_receive(
    *,
    raw: bytes,
    envelope_from: str,
    recipients: list[str],
    channel: str = InboundMessage.Channel.SMTP,
) -> list[Outcome]:
    """Processes `raw` once for each organization its recipients reach (recipients already
    accepted at RCPT time; an unknown one here, from a webhook, is a bounce)."""
    envelope_from = _envelope(envelope_from)
    parsed = email_parse(raw, authserv_ids=tuple(settings.INBOUND_AUTHSERV_IDS))
    reached: dict[int, tuple[Organization, str]] = {}
    outcomes = []
    for recipient in recipients:
        organization = organization_for_address(recipient)
        if organization is None:
            record = InboundMessage.objects.create(
                channel=channel,
                envelope_from=envelope_from,
                recipient=recipient.strip().lower()[:254],
                message_id=parsed.message_id,
                subject=parsed.subject,
                from_address=parsed.from_address,
                size=len(raw),
                result=Result.BOUNCED,
                reason="No organization has this address.",
            )
            outcomes.append(
                Outcome(Result.BOUNCED, record.reason, None, record.pk, "550 5.1.1 No such mailbox")
            )
            continue
        reached.setdefault(organization.pk, (organization, recipient.strip().lower()[:254]))
    for organization, recipient in reached.values():
        outcomes.append(
            message_process(
                parsed=parsed,
                raw=raw,
                organization=organization,
                recipient=recipient,
                envelope_from=envelope_from,
                channel=channel,
            )
        )
    return outcomes


def _ignored_reason(parsed: ParsedEmail, *, envelope_from: str, channel: str) -> str:
    if channel == InboundMessage.Channel.SMTP and not envelope_from:
        return "A delivery status notification (null sender)."
    if parsed.ours:
        return "Our own e-mail came back (a loop)."
    if parsed.from_address and is_our_address(parsed.from_address):
        return f"Sent from our own address {parsed.from_address} (a loop)."
    if parsed.auto_reply_reason:
        return f"An automatic message ({parsed.auto_reply_reason})."
    if parsed.auth.dmarc_reject:
        return "The relay says it fails DMARC, and the sender's domain asks to reject such mail."
    if not parsed.from_address:
        return "No sender address in From."
    return ""


def message_process(
    *,
    parsed: ParsedEmail,
    raw: bytes,
    organization: Organization,
    recipient: str,
    envelope_from: str,
    channel: str,
) -> Outcome:
    existing = InboundMessage.objects.filter(
        organization=organization, message_id=parsed.message_id
    ).first()
    if existing is not None and existing.result != Result.FAILED:
        # A redelivery (the sender's server didn't hear our 250, a provider retried).
        return Outcome(existing.result, "Already received.", _number(existing), existing.pk)
    fields: dict[str, Any] = {
        "channel": channel,
        "envelope_from": envelope_from or parsed.from_address,
        "recipient": recipient,
        "from_address": parsed.from_address,
        "from_name": parsed.from_name,
        "subject": parsed.subject,
        "text": storable(parsed.text)[:BODY_MAX],
        "size": len(raw),
        "spf": parsed.auth.spf,
        "dkim": parsed.auth.dkim,
        "dmarc": parsed.auth.dmarc,
        "auth_headers": list(parsed.auth.raw),
        "received_at": timezone.now(),
        "raw": "",
    }
    ignored = _ignored_reason(parsed, envelope_from=envelope_from, channel=channel)
    if not ignored and channel == InboundMessage.Channel.WEBHOOK:
        # A provider's webhook can't be refused at the door as SMTP is (RCPT TO).
        refusal = rate_refusal(sender=fields["envelope_from"], organization=organization)
        ignored = f"Rate limited: {refusal}." if refusal else ""
    if ignored:
        record = _record(organization, parsed.message_id, Result.IGNORED, ignored, fields)
        return Outcome(Result.IGNORED, ignored, None, record.pk)
    try:
        with transaction.atomic():
            outcome, ticket, triage_next = _ticket_or_reply(parsed, organization, fields)
    except ValidationError as exc:
        # The organization can't take it (its subscription, a text the ticket refuses): a
        # retry would fail the same way, so the sender is told (550).
        reason = " ".join(str(m) for m in exc.messages)[:500]
        record = _record(organization, parsed.message_id, Result.BOUNCED, reason, fields)
        return Outcome(Result.BOUNCED, reason, None, record.pk, f"550 5.7.1 {_ascii(reason)}")
    except IntegrityError:
        # The same message processed at this moment by another connection: that one wins.
        taken = InboundMessage.objects.filter(
            organization=organization, message_id=parsed.message_id
        ).first()
        if taken is not None and taken.result != Result.FAILED:
            return Outcome(taken.result, "Already received.", _number(taken), taken.pk)
        return _failed(organization, parsed, raw, fields, "A conflicting write; try again.")
    except Exception as exc:
        logger.exception("Inbound message %s for %s failed", parsed.message_id, organization)
        return _failed(organization, parsed, raw, fields, f"{type(exc).__name__}: {exc}")
    if ticket is not None and triage_next and outcome.record_id is not None:
        try:
            ticket_triage(ticket=ticket)
        except Exception as exc:
            # The ticket is stored and listed; it waits as "new" for a person (or the next
            # champion's pass over untriaged tickets).
            logger.exception("Triage of e-mailed ticket %s failed", ticket.pk)
            InboundMessage.objects.filter(pk=outcome.record_id).update(
                reason=f"Stored; triage failed: {type(exc).__name__}: {exc}"[:500]
            )
    return outcome


def _number(record: InboundMessage) -> int | None:
    return record.ticket.number if record.ticket_id and record.ticket else None


def _record(
    organization: Organization, message_id: str, result: str, reason: str, fields: dict[str, Any]
) -> InboundMessage:
    record, _ = InboundMessage.objects.update_or_create(
        organization=organization,
        message_id=message_id,
        defaults={**fields, "result": result, "reason": reason[:500]},
    )
    return record


def _failed(
    organization: Organization,
    parsed: ParsedEmail,
    raw: bytes,
    fields: dict[str, Any],
    error: str,
) -> Outcome:
    record = _record(organization, parsed.message_id, Result.FAILED, error, fields)
    # The raw message, to process again once the cause is fixed (admin action).
    record.raw.save(f"{record.pk}.eml", ContentFile(raw), save=True)
    return Outcome(Result.FAILED, error, None, record.pk, TRY_LATER)


def _replied_ticket(parsed: ParsedEmail, organization: Organization) -> Ticket | None:
    """The ticket the message answers: a Message-ID of its thread in In-Reply-To/References
    (ours, sent to the requester, or one of theirs we received), else the subject's
    `[Expertdesk #n]` reference. Only the receiving organization's tickets count."""
    for message_id in parsed.in_reply_to:
        sent = OutboundEmail.objects.filter(
            organization=organization, message_id=message_id
        ).first()
        received = (
            None
            if sent is not None
            else InboundMessage.objects.filter(
                organization=organization, message_id=message_id, ticket__isnull=False
            ).first()
        )
        found = sent or received
        if found is not None and found.ticket_id is not None:
            ticket = ticket_of_id(organization, found.ticket_id)
            if ticket is not None and ticket.duplicate_of_id is not None:
                ticket = ticket_of_number(organization, ticket.number)
            if ticket is not None:
                return ticket
    if parsed.reference is not None:
        return ticket_of_number(organization, parsed.reference)
    return None


def _title_and_body(parsed: ParsedEmail, has_files: bool) -> tuple[str, str]:
    text = storable(parsed.text)
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    title = parsed.title or first_line[:80] or f"E-mail from {parsed.from_address}"
    if len(title) < 3:
        title = f"E-mail: {title}"
    title = storable(title)[:TITLE_MAX]
    if not text:
        text = "(The e-mail had no text; see the attachments.)" if has_files else title
    if len(text) > BODY_MAX:
        note = "\n\n[The e-mail was longer; it was cut here.]"
        text = text[: BODY_MAX - len(note)] + note
    return title, text


def _ticket_or_reply(
    parsed: ParsedEmail, organization: Organization, fields: dict[str, Any]
) -> tuple[Outcome, Ticket | None, bool]:
    """Inside the message's transaction: (outcome, the ticket to triage, whether to)."""
    contact = contact_for(
        organization=organization, email=parsed.from_address, name=parsed.from_name
    )
    uploads = [
        SimpleUploadedFile(a.filename, a.data, content_type=a.content_type)
        for a in parsed.attachments
    ]
    kept, left_out = attachments_sorted(uploads)
    fields = {**fields, "attachments_left_out": left_out}
    replied = _replied_ticket(parsed, organization)
    reason = ""
    if replied is not None and replied.requester_id == contact.pk:
        if not parsed.text and not kept:
            record = _record(
                organization,
                parsed.message_id,
                Result.IGNORED,
                "A reply without text or files (only the quoted message).",
                {**fields, "ticket": replied},
            )
            return Outcome(Result.IGNORED, record.reason, replied.number, record.pk), None, False
        ticket, detail_added = requester_reply_record(
            ticket=replied, contact=contact, text=storable(parsed.text), attachments=kept
        )
        result = Result.REPLIED
    else:
        if replied is not None:
            reason = (
                f"It refers to #{replied.number}, whose requester is someone else: a new ticket."
            )
        title, body = _title_and_body(parsed, has_files=bool(kept))
        ticket = ticket_submit(
            organization=organization,
            author=None,
            requester=contact,
            title=title,
            body=body,
            attachments=kept,
            channel="email",
            triage=False,
        )
        detail_added = True  # a new ticket is triaged after the commit
        result = Result.CREATED
    if left_out:
        ticket_event_record(
            ticket=ticket,
            actor=None,
            kind="attachments_left_out",
            message="Files of the e-mail left out: " + " ".join(left_out),
        )
    record = _record(organization, parsed.message_id, result, reason, {**fields, "ticket": ticket})
    return Outcome(result, reason, ticket.number, record.pk), ticket, detail_added


def message_process_again(*, record: InboundMessage) -> list[Outcome]:
    """A FAILED message, processed again from its kept raw copy (the admin's action)."""
    if record.result != Result.FAILED or not record.raw:
        raise ValidationError("Only a failed message with its raw copy can be processed again.")
    with record.raw.open("rb") as handle:
        raw = handle.read()
    return message_receive(
        raw=raw,
        envelope_from=record.envelope_from,
        recipients=[record.recipient],
        channel=record.channel,
    )
