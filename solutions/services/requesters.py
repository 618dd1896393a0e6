"""Requesters (`Contact`): the people tickets are for who are not members, and what they send
after their ticket exists. Inbound e-mail (inbound/) calls these inside its own transaction,
one per received message, so a message is stored whole or not at all."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts.models import Organization

from ..models import Contact, Ticket
from .common import ticket_event_record
from .tickets import (
    DETAIL_ADDABLE,
    DETAIL_MAX,
    MAX_ATTACHMENTS,
    attachments_check,
    attachments_store,
    ticket_detail_add,
)

EXCERPT = 300


def contact_for(*, organization: Organization, email: str, name: str = "") -> Contact:
    """The organization's contact for `email` (lowercased), created on first contact; a name
    learnt later fills an empty one, never replaces one."""
    email = email.strip().lower()
    name = " ".join(name.split())[:200]
    contact, created = Contact.objects.get_or_create(
        organization=organization, email=email, defaults={"name": name}
    )
    if not created and name and not contact.name:
        contact.name = name
        contact.save(update_fields=["name"])
    return contact


def attachments_sorted(files: Sequence[UploadedFile]) -> tuple[list[UploadedFile], list[str]]:
    """The files a ticket takes (each passes the ticket-submit checks: size, type; at most
    MAX_ATTACHMENTS) and, for the others, why not. One refused file of an e-mail does not
    refuse the e-mail, as it would a form the person can correct."""
    kept: list[UploadedFile] = []
    left_out: list[str] = []
    for upload in files:
        if len(kept) >= MAX_ATTACHMENTS:
            left_out.append(f"“{upload.name}”: more than {MAX_ATTACHMENTS} files.")
            continue
        try:
            attachments_check([upload])
        except ValidationError as exc:
            left_out.append(" ".join(str(m) for m in exc.messages))
        else:
            kept.append(upload)
    return kept, left_out


def requester_reply_record(
    *, ticket: Ticket, contact: Contact, text: str, attachments: Sequence[UploadedFile] = ()
) -> tuple[Ticket, bool]:
    """The requester's e-mail reply on their ticket: while the ticket waits for detail (the
    follow-up question, or nobody took it on yet) the text is added as detail and the caller
    triages again after its commit; otherwise it is on the timeline (and in the ticket's
    e-mail thread, inbound/). Files join the ticket's attachments. Returns the ticket and
    whether detail was added."""
    checked = attachments_check(attachments)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        detail_added = False
        if text and ticket.status in DETAIL_ADDABLE:
            ticket = ticket_detail_add(
                ticket=ticket, actor=None, detail=text[:DETAIL_MAX], triage=False
            )
            detail_added = True
        attachments_store(ticket=ticket, checked=checked, uploaded_by=None)
        excerpt = text[:EXCERPT] + ("…" if len(text) > EXCERPT else "")
        files = f" ({len(checked)} attachment(s))" if checked else ""
        ticket_event_record(
            ticket=ticket,
            actor=None,
            kind="requester_replied",
            message=f"{contact.email} replied by e-mail{files}"
            + (f": {excerpt}" if excerpt else "."),
            details={"detail_added": detail_added, "attachments": len(checked)},
        )
    return ticket, detail_added
