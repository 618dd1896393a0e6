"""The expert side: profiles and vetting, the queue, claims under an SLA, answers, and the
scheduled work (claim expiry, SLA warnings, batched new-ticket notices).

Experts only ever read `masked_title` / `masked_body`; the messages sent to experts here use
the masked title too. Locks are always taken ticket first, then profile, so a claim and an
expiry of the same ticket can't deadlock; `of=("self",)` keeps joined rows (the organization,
the author) unlocked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Case, F, When
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_log_record
from billing import services as billing

from ..markdown import markdown_sanitize, markdown_text, storable
from ..models import Claim, ExpertAnswer, ExpertProfile, Notification, Ticket
from ..selectors.experts import (
    expert_queue,
)
from ..selectors.reputation import expert_commission_bps
from .common import notification_send, ticket_event_record
from .routing import ticket_route

HEADLINE_MAX = 140
BIO_MAX = 5_000
SKILLS_MIN, SKILLS_MAX, SKILL_LENGTH_MAX = 1, 20, 40
PRICE_MIN_CENTS, PRICE_MAX_CENTS = 100, 100_000
ANSWER_MIN, ANSWER_MAX = 20, 20_000
# An SLA warning goes out when this much of the claim's window is left, but never later than
# SLA_WARNING_MIN before the deadline (a 1-hour critical SLA still gets 30 minutes' notice).
SLA_WARNING_SHARE = 0.2
SLA_WARNING_MIN = timedelta(minutes=30)

CLAIMED_FIRST = "Someone else claimed this ticket first."
NOT_OPEN = "This ticket is no longer open for experts."


def _fmt(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"


def skills_normalise(skills: Iterable[str]) -> list[str]:
    """Lower-case, whitespace-collapsed, de-duplicated tags in the order given; validated."""
    tags: list[str] = []
    for raw in skills:
        tag = " ".join(str(raw).split()).lower()
        # Stray separators ("," or "-") are not skills; no category is spelled that way.
        if any(ch.isalnum() for ch in tag) and tag not in tags:
            tags.append(tag)
    if len(tags) < SKILLS_MIN:
        raise ValidationError({"skills": "Name at least one skill (a ticket category)."})
    if len(tags) > SKILLS_MAX:
        raise ValidationError({"skills": f"Name at most {SKILLS_MAX} skills."})
    too_long = [t for t in tags if len(t) > SKILL_LENGTH_MAX]
    if too_long:
        raise ValidationError(
            {"skills": f"A skill has at most {SKILL_LENGTH_MAX} characters: “{too_long[0]}”."}
        )
    return tags


# ---------------------------------------------------------------- profiles and vetting


def expert_profile_save(
    *,
    user: User,
    headline: str,
    bio: str,
    skills: Iterable[str],
    price_per_answer_cents: int,
    available: bool,
) -> ExpertProfile:
    """Creates or updates the user's expert profile. A new profile waits for vetting."""
    headline = " ".join((headline or "").split())
    bio = (bio or "").strip()
    errors: dict[str, str] = {}
    if not headline:
        errors["headline"] = "Write a one-line headline, e.g. “Network engineer, 10 years”."
    elif len(headline) > HEADLINE_MAX:
        errors["headline"] = f"Keep the headline to {HEADLINE_MAX} characters or fewer."
    if len(bio) > BIO_MAX:
        errors["bio"] = f"Keep the bio to {BIO_MAX:,} characters or fewer."
    if not PRICE_MIN_CENTS <= price_per_answer_cents <= PRICE_MAX_CENTS:
        errors["price_per_answer_cents"] = (
            f"Choose a price between ${PRICE_MIN_CENTS / 100:,.2f} and "
            f"${PRICE_MAX_CENTS / 100:,.2f}."
        )
    try:
        tags = skills_normalise(skills)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        profile, created = ExpertProfile.objects.select_for_update().get_or_create(
            user=user,
            defaults={
                "headline": headline,
                "bio": bio,
                "skills": tags,
                "price_per_answer_cents": price_per_answer_cents,
                "available": available,
            },
        )
        if not created:
            profile.headline = headline
            profile.bio = bio
            profile.skills = tags
            profile.price_per_answer_cents = price_per_answer_cents
            profile.available = available
            profile.save(
                update_fields=["headline", "bio", "skills", "price_per_answer_cents", "available"]
            )
        audit_log_record(
            actor=user,
            organization=None,
            action="expert.profile_created" if created else "expert.profile_updated",
            target=profile,
            details={"skills": tags, "available": available},
        )
    return profile


def expert_vet(*, profile: ExpertProfile, actor: User, vetted: bool = True) -> ExpertProfile:
    """Platform staff open (or close) an expert's queue."""
    if not actor.is_staff:
        raise PermissionDenied("Only platform staff can vet experts.")
    with transaction.atomic():
        profile = (
            ExpertProfile.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=profile.pk)
        )
        if profile.vetted == vetted:
            return profile
        profile.vetted = vetted
        profile.save(update_fields=["vetted"])
        audit_log_record(
            actor=actor,
            organization=None,
            action="expert.vetted" if vetted else "expert.unvetted",
            target=profile,
        )
        if vetted:
            notification_send(
                user=profile.user,
                kind="expert_vetted",
                message="You are vetted: escalated tickets that match your skills are open to you.",
                url=reverse("expert_queue"),
            )
    return profile


# ---------------------------------------------------------------- the SLA


def claim_due_at(*, ticket: Ticket, start: datetime) -> datetime:
    return billing.sla_due_at(
        organization=ticket.organization, priority=ticket.priority, start=start
    )


def claim_pause(*, claim: Claim, ticket: Ticket, actor: User | None, now: datetime) -> bool:
    """Stops the claim's SLA clock while the expert waits for the customer (a clarifying
    question). What is left is kept in counted time (business hours on a business calendar),
    so resuming on a Monday gives back exactly the working time that was left on Friday.
    Call inside the transaction that holds the ticket's and the claim's locks; False when the
    clock was already stopped."""
    if claim.status != Claim.Status.ACTIVE or claim.paused_at is not None:
        return False
    calendar = billing.sla_calendar(organization=ticket.organization)
    left = calendar.working_time_between(now, claim.due_at) if claim.due_at > now else timedelta()
    claim.paused_at = now
    claim.remaining_seconds = max(0, int(left.total_seconds()))
    claim.save(update_fields=["paused_at", "remaining_seconds"])
    ticket.sla_paused_at = now
    ticket.save(update_fields=["sla_paused_at", "updated_at"])
    ticket_event_record(
        ticket=ticket,
        actor=actor,
        kind="sla_paused",
        message="The expert asked a question; their SLA clock is paused until you reply.",
        details={"claim_id": claim.pk, "remaining_seconds": claim.remaining_seconds},
    )
    return True


def claim_resume(*, claim: Claim, ticket: Ticket, actor: User | None, now: datetime) -> bool:
    """Restarts a paused clock (the customer replied): the deadline becomes now plus the
    counted time that was left at the pause. Same locking as `claim_pause`; False when the
    clock was running."""
    if claim.status != Claim.Status.ACTIVE or claim.paused_at is None:
        return False
    calendar = billing.sla_calendar(organization=ticket.organization)
    due_at = calendar.add(now, (claim.remaining_seconds or 0) / 3600)
    waited = max(0, int((now - claim.paused_at).total_seconds()))
    claim.paused_seconds = (claim.paused_seconds or 0) + waited
    claim.paused_at = None
    claim.remaining_seconds = None
    claim.due_at = due_at
    claim.save(update_fields=["paused_at", "remaining_seconds", "paused_seconds", "due_at"])
    ticket.sla_paused_at = None
    ticket.sla_due_at = due_at
    # A new deadline deserves its own warning.
    ticket.sla_warned_at = None
    ticket.save(update_fields=["sla_paused_at", "sla_due_at", "sla_warned_at", "updated_at"])
    ticket_event_record(
        ticket=ticket,
        actor=actor,
        kind="sla_resumed",
        message=f"The customer replied; the expert's SLA clock runs again, the answer is due "
        f"by {_fmt(due_at)}.",
        details={"claim_id": claim.pk, "due_at": due_at.isoformat(), "waited_seconds": waited},
    )
    return True


# ---------------------------------------------------------------- claims


def _is_sqlite_lock(exc: OperationalError) -> bool:
    return connection.vendor == "sqlite" and "locked" in str(exc).lower()


def expert_claim_ticket(*, expert: User, ticket_id: int) -> Claim:
    """Takes the ticket for this expert until its SLA lapses. The row lock makes a concurrent
    claimer wait and then see the ticket claimed; the one-active-claim constraint backs it."""
    try:
        return _claim(expert=expert, ticket_id=ticket_id)
    except IntegrityError as exc:
        raise ValidationError(CLAIMED_FIRST) from exc
    except OperationalError as exc:
        # SQLite has no row locks: the second writer fails with "database is locked" (or a
        # stale WAL snapshot) instead of waiting; that is the same lost race.
        if _is_sqlite_lock(exc):
            raise ValidationError(CLAIMED_FIRST) from exc
        raise


def _claim(*, expert: User, ticket_id: int) -> Claim:
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("organization")
            .filter(pk=ticket_id)
        ).first()
        if ticket is None:
            raise ValidationError(NOT_OPEN)
        if ticket.status == Ticket.Status.CLAIMED:
            raise ValidationError(CLAIMED_FIRST)
        if ticket.status != Ticket.Status.ESCALATED:
            raise ValidationError(NOT_OPEN)
        profile = ExpertProfile.objects.select_for_update().filter(user=expert).first()
        if profile is None or not profile.vetted:
            raise ValidationError("Only vetted experts can claim tickets.")
        if not profile.available:
            raise ValidationError("You are marked unavailable; switch it on in your profile.")
        if not expert_queue(expert=expert).filter(pk=ticket.pk).exists():
            until = ticket.offered_until
            if until and until > timezone.now() and ticket.category.lower() in profile.skills:
                raise ValidationError(
                    "This ticket is offered first to experts with the best record in its "
                    f"category until {_fmt(until)}; then you can claim it."
                )
            raise ValidationError("This ticket does not match your skills.")
        # The profile row lock above serializes one expert's claims, so this count holds.
        active = Claim.objects.filter(expert=expert, status=Claim.Status.ACTIVE).count()
        if active >= profile.max_concurrent_claims:
            raise ValidationError(
                f"You already hold {active} active claim{'s' if active != 1 else ''}, "
                f"your limit. Answer or release one first."
            )
        now = timezone.now()
        due_at = claim_due_at(ticket=ticket, start=now)
        # The expert's tier is fixed with the claim: the net pay they saw is what they get.
        claim = Claim.objects.create(
            ticket=ticket,
            expert=expert,
            claimed_at=now,
            due_at=due_at,
            commission_bps=expert_commission_bps(expert=expert, ticket=ticket),
        )
        ticket.status = Ticket.Status.CLAIMED
        ticket.assignee = expert
        ticket.sla_due_at = due_at
        ticket.sla_warned_at = None
        ticket.save(
            update_fields=["status", "assignee", "sla_due_at", "sla_warned_at", "updated_at"]
        )
        ticket_event_record(
            ticket=ticket,
            actor=expert,
            kind="claimed",
            message=f"An expert claimed the ticket; the answer is due by {_fmt(due_at)}.",
            details={"claim_id": claim.pk, "due_at": due_at.isoformat()},
        )
        audit_log_record(
            actor=expert,
            organization=ticket.organization,
            action="expert.claimed",
            target=ticket,
            details={"claim_id": claim.pk, "due_at": due_at.isoformat()},
        )
    return claim


def _return_to_queue(ticket: Ticket, expert_id: int) -> None:
    """The ticket goes back to the queue only if this expert still holds it."""
    if ticket.status == Ticket.Status.CLAIMED and ticket.assignee_id == expert_id:
        ticket.status = Ticket.Status.ESCALATED
        ticket.assignee = None
        ticket.sla_due_at = None
        ticket.sla_warned_at = None
        ticket.sla_paused_at = None
        ticket.save(
            update_fields=[
                "status",
                "assignee",
                "sla_due_at",
                "sla_warned_at",
                "sla_paused_at",
                "updated_at",
            ]
        )


def _locked_claim(*, expert: User, claim_id: int) -> tuple[Claim, Ticket]:
    """The expert's claim and its ticket, ticket locked first; call inside a transaction."""
    ticket_id = (
        Claim.objects.filter(pk=claim_id, expert=expert).values_list("ticket_id", flat=True).first()
    )
    if ticket_id is None:
        raise ValidationError("That claim is not yours.")
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("organization", "author")
        .get(pk=ticket_id)
    )
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    return claim, ticket


def expert_release_claim(*, expert: User, claim_id: int) -> Claim:
    """The expert gives the ticket back to the queue before the deadline."""
    with transaction.atomic():
        claim, ticket = _locked_claim(expert=expert, claim_id=claim_id)
        if claim.status != Claim.Status.ACTIVE:
            raise ValidationError(f"This claim is already {claim.get_status_display().lower()}.")
        claim.status = Claim.Status.RELEASED
        claim.ended_at = timezone.now()
        claim.save(update_fields=["status", "ended_at"])
        _return_to_queue(ticket, expert.pk)
        ticket_event_record(
            ticket=ticket,
            actor=expert,
            kind="claim_released",
            message="The expert released the ticket; it is back in the experts' queue.",
            details={"claim_id": claim.pk},
        )
        audit_log_record(
            actor=expert,
            organization=ticket.organization,
            action="expert.released",
            target=ticket,
            details={"claim_id": claim.pk},
        )
    return claim


def _hold_renew(ticket: Ticket) -> bool:
    """An expired claim ends that expert's attempt: the price it reserved is released and
    reserved again for the next expert under today's cap. When the cap (lowered meanwhile)
    can't cover it, the ticket leaves the queue instead of waiting for an expert who could not
    be paid. Call inside the transaction that holds the ticket's lock."""
    organization = ticket.organization
    billing.spend_hold_release(
        organization=organization, ticket_id=ticket.pk, reason="claim expired"
    )
    try:
        with transaction.atomic():
            billing.spend_hold_place(
                organization=organization,
                ticket_id=ticket.pk,
                amount_cents=ticket.expert_price_cents or 0,
            )
    except billing.SpendCapExceeded:
        ticket.status = Ticket.Status.NEEDS_EXPERT
        ticket.save(update_fields=["status", "updated_at"])
        if ticket.author is not None:
            notification_send(
                user=ticket.author,
                organization=organization,
                kind="escalation_lapsed",
                message=f"Ticket #{ticket.number} “{ticket.title}” left the experts' queue: "
                "its expert's claim lapsed and the spend cap no longer covers the price.",
                url=f"/tickets/{ticket.number}/",
            )
        return False
    return True


def claims_expire_due(now: datetime | None = None) -> int:
    """Active claims past their deadline expire: the ticket returns to the queue and the
    lapse stays on the expert's record. Each claim in its own transaction, so one failure
    doesn't hold back the rest."""
    now = now or timezone.now()
    # A paused clock can't run out: the expert is waiting for the customer.
    due = Claim.objects.filter(status=Claim.Status.ACTIVE, due_at__lte=now, paused_at__isnull=True)
    expired = 0
    for claim_id, ticket_id in due.values_list("pk", "ticket_id"):
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("organization", "author")
                .get(pk=ticket_id)
            )
            claim = (
                Claim.objects.select_for_update(of=("self",))
                .select_related("expert")
                .filter(
                    pk=claim_id,
                    status=Claim.Status.ACTIVE,
                    due_at__lte=now,
                    paused_at__isnull=True,
                )
                .first()
            )
            if claim is None:  # answered, released or paused since the query above
                continue
            claim.status = Claim.Status.EXPIRED
            claim.ended_at = now
            # The SLA breach stays on the expert's record (their compliance, in reputation).
            claim.breached_at = claim.due_at
            claim.save(update_fields=["status", "ended_at", "breached_at"])
            _return_to_queue(ticket, claim.expert_id)
            ExpertProfile.objects.filter(user_id=claim.expert_id).update(
                expired_claims=F("expired_claims") + 1
            )
            requeued = _hold_renew(ticket)
            ticket_event_record(
                ticket=ticket,
                actor=None,
                kind="sla_breached",
                message=f"SLA breached: the expert had not answered by {_fmt(claim.due_at)}.",
                details={"claim_id": claim.pk, "due_at": claim.due_at.isoformat()},
            )
            ticket_event_record(
                ticket=ticket,
                actor=None,
                kind="claim_expired",
                message="The expert's claim lapsed without an answer; "
                + (
                    "the ticket is back in the experts' queue."
                    if requeued
                    else "the spend cap no longer covers the price, so the ticket left the "
                    "experts' queue. Raise the cap and escalate it again."
                ),
                details={"claim_id": claim.pk, "requeued": requeued},
            )
            if requeued:
                # A fresh first offer, to experts other than the one whose claim lapsed.
                ticket_route(ticket=ticket, now=now)
            audit_log_record(
                actor=None,
                organization=ticket.organization,
                action="expert.claim_expired",
                target=ticket,
                details={"claim_id": claim.pk, "expert_id": claim.expert_id},
            )
            notification_send(
                user=claim.expert,
                kind="claim_expired",
                message=f"Your claim on “{ticket.masked_title}” expired without an answer; "
                "the ticket went back to the queue.",
                url=reverse("expert_claims"),
            )
            expired += 1
    return expired


# ---------------------------------------------------------------- answers


def expert_answer_submit(*, expert: User, claim_id: int, body: str) -> ExpertAnswer:
    """The expert's Markdown answer to the ticket they hold; the ticket's author is told.
    The answer is stored as written (`body_source`) and sanitized (`body`, what the API,
    webhooks, pages and the knowledge article get; see solutions/markdown.py)."""
    source = storable(body).strip()
    if len(source) < ANSWER_MIN:
        raise ValidationError({"body": f"Write at least {ANSWER_MIN} characters."})
    if len(source) > ANSWER_MAX:
        raise ValidationError({"body": f"Keep the answer to {ANSWER_MAX:,} characters or fewer."})
    body = markdown_sanitize(source)
    if len(body.strip()) < ANSWER_MIN or not markdown_text(body):
        raise ValidationError(
            {"body": f"Write at least {ANSWER_MIN} characters besides HTML, which is removed."}
        )
    with transaction.atomic():
        claim, ticket = _locked_claim(expert=expert, claim_id=claim_id)
        if claim.status != Claim.Status.ACTIVE:
            raise ValidationError(f"This claim is {claim.get_status_display().lower()}.")
        now = timezone.now()
        # A paused clock (waiting for the customer) has not run out whatever due_at says.
        if claim.paused_at is None and claim.due_at <= now:
            raise ValidationError(
                f"Your claim lapsed at {_fmt(claim.due_at)}; the ticket goes back to the queue."
            )
        if ticket.status != Ticket.Status.CLAIMED or ticket.assignee_id != expert.pk:
            raise ValidationError(NOT_OPEN)
        answer = ExpertAnswer.objects.create(
            ticket=ticket,
            expert=expert,
            claim=claim,
            body=body,
            body_source=source,
            price_cents=ticket.expert_price_cents or 0,
            created_at=now,
        )
        if claim.paused_at is not None:
            # Answering ends the wait: the time spent waiting is counted as paused.
            claim.paused_seconds += max(0, int((now - claim.paused_at).total_seconds()))
            claim.paused_at = None
        claim.status = Claim.Status.ANSWERED
        claim.ended_at = now
        claim.save(update_fields=["status", "ended_at", "paused_at", "paused_seconds"])
        ticket.status = Ticket.Status.ANSWERED
        ticket.sla_paused_at = None
        ticket.save(update_fields=["status", "sla_paused_at", "updated_at"])
        ticket_event_record(
            ticket=ticket,
            actor=expert,
            kind="expert_answered",
            message="The expert answered. Accept and rate the answer, or ask a follow-up.",
            details={"answer_id": answer.pk, "claim_id": claim.pk},
        )
        audit_log_record(
            actor=expert,
            organization=ticket.organization,
            action="expert.answered",
            target=ticket,
            details={"answer_id": answer.pk},
        )
        if ticket.author is not None:
            notification_send(
                user=ticket.author,
                organization=ticket.organization,
                kind="expert_answered",
                message=f"An expert answered ticket #{ticket.number} “{ticket.title}”.",
                url=f"/tickets/{ticket.number}/",
            )
    return answer


# ---------------------------------------------------------------- scheduled notices


def sla_warning_window(claim: Claim) -> timedelta:
    return max(SLA_WARNING_MIN, (claim.due_at - claim.claimed_at) * SLA_WARNING_SHARE)


def sla_warnings_send(now: datetime | None = None) -> int:
    """Tells the expert and the ticket's author, once per deadline, that it is near. A paused
    clock is not warned about; a resumed one gets a warning for its new deadline."""
    now = now or timezone.now()
    candidates = (
        Claim.objects.filter(
            status=Claim.Status.ACTIVE,
            due_at__gt=now,
            paused_at__isnull=True,
            ticket__sla_warned_at__isnull=True,
        )
        .select_related("expert", "ticket", "ticket__author", "ticket__organization")
        .order_by("due_at")
    )
    sent = 0
    for claim in candidates:
        if claim.due_at - now > sla_warning_window(claim):
            continue
        ticket = claim.ticket
        with transaction.atomic():
            # Compare-and-set: of two overlapping beat runs only one wins the row.
            won = Ticket.objects.filter(
                pk=ticket.pk,
                status=Ticket.Status.CLAIMED,
                sla_due_at=claim.due_at,
                sla_warned_at__isnull=True,
            ).update(sla_warned_at=now)
            if not won:
                continue
            minutes = max(1, round((claim.due_at - now).total_seconds() / 60))
            ticket_event_record(
                ticket=ticket,
                actor=None,
                kind="sla_warning",
                message=f"The expert's answer is due in {minutes} minutes.",
                details={"claim_id": claim.pk},
            )
            notification_send(
                user=claim.expert,
                kind="sla_warning",
                message=f"Your answer to “{ticket.masked_title}” is due in {minutes} minutes "
                f"({_fmt(claim.due_at)}); answer, or release the claim for someone else.",
                url=reverse("expert_ticket", args=[ticket.pk]),
            )
            if ticket.author is not None:
                notification_send(
                    user=ticket.author,
                    organization=ticket.organization,
                    kind="sla_warning",
                    message=f"The SLA of ticket #{ticket.number} “{ticket.title}” lapses in "
                    f"{minutes} minutes; the expert has not answered yet.",
                    url=f"/tickets/{ticket.number}/",
                )
            sent += 1
    return sent


def experts_notify_new_tickets(now: datetime | None = None) -> int:
    """One batched notice per expert about tickets that entered their queue since the last
    notice. A ticket offered first to others enters it when that window ends
    (`offered_until`), so a run during the window says nothing of it and the first run after
    it does; a ticket offered to this expert was announced at once and is left out."""
    now = now or timezone.now()
    profiles = ExpertProfile.objects.filter(vetted=True, available=True).select_related("user")
    notified = 0
    for profile in profiles:
        fresh = (
            expert_queue(expert=profile.user)
            .exclude(offers__expert=profile.user)
            .annotate(
                entered_at=Case(
                    When(offered_until__isnull=False, then=F("offered_until")),
                    default=F("escalated_at"),
                )
            )
            .filter(escalated_at__lte=now, entered_at__lte=now)
        )
        if profile.last_notified_at is not None:
            fresh = fresh.filter(entered_at__gt=profile.last_notified_at)
        count = fresh.count()
        with transaction.atomic():
            # Compare-and-set on the last notice: overlapping runs can't both announce.
            won = (
                ExpertProfile.objects.filter(
                    pk=profile.pk, last_notified_at=profile.last_notified_at
                )
                if profile.last_notified_at is not None
                else ExpertProfile.objects.filter(pk=profile.pk, last_notified_at__isnull=True)
            ).update(last_notified_at=now)
            if not won or not count:
                continue
            noun = "ticket matches" if count == 1 else "tickets match"
            notification_send(
                user=profile.user,
                kind="new_tickets",
                message=f"{count} new {noun} your skills.",
                url=reverse("expert_queue"),
            )
            notified += 1
    return notified


# ---------------------------------------------------------------- in-app notifications


def notifications_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Marks one of the user's notifications, or all of them, read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())
