"""The enterprise side of a ticket: submit with instant triage, feedback on suggestions,
corrections, escalation to experts, accepting and rating an answer, reopening, closing."""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone

from accounts.models import MANAGER_ROLES, Organization, User
from accounts.services import audit_log_record
from api.models import IdempotencyRecord
from api.services import idempotency_link
from billing import services as billing
from ml import serving as ml_serving
from ml.follow_up import follow_up_question
from observability.metrics import triage_observed

from ..evidence import best_passage
from ..markdown import markdown_sanitize
from ..models import (
    DEFAULT_PRIORITIES,
    PRECISION_TARGET_MAX,
    PRECISION_TARGET_MIN,
    Attachment,
    Contact,
    Dispute,
    ExpertAnswer,
    ExpertProfile,
    Feedback,
    Rating,
    SolutionSettings,
    Ticket,
    TicketSuggestion,
)
from ..selectors import (
    suggestion_solve_calibration,
    tickets_awaiting_category_review,
    tickets_awaiting_triage,
)
from .common import notification_send, ticket_event_record
from .masking import (
    known_names_learn,
    masking_context_for,
    terms_clean,
    text_mask,
    ticket_masked_copy,
)
from .routing import ticket_route

logger = logging.getLogger(__name__)

TITLE_MIN, TITLE_MAX = 3, 200
BODY_MAX = 50_000
MAX_ATTACHMENTS = 5
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
SUGGESTIONS_SHOWN = 3
# Magic bytes of the binary types we accept; anything else must be UTF-8 text.
IMAGE_AND_PDF_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
    b"%PDF-": "application/pdf",
}
TEXT_EXTENSIONS = {".txt", ".log", ".csv", ".json", ".xml", ".yaml", ".yml", ".md", ".ini", ".conf"}
ESCALATABLE = {
    Ticket.Status.NEW,
    Ticket.Status.TRIAGED,
    Ticket.Status.NEEDS_DETAIL,
    Ticket.Status.AI_SUGGESTED,
    Ticket.Status.NEEDS_EXPERT,
}
# Detail can be added while nobody has taken the ticket on: it changes what the model reads,
# so the ticket is triaged again. After escalation the expert's masked copy is fixed.
DETAIL_ADDABLE = {Ticket.Status.NEEDS_DETAIL, Ticket.Status.NEEDS_EXPERT}
# Until someone takes the ticket on (escalates, resolves or closes it), a triage chooses its
# next step. After that a person has decided, and a triage that arrives late (the first model
# became ready) only records what the model reads.
TRIAGE_DECIDES = frozenset(ESCALATABLE)
DETAIL_MAX = 10_000
SUBMIT_CHANNELS = ("web", "api", "email")


# ---------------------------------------------------------------- settings and taxonomy


def solution_settings_for(organization: Organization) -> SolutionSettings:
    settings, _ = SolutionSettings.objects.get_or_create(organization=organization)
    return settings


def solution_settings_update(
    *,
    organization: Organization,
    actor: User,
    auto_answer_threshold: float,
    categories: Sequence[str],
    masking_terms: Sequence[str] | None = None,
    precision_target: float | None = None,
) -> SolutionSettings:
    """`masking_terms` and `precision_target` are left as they are when None."""
    if not 0.0 <= auto_answer_threshold <= 1.0:
        raise ValidationError({"auto_answer_threshold": "Choose a value between 0 and 1."})
    if precision_target is not None and not (
        PRECISION_TARGET_MIN <= precision_target <= PRECISION_TARGET_MAX
    ):
        raise ValidationError(
            {
                "precision_target": f"Choose a precision target between "
                f"{PRECISION_TARGET_MIN:.0%} and {PRECISION_TARGET_MAX:.1%}."
            }
        )
    cleaned: list[str] = []
    for raw in categories:
        name = " ".join(raw.split())
        if not name:
            continue
        if len(name) > 100:
            raise ValidationError({"categories": f"“{name[:30]}…” is longer than 100 characters."})
        if name.lower() not in {c.lower() for c in cleaned}:
            cleaned.append(name)
    terms = terms_clean(masking_terms) if masking_terms is not None else None
    with transaction.atomic():
        settings = solution_settings_for(organization)
        settings.auto_answer_threshold = auto_answer_threshold
        settings.categories = cleaned
        if terms is not None:
            settings.masking_terms = terms
        if precision_target is not None:
            settings.precision_target = precision_target
        settings.save()
        audit_log_record(
            actor=actor,
            organization=organization,
            action="solutions.settings_updated",
            details={
                "auto_answer_threshold": auto_answer_threshold,
                "categories": len(cleaned),
                "masking_terms": len(settings.masking_terms),
                "precision_target": settings.precision_target,
            },
        )
    return settings


def organization_categories(organization: Organization) -> list[str]:
    """The taxonomy: the organization's own list, else the champion model's labels."""
    configured = solution_settings_for(organization).categories
    if configured:
        return list(configured)
    from ml.services import champion_of

    champion = champion_of(organization)
    return list((champion.label_sets or {}).get("category", [])) if champion else []


def organization_priorities(organization: Organization) -> list[str]:
    return list(DEFAULT_PRIORITIES)


# ---------------------------------------------------------------- submit and triage


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    content_type: str
    sha256: str


def attachments_check(files: Sequence[UploadedFile]) -> list[CheckedFile]:
    """The limits every upload path shares (ticket, conversation, e-mail): count, size, type."""
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": f"Attach at most {MAX_ATTACHMENTS} files."})
    checked = []
    for upload in files:
        name = upload.name or "file"
        if upload.size is None or upload.size == 0:
            raise ValidationError({"attachments": f"“{name}” is empty."})
        if upload.size > ATTACHMENT_MAX_BYTES:
            raise ValidationError(
                {"attachments": f"“{name}” is larger than {ATTACHMENT_MAX_BYTES // 2**20} MB."}
            )
        data = upload.read()
        upload.seek(0)
        content_type = next(
            (kind for magic, kind in IMAGE_AND_PDF_SIGNATURES.items() if data.startswith(magic)),
            None,
        )
        if content_type is None:
            suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if suffix not in TEXT_EXTENSIONS or b"\x00" in data:
                raise ValidationError(
                    {
                        "attachments": f"“{name}” is not an accepted type. Attach images (PNG, "
                        "JPEG, GIF), PDFs or text files (logs, CSV, JSON, …)."
                    }
                )
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError({"attachments": f"“{name}” is not UTF-8 text."}) from None
            content_type = "text/plain"
        checked.append(CheckedFile(upload, content_type, hashlib.sha256(data).hexdigest()))
    return checked


def attachments_store(
    *,
    ticket: Ticket,
    checked: Sequence[CheckedFile],
    uploaded_by: User | None,
    message: Any = None,
    created_at: datetime | None = None,
) -> None:
    """Stores checked files on the ticket (and on a conversation message when given)."""
    for item in checked:
        Attachment.objects.create(
            ticket=ticket,
            message=message,
            file=item.upload,
            original_name=(item.upload.name or "file")[:255],
            content_type=item.content_type,
            size=item.upload.size or 0,
            sha256=item.sha256,
            uploaded_by=uploaded_by,
            created_at=created_at or timezone.now(),
        )


def _validate_text(title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    errors: dict[str, str] = {}
    if len(title) < TITLE_MIN:
        errors["title"] = f"Give the ticket a title of at least {TITLE_MIN} characters."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title under {TITLE_MAX} characters."
    if not body:
        errors["body"] = "Describe the problem."
    elif len(body) > BODY_MAX:
        errors["body"] = (
            f"The description is {len(body):,} characters; the limit is {BODY_MAX:,}. "
            "Attach long logs as files instead."
        )
    if errors:
        raise ValidationError(errors)
    return title, body


def _require_billing_access(organization: Organization) -> None:
    """A canceled subscription, or one past its grace period, keeps data readable but takes
    no new work (tickets, escalations)."""
    access = billing.organization_access(organization)
    if not access.can_submit:
        raise ValidationError(access.banner or "The subscription does not allow new tickets.")


def ticket_submit(
    *,
    organization: Organization,
    author: User | None,
    title: str,
    body: str,
    attachments: Sequence[UploadedFile] = (),
    idempotency_record: IdempotencyRecord | None = None,
    channel: str = "web",
    requester: Contact | None = None,
    triage: bool = True,
) -> Ticket:
    """Stores the ticket (and its files) first, so nothing is lost if triage fails, then
    triages it and records the prediction, the suggestions and the next step. `channel` says
    where it came from (`SUBMIT_CHANNELS`: the page, the API, an e-mail) for the audit log.

    An e-mail's ticket has no `author` (no member submitted it) and its sender as `requester`.
    `triage=False` stores only: a caller that submits inside its own transaction (inbound
    e-mail, with the record of the message) triages after its commit (`ticket_submit_resume`),
    so a triage failure never takes the stored ticket with it.

    `idempotency_record` (an API request's Idempotency-Key) is linked to the ticket in the
    ticket's own transaction: a retry of a request that died after this commit finds the
    ticket (`ticket_submit_resume`) instead of submitting a second one."""
    if channel not in SUBMIT_CHANNELS:
        raise ValueError(f"Unknown submission channel {channel!r}")
    _require_billing_access(organization)
    title, body = _validate_text(title, body)
    checked = attachments_check(attachments)
    with transaction.atomic():
        # Serialise numbering per organization.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        number = (
            Ticket.objects.filter(organization=organization).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        ticket = Ticket.objects.create(
            organization=organization,
            author=author,
            number=number,
            title=title,
            body=body,
            channel=channel,
            requester=requester,
        )
        attachments_store(ticket=ticket, checked=checked, uploaded_by=author)
        ticket_event_record(
            ticket=ticket,
            actor=author,
            kind="submitted",
            message=(
                f"Received the ticket by e-mail from {requester.email}"
                if requester is not None
                else "Submitted the ticket"
            )
            + (f" with {len(checked)} attachment(s)" if checked else ""),
        )
        audit_log_record(
            actor=author,
            organization=organization,
            action="ticket.submitted",
            target=ticket,
            details={"channel": channel, "attachments": len(checked)},
        )
        if idempotency_record is not None:
            idempotency_link(record=idempotency_record, created=ticket)
        from ..tasks.tickets import ticket_names_learn_task, ticket_similar_open_task

        ticket_id = ticket.pk
        # Names the ticket announces (its signature, its greeting) are masked in every later
        # escalation of the organization; reading them is not on the submitter's clock, nor
        # is finding the open tickets it resembles (`ticket_similar_open_record`).
        transaction.on_commit(lambda: ticket_names_learn_task.delay(ticket_id))
        transaction.on_commit(lambda: ticket_similar_open_task.delay(ticket_id))
    return ticket_triage(ticket=ticket) if triage else ticket


def ticket_submit_resume(*, ticket: Ticket) -> Ticket:
    """The submission of `ticket` was cut short after it was stored (its request died):
    finishes what `ticket_submit` would have done, triage, unless that happened already."""
    if ticket.status == Ticket.Status.NEW:
        return ticket_triage(ticket=ticket)
    return ticket


@lru_cache(maxsize=2048)
def _indexed_text_sanitized(text: str) -> str:
    """`markdown_sanitize` of an indexed answer or passage (a pure function of the text): the
    same few hundred answers are suggested ticket after ticket, and sanitizing one costs
    about 2 ms, three or six times per triage."""
    return markdown_sanitize(text)


def ticket_triage(*, ticket: Ticket) -> Ticket:
    """Asks the organization's model about the ticket (held to the organization's precision
    target) and records what it said (`ticket_triage_record`)."""
    organization = ticket.organization
    solution_settings = solution_settings_for(organization)
    target = solution_settings.precision_target
    try:
        # triage_observed: expertdesk_triage_duration_seconds (docs/operations.md).
        [result] = triage_observed(
            ml_serving.triage,
            organization,
            [ticket.text],
            k=SUGGESTIONS_SHOWN,
            precision_target=target,
        )
    except Exception:
        # Serving already degrades to "unavailable"; this guards against anything else so a
        # ticket is never lost to a triage bug.
        logger.exception("Triage of ticket %s failed", ticket.pk)
        result = ml_serving.TriageResult(available=False, reason="artifact_error")
    return ticket_triage_record(
        ticket=ticket,
        result=result,
        precision_target=target,
        solution_settings=solution_settings,
    )


def ticket_triage_record(
    *,
    ticket: Ticket,
    result: ml_serving.TriageResult,
    precision_target: float,
    solution_settings: SolutionSettings | None = None,
) -> Ticket:
    """Stores a triage result on the ticket and takes the next step it calls for:

    - the text carries too little (`needs_detail`): the ticket waits for the requester, who
      is asked a follow-up question (timeline and a notification); nothing is suggested, and
      the category stays open unless a person chose it;
    - the model abstains (`abstained`, below its category's threshold for the precision
      target): the ticket needs an expert; suggestions are listed but none is proposed,
      however similar, because the model does not know what the ticket is about;
    - otherwise the best suggestion is proposed when its probability of solving the ticket
      reaches the auto-answer threshold, and the ticket needs an expert when it does not.

    Each suggestion's probability comes from its retrieval score through the organization's
    solve calibration (`selectors.suggestion_solve_calibration`: a fixed prior, then what its
    own "This solved it" / "Not helpful" clicks say). Before, the threshold was compared with
    the similarity; the prior maps a similarity of 0.6 to 0.6, so the default threshold keeps
    proposing about the same answers until feedback teaches the organization's own curve.

    A category or priority a person corrected is kept when a ticket is triaged again. A ticket
    someone has taken on since (`TRIAGE_DECIDES`) keeps its status, category, priority and
    suggestions: the model's reading is recorded beside them (`_triage_reading_record`).
    `solution_settings`: the organization's, when the caller has read them already."""
    organization = ticket.organization
    threshold = (solution_settings or solution_settings_for(organization)).auto_answer_threshold
    with transaction.atomic():
        # With what the timeline, the webhook and the notice read (one query, not three);
        # only the ticket's row is locked.
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("organization", "author")
            .get(pk=ticket.pk)
        )
        if ticket.status not in TRIAGE_DECIDES:
            if result.available:
                _triage_reading_record(ticket, result, precision_target=precision_target)
            return ticket
        if not result.available:
            ticket.triage_unavailable_reason = result.reason
            ticket.triage_outcome = Ticket.TriageOutcome.NONE
            ticket.follow_up_question = ""
            ticket.status = Ticket.Status.NEEDS_EXPERT
            ticket.save()
            ticket_event_record(
                ticket=ticket,
                actor=None,
                kind="triage_unavailable",
                message=ml_serving.UNAVAILABLE_MESSAGES.get(result.reason, "Triage unavailable.")
                + " The ticket needs an expert.",
            )
            return ticket
        outcome = _prediction_store(ticket, result, precision_target=precision_target)
        if not ticket.category_corrected:
            # Too little text to go on: a category would only be a guess, and experts are
            # matched by it, so a person (or the added detail) decides it.
            ticket.category = "" if result.needs_detail else ticket.predicted_category
        if not ticket.priority_corrected:
            ticket.priority = ticket.predicted_priority or "medium"
        ticket.suggestions.all().delete()
        # Answers retrieved for a text that says almost nothing are noise: none are shown.
        suggestions = [] if result.needs_detail else result.suggestions
        calibration = suggestion_solve_calibration(organization.pk)
        probabilities = [calibration.probability(s.score) for s in suggestions]
        best_score = suggestions[0].score if suggestions else 0.0
        best_probability = probabilities[0] if probabilities else 0.0
        proposes = (
            outcome == Ticket.TriageOutcome.CONFIDENT
            and bool(suggestions)
            and best_probability >= threshold
        )
        rows = []
        for rank, (suggestion, probability) in enumerate(
            zip(suggestions, probabilities, strict=True), start=1
        ):
            rows.append(
                TicketSuggestion(
                    ticket=ticket,
                    rank=rank,
                    source_kind=suggestion.source_kind,
                    source_key=suggestion.source_key,
                    title=suggestion.title[:300],
                    # A copy of an indexed answer (an article, an imported ticket's answer) that
                    # the page, the API and webhooks show: sanitized like every stored answer.
                    answer=_indexed_text_sanitized(suggestion.answer),
                    passage=_indexed_text_sanitized(
                        suggestion.passage or best_passage(suggestion.answer, ticket.text)
                    ),
                    score=suggestion.score,
                    probability=probability,
                    proposed=proposes and rank == 1,
                )
            )
        TicketSuggestion.objects.bulk_create(rows)  # one INSERT, not one per suggestion
        question = (
            follow_up_question(result.candidates, ticket.text)[:500] if result.needs_detail else ""
        )
        ticket.follow_up_question = question
        if result.needs_detail:
            ticket.status = Ticket.Status.NEEDS_DETAIL
        else:
            ticket.status = Ticket.Status.AI_SUGGESTED if proposes else Ticket.Status.NEEDS_EXPERT
        ticket.save()
        ticket_event_record(
            ticket=ticket,
            actor=None,
            kind="triaged",
            message=_triage_message(
                ticket,
                result,
                precision_target=precision_target,
                proposed_probability=best_probability if proposes else None,
            ),
            details={
                "best_score": best_score,
                "best_probability": best_probability,
                "calibrated": calibration.learned,
                "threshold": threshold,
                "outcome": outcome,
                "precision_target": precision_target,
                # The proposed answer is the requester's first response (first_response_at).
                "proposed": proposes,
            },
        )
        if question:
            ticket_event_record(
                ticket=ticket, actor=None, kind="detail_requested", message=question
            )
            if ticket.author is not None:
                # The requester may have left the page: the question reaches them in the app
                # and by e-mail, with the link to answer it.
                notification_send(
                    user=ticket.author,
                    organization=organization,
                    kind="detail_requested",
                    message=f"Ticket #{ticket.number} “{ticket.title}” needs more detail: "
                    f"{question}",
                    url=reverse("ticket_detail", args=[ticket.number]),
                )
    return ticket


def _prediction_store(
    ticket: Ticket, result: ml_serving.TriageResult, *, precision_target: float
) -> str:
    """Sets what the model read on the (locked, unsaved) ticket; returns the outcome."""
    if result.needs_detail:
        outcome = Ticket.TriageOutcome.NEEDS_DETAIL
    elif result.abstained:
        outcome = Ticket.TriageOutcome.ABSTAINED
    else:
        outcome = Ticket.TriageOutcome.CONFIDENT
    ticket.predicted_category = result.category or ""
    ticket.predicted_priority = result.priority or ""
    ticket.category_confidence = result.category_confidence
    ticket.priority_confidence = result.priority_confidence
    ticket.model_version_id = result.model_version_id
    ticket.triage_unavailable_reason = ""
    ticket.triage_outcome = outcome
    ticket.triage_candidates = _candidates_stored(result.candidates)
    ticket.triage_explanation = _explanation_stored(result.explanation)
    ticket.triage_precision_target = precision_target
    return outcome


def _triage_reading_record(
    ticket: Ticket, result: ml_serving.TriageResult, *, precision_target: float
) -> None:
    """A triage of a ticket someone has taken on since it arrived (escalated, claimed,
    answered, resolved, closed) while no model could read it: the prediction is stored, so
    the page shows what the model reads instead of "the model is still training", and the
    people's decisions stay. Nothing is proposed, nobody is asked for detail, and the expert
    working on it sees the same ticket."""
    _prediction_store(ticket, result, precision_target=precision_target)
    if ticket.triage_outcome == Ticket.TriageOutcome.NEEDS_DETAIL:
        # Nobody will be asked for detail now (people have the ticket in hand): of the
        # model's ways of not deciding, this is simply not being sure.
        ticket.triage_outcome = Ticket.TriageOutcome.ABSTAINED
    ticket.save()
    confidence = f"{round((result.category_confidence or 0) * 100)}%"
    ticket_event_record(
        ticket=ticket,
        actor=None,
        kind="triaged",
        message=f"Model v{result.model_version} is ready and read the ticket as "
        f"{ticket.predicted_category or '—'} ({confidence}), priority "
        f"{ticket.predicted_priority or '—'}. The ticket was already "
        f"{ticket.get_status_display().lower()}: its status, category and priority stay.",
        details={"outcome": ticket.triage_outcome, "precision_target": precision_target},
    )


TERMS_KEPT, NEIGHBOURS_KEPT = 12, 10


def _explanation_stored(explanation: dict[str, Any]) -> dict[str, Any]:
    """The explanation as plain JSON (the engine may hand NumPy floats), bounded in size.
    An entry that is malformed or not finite (PostgreSQL's jsonb refuses NaN) is left out
    rather than failing the ticket's triage."""
    terms = []
    for t in (explanation or {}).get("terms") or []:
        weight = _finite(t, "weight")
        if weight is not None and t.get("term"):
            terms.append({"term": str(t["term"])[:100], "weight": round(weight, 4)})
    neighbours = []
    for n in (explanation or {}).get("neighbours") or []:
        similarity = _finite(n, "similarity")
        if similarity is not None and n.get("key"):
            neighbours.append(
                {
                    "key": str(n["key"])[:120],
                    "label": str(n.get("label") or "")[:100],
                    "similarity": round(similarity, 4),
                    "title": str(n.get("title") or "")[:300],
                }
            )
    if not terms and not neighbours:
        return {}
    return {"terms": terms[:TERMS_KEPT], "neighbours": neighbours[:NEIGHBOURS_KEPT]}


def _candidates_stored(candidates: Sequence[tuple[str, float]]) -> list[list[Any]]:
    stored: list[list[Any]] = []
    for label, p in candidates:
        value = _finite({"p": p}, "p")
        if value is not None:
            stored.append([str(label), round(value, 4)])
    return stored


def _finite(entry: Any, name: str) -> float | None:
    try:
        value = float(entry[name])
    except (KeyError, TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def percent_text(value: float) -> str:
    """0.95 → "95%", 0.975 → "97.5%"."""
    return f"{value * 100:.1f}".removesuffix(".0") + "%"


def _triage_message(
    ticket: Ticket,
    result: ml_serving.TriageResult,
    *,
    precision_target: float,
    proposed_probability: float | None,
) -> str:
    """The timeline's line for a triage: what the model said, how sure it was and why."""
    category = ticket.predicted_category or "—"
    confidence = f"{round((result.category_confidence or 0) * 100)}%"
    runners_up = ", ".join(
        f"{label} {round(p * 100)}%"
        for label, p in ticket.triage_candidates[1:3]
        # A runner-up at 0% says nothing.
        if label != category and round(p * 100) > 0
    )
    others = f"; next {runners_up}" if runners_up else ""
    model = f"Model v{result.model_version}"
    if result.needs_detail:
        return (
            f"{model} could not triage it: the text carries too little to go on (best guess "
            f"{category} {confidence}{others}). Asked the requester for more detail."
        )
    if result.abstained:
        return (
            f"{model} is not sure: {category} at {confidence} is below what the "
            f"{percent_text(precision_target)} precision target needs{others}. No answer is "
            "proposed: it needs an expert."
        )
    pushing = [
        t["term"] for t in (ticket.triage_explanation.get("terms") or []) if t["weight"] > 0
    ][:3]
    because = (" because of " + ", ".join(f"“{t}”" for t in pushing)) if pushing else ""
    return (
        f"{model} triaged it as {category} ({confidence}){because}, priority "
        f"{ticket.predicted_priority or '—'}; "
        + (
            f"proposed an answer ({percent_text(round(proposed_probability, 2))} likely to "
            "solve it)."
            if proposed_probability is not None
            else "no answer is likely enough to solve it: it needs an expert."
        )
    )


def tickets_retriage_pending(*, organization: Organization) -> int:
    """Triages the tickets that could not be triaged when they arrived (no model yet, still
    training, a broken artifact): run when a champion is ready. One still waiting untouched
    gets the whole triage (an answer proposed, detail asked for); one taken on since keeps
    what people decided and gets the model's reading (`ticket_triage_record`)."""
    count = 0
    for ticket in tickets_awaiting_triage(organization).order_by("pk").iterator():
        if ticket_triage(ticket=ticket).triage_unavailable_reason:
            break  # still unavailable: the rest would fail the same way
        count += 1
    return count


def ticket_detail_add(
    *, ticket: Ticket, actor: User | None, detail: str, triage: bool = True
) -> Ticket:
    """The requester's answer to the follow-up question, or any detail added while nobody has
    taken the ticket on: appended to the description, then the ticket is triaged again on the
    fuller text (a person's category or priority correction stays). `actor` is None for a
    requester's e-mail; `triage=False` as for `ticket_submit` (the caller triages after its
    own transaction commits)."""
    _require_billing_access(ticket.organization)
    detail = (detail or "").strip()
    if not detail:
        raise ValidationError({"detail": "Write the detail to add."})
    if len(detail) > DETAIL_MAX:
        raise ValidationError({"detail": f"Keep the detail under {DETAIL_MAX:,} characters."})
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.status not in DETAIL_ADDABLE:
            raise ValidationError(
                f"The ticket is {ticket.get_status_display().lower()}; detail can only be added "
                "before it goes to an expert."
            )
        # Only the requester's words join the text the model reads: the question's own
        # words ("which network or VPN") would pull the new triage toward what was asked.
        body = f"{ticket.body}\n\n{detail}"
        if len(body) > BODY_MAX:
            raise ValidationError(
                {
                    "detail": f"With this detail the description would pass {BODY_MAX:,} "
                    "characters. Attach long logs as files instead."
                }
            )
        ticket.body = body
        ticket.save(update_fields=["body", "updated_at"])
        ticket_event_record(
            ticket=ticket,
            actor=actor,
            kind="detail_added",
            message=f"Added detail: {detail[:300]}" + ("…" if len(detail) > 300 else ""),
            details={"question": ticket.follow_up_question},
        )
        from ..tasks.tickets import ticket_names_learn_task

        ticket_id = ticket.pk
        # The detail may be signed with a name, as a new ticket may (see ticket_submit).
        transaction.on_commit(lambda: ticket_names_learn_task.delay(ticket_id))
    return ticket_triage(ticket=ticket) if triage else ticket


# ---------------------------------------------------------------- feedback and corrections


def suggestion_feedback(
    *, ticket: Ticket, actor: User, suggestion_id: int, solved: bool
) -> TicketSuggestion:
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        suggestion = ticket.suggestions.filter(pk=suggestion_id).first()
        if suggestion is None:
            raise ValidationError("That suggestion does not belong to this ticket.")
        if ticket.status not in (Ticket.Status.AI_SUGGESTED, Ticket.Status.NEEDS_EXPERT):
            raise ValidationError(
                f"The ticket is {ticket.get_status_display().lower()}; suggestions are closed."
            )
        if solved:
            suggestion.feedback = TicketSuggestion.Feedback.SOLVED
            suggestion.save(update_fields=["feedback"])
            ticket.status = Ticket.Status.RESOLVED
            ticket.resolution = Ticket.Resolution.AI
            ticket.resolved_at = timezone.now()
            ticket.save()
            Feedback.objects.create(
                organization=ticket.organization,
                ticket=ticket,
                actor=actor,
                kind=Feedback.Kind.SUGGESTION_ACCEPTED,
                category=ticket.category,
                priority=ticket.priority,
                answer=suggestion.answer,
                suggestion_key=suggestion.source_key,
            )
            billing.usage_record(
                organization=ticket.organization,
                kind="ai_answer",
                idempotency_key=f"org:{ticket.organization_id}:ticket:{ticket.pk}:ai_answer",
                ticket=ticket,
            )
            ticket_event_record(
                ticket=ticket,
                actor=actor,
                kind="resolved_by_suggestion",
                message=f"“{suggestion.title}” solved it.",
            )
            audit_log_record(
                actor=actor,
                organization=ticket.organization,
                action="ticket.suggestion_solved",
                target=ticket,
                details=_suggestion_details(suggestion),
            )
        else:
            suggestion.feedback = TicketSuggestion.Feedback.NOT_HELPFUL
            suggestion.save(update_fields=["feedback"])
            Feedback.objects.create(
                organization=ticket.organization,
                ticket=ticket,
                actor=actor,
                kind=Feedback.Kind.SUGGESTION_REJECTED,
                suggestion_key=suggestion.source_key,
            )
            if suggestion.proposed and ticket.status == Ticket.Status.AI_SUGGESTED:
                ticket.status = Ticket.Status.NEEDS_EXPERT
                ticket.save(update_fields=["status", "updated_at"])
            ticket_event_record(
                ticket=ticket,
                actor=actor,
                kind="suggestion_not_helpful",
                message=f"“{suggestion.title}” was not helpful.",
            )
            audit_log_record(
                actor=actor,
                organization=ticket.organization,
                action="ticket.suggestion_not_helpful",
                target=ticket,
                details=_suggestion_details(suggestion),
            )
    return suggestion


def _suggestion_details(suggestion: TicketSuggestion) -> dict[str, Any]:
    return {
        "suggestion": suggestion.title[:100],
        "source": suggestion.source_key,
        "probability": suggestion.probability,
    }


def ticket_correct(
    *,
    ticket: Ticket,
    actor: User,
    category: str | None = None,
    priority: str | None = None,
    via: str = "",
) -> Ticket:
    """A person's category or priority replaces the prediction and becomes a training label.
    `via` names the page it was decided on when that matters to a reader of the audit log
    (the model's Review queue)."""
    organization = ticket.organization
    errors: dict[str, str] = {}
    if category is not None:
        known = {c.lower(): c for c in organization_categories(organization)}
        if category.lower() not in known:
            errors["category"] = f"“{category}” is not one of this organization's categories" + (
                f" ({', '.join(known.values())})." if known else "."
            )
        else:
            category = known[category.lower()]
    if priority is not None and priority not in organization_priorities(organization):
        errors["priority"] = f"Choose one of: {', '.join(organization_priorities(organization))}."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        changes = []
        source = {"via": via} if via else {}
        if category is not None and category != ticket.category:
            changes.append(f"category {ticket.category or '—'} → {category}")
            audit_log_record(
                actor=actor,
                organization=organization,
                action="ticket.category_corrected",
                target=ticket,
                details={
                    "category": category,
                    "was": ticket.category,
                    "predicted": ticket.predicted_category,
                    "confidence": ticket.category_confidence,
                    "model_version_id": ticket.model_version_id,
                    **source,
                },
            )
            ticket.category, ticket.category_corrected = category, True
            Feedback.objects.create(
                organization=organization,
                ticket=ticket,
                actor=actor,
                kind=Feedback.Kind.CATEGORY_CORRECTED,
                category=category,
            )
        if priority is not None and priority != ticket.priority:
            changes.append(f"priority {ticket.priority or '—'} → {priority}")
            audit_log_record(
                actor=actor,
                organization=organization,
                action="ticket.priority_corrected",
                target=ticket,
                details={
                    "priority": priority,
                    "was": ticket.priority,
                    "predicted": ticket.predicted_priority,
                    **source,
                },
            )
            ticket.priority, ticket.priority_corrected = priority, True
            Feedback.objects.create(
                organization=organization,
                ticket=ticket,
                actor=actor,
                kind=Feedback.Kind.PRIORITY_CORRECTED,
                priority=priority,
            )
        if changes:
            ticket.save()
            ticket_event_record(
                ticket=ticket,
                actor=actor,
                kind="corrected",
                message="Corrected " + ", ".join(changes),
            )
    return ticket


def ticket_category_confirm(*, ticket: Ticket, actor: User, via: str = "") -> Ticket:
    """A person says the ticket's category, as the model predicted it, is right: from now on it
    is a training label (solutions/labels.py), and the ticket is not marked corrected."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if not ticket.category:
            raise ValidationError("The ticket has no category to confirm.")
        Feedback.objects.create(
            organization=ticket.organization,
            ticket=ticket,
            actor=actor,
            kind=Feedback.Kind.CATEGORY_CONFIRMED,
            category=ticket.category,
        )
        ticket_event_record(
            ticket=ticket,
            actor=actor,
            kind="category_confirmed",
            message=f"Confirmed the category {ticket.category}",
        )
        audit_log_record(
            actor=actor,
            organization=ticket.organization,
            action="ticket.category_confirmed",
            target=ticket,
            details={
                "category": ticket.category,
                "predicted": ticket.predicted_category,
                "confidence": ticket.category_confidence,
                "model_version_id": ticket.model_version_id,
                **({"via": via} if via else {}),
            },
        )
    return ticket


def ticket_category_review(*, ticket: Ticket, actor: User, category: str) -> bool:
    """The model page's Review queue: an owner or admin says what a ticket the model was unsure
    about really is. `category` equal to the ticket's is a confirmation, any other of the
    organization's categories a correction (`ticket_correct`). Returns True for a correction.

    Refused once a person has decided the ticket's category (an earlier review, a correction
    on the ticket page, a resolution), so two reviewers working from stale pages never
    overwrite each other; the ticket page can still correct it."""
    organization = ticket.organization
    if not organization.memberships.filter(user=actor, role__in=MANAGER_ROLES).exists():
        raise PermissionDenied("Only owners and admins can review the model's predictions.")
    known = {c.lower(): c for c in organization_categories(organization)}
    chosen = known.get(category.strip().lower())
    if chosen is None:
        raise ValidationError(
            {"category": f"“{category[:100]}” is not one of this organization's categories."}
        )
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if not tickets_awaiting_category_review(organization).filter(pk=locked.pk).exists():
            raise ValidationError(
                f"#{locked.number} is not waiting for a review: its category "
                f"({locked.category or 'none'}) was already decided by a person; change it on "
                "the ticket's page if it is wrong."
            )
        corrected = chosen != locked.category
        # Both write the audit row, marked as decided in the Review queue.
        if corrected:
            ticket_correct(ticket=locked, actor=actor, category=chosen, via="review")
        else:
            ticket_category_confirm(ticket=locked, actor=actor, via="review")
    return corrected


# ---------------------------------------------------------------- escalation


def escalation_price_cents(ticket: Ticket) -> int:
    return billing.expert_answer_price_cents(
        organization=ticket.organization, priority=ticket.priority or "medium"
    )


def ticket_escalate(
    *,
    ticket: Ticket,
    actor: User,
    confirmed_price_cents: int,
    masking_terms: Sequence[str] = (),
) -> Ticket:
    """Sends the ticket to the experts' queue at the price the agent confirmed, with the price
    reserved against the spend cap (refused with SpendCapExceeded when the cap can't cover
    it: no expert works for an answer that can't be paid). Experts only ever see the masked
    copy made here, which also hides `masking_terms`."""
    _require_billing_access(ticket.organization)
    terms = terms_clean(masking_terms)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.status not in ESCALATABLE:
            raise ValidationError(
                f"The ticket is {ticket.get_status_display().lower()}; it can't be escalated."
            )
        if not ticket.category:
            raise ValidationError("Choose a category first: experts are matched by category.")
        price = escalation_price_cents(ticket)
        if price != confirmed_price_cents:
            raise ValidationError(
                "The price changed since you looked (the priority or the plan changed). "
                "Check the new price and confirm again."
            )
        organization = ticket.organization
        hold = billing.spend_hold_place(
            organization=organization, ticket_id=ticket.pk, amount_cents=price
        )
        ticket.masking_terms = terms
        copy = ticket_masked_copy(ticket=ticket)
        ticket.masked_title = copy.title
        ticket.masked_body = copy.body
        ticket.expert_price_cents = price
        ticket.expert_net_cents = billing.expert_pay(
            gross_cents=price, commission_bps=hold.commission_bps
        ).net_cents
        ticket.status = Ticket.Status.ESCALATED
        ticket.escalated_at = timezone.now()
        ticket.priority = ticket.priority or "medium"
        ticket.save()
        known_names_learn(organization=organization, names=copy.found_names, ticket=ticket)
        ticket_event_record(
            ticket=ticket,
            actor=actor,
            kind="escalated",
            message=f"Escalated to an expert at ${price / 100:,.2f} (reserved against the "
            "spend cap until the answer is accepted).",
            details={"price_cents": price, "masked": copy.counts},
        )
        audit_log_record(
            actor=actor,
            organization=organization,
            action="ticket.escalated",
            target=ticket,
            details={"price_cents": price, "masking_terms": len(terms)},
        )
        # Offered first to the best-matching experts (reputation routing), if any qualify.
        ticket_route(ticket=ticket)
    return ticket


def _released_note(released_cents: int) -> str:
    """The end of a timeline line that says what a released spend hold freed."""
    if not released_cents:
        return "."
    return f"; ${released_cents / 100:,.2f} reserved for an expert is free again."


def ticket_withdraw(*, ticket: Ticket, actor: User) -> Ticket:
    """Takes an escalated ticket that no expert has claimed back from the queue; the price it
    reserved is released."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.status != Ticket.Status.ESCALATED:
            raise ValidationError(
                "Only a ticket waiting in the experts' queue can be withdrawn"
                + (
                    "; an expert is working on it."
                    if ticket.status == Ticket.Status.CLAIMED
                    else "."
                )
            )
        released = billing.spend_hold_release(
            organization=ticket.organization, ticket_id=ticket.pk, reason="withdrawn"
        )
        ticket.status = Ticket.Status.NEEDS_EXPERT
        ticket.save(update_fields=["status", "updated_at"])
        ticket_event_record(
            ticket=ticket,
            actor=actor,
            kind="withdrawn",
            message="Withdrew the ticket from the experts' queue" + _released_note(released),
        )
        audit_log_record(
            actor=actor,
            organization=ticket.organization,
            action="ticket.withdrawn",
            target=ticket,
            details={"released_cents": released},
        )
    return ticket


# ---------------------------------------------------------------- closing the loop


def expert_answer_accept(
    *, ticket: Ticket, actor: User, answer_id: int, score: int, comment: str = ""
) -> ExpertAnswer:
    """Accepts and rates the expert's answer: resolves the ticket, turns the price reserved at
    escalation into the charge, credits the expert (net of the commission fixed then), keeps
    the answer as a (masked) knowledge article and a training label."""
    if not 1 <= int(score) <= 5:
        raise ValidationError({"score": "Rate the answer from 1 to 5."})
    if len(comment) > 2000:
        raise ValidationError({"comment": "Keep the comment under 2,000 characters."})
    return _answer_accept(
        ticket_id=ticket.pk, actor=actor, answer_id=answer_id, score=int(score), comment=comment
    )


def answer_charge_key(answer: ExpertAnswer) -> str:
    """The idempotency key of the charge for an accepted answer (a usage row)."""
    org_id = answer.ticket.organization_id
    return f"org:{org_id}:ticket:{answer.ticket_id}:expert_answer:{answer.pk}"


def answer_earning_key(answer: ExpertAnswer) -> str:
    """The idempotency key of the expert's earning for an accepted answer."""
    org_id = answer.ticket.organization_id
    return f"org:{org_id}:ticket:{answer.ticket_id}:expert_earning:{answer.pk}"


DISPUTED = (
    "This answer is disputed: platform staff decide whether it is paid or refunded, so it "
    "can't be accepted or followed up until then."
)


def _open_dispute(answer: ExpertAnswer) -> bool:
    return Dispute.objects.filter(answer=answer, status=Dispute.Status.OPEN).exists()


def expert_answer_accept_upheld(*, ticket_id: int, answer_id: int) -> ExpertAnswer:
    """Platform staff upheld a dispute of an answer the customer had not accepted: it is
    accepted as an automatic acceptance would be (unrated: charge, earning after the hold,
    knowledge article); the dispute decision writes the audit row."""
    return _answer_accept(
        ticket_id=ticket_id, actor=None, answer_id=answer_id, score=None, upheld=True
    )


def _answer_accept(
    *,
    ticket_id: int,
    actor: User | None,
    answer_id: int,
    score: int | None,
    comment: str = "",
    upheld: bool = False,
) -> ExpertAnswer:
    """Accepting by the customer (with a rating), automatically (`score` None), or after a
    dispute was decided for the expert (`upheld`)."""
    from .knowledge import article_create

    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        answer = ticket.answers.select_related("expert").filter(pk=answer_id).first()
        if answer is None:
            raise ValidationError("That answer does not belong to this ticket.")
        if (
            ticket.status != Ticket.Status.ANSWERED
            or answer.status != ExpertAnswer.Status.SUBMITTED
        ):
            raise ValidationError("This answer can no longer be accepted.")
        if not upheld and _open_dispute(answer):
            raise ValidationError(DISPUTED)
        now = timezone.now()
        automatic = score is None
        answer.status = ExpertAnswer.Status.ACCEPTED
        answer.accepted_at = now
        answer.auto_accepted = automatic
        answer.save(update_fields=["status", "accepted_at", "auto_accepted"])
        if score is not None:
            Rating.objects.create(answer=answer, rater=actor, score=score, comment=comment.strip())
            ExpertProfile.objects.filter(user=answer.expert).update(
                rating_sum=F("rating_sum") + score, rating_count=F("rating_count") + 1
            )
        ticket.status = Ticket.Status.RESOLVED
        ticket.resolution = Ticket.Resolution.EXPERT
        ticket.resolved_at = now
        ticket.save()
        organization = ticket.organization
        Feedback.objects.create(
            organization=organization,
            ticket=ticket,
            actor=actor,
            kind=Feedback.Kind.EXPERT_ANSWER,
            category=ticket.category,
            priority=ticket.priority,
            answer=answer.body,
        )
        if score is not None:
            Feedback.objects.create(
                organization=organization,
                ticket=ticket,
                actor=actor,
                kind=Feedback.Kind.RATING,
                score=score,
            )
        charge = billing.spend_hold_charge(
            organization=organization,
            ticket_id=ticket.pk,
            unit_price_cents=answer.price_cents,
            idempotency_key=answer_charge_key(answer),
        )
        billing.expert_earning_record(
            expert=answer.expert,
            organization=organization,
            gross_cents=answer.price_cents,
            idempotency_key=answer_earning_key(answer),
            ticket_id=ticket.pk,
            # A customer's acceptance carries a 1–5 rating; an automatic one waits out the
            # earnings hold before it can be paid out.
            rated=not automatic,
            # The commission fixed with the expert's claim (their tier) wins; claims made
            # before tiers keep the one fixed at escalation.
            commission_bps=(
                answer.claim.commission_bps
                if answer.claim.commission_bps is not None
                else charge.commission_bps
            ),
        )
        context = masking_context_for(organization=organization, ticket=ticket)
        article_create(
            organization=organization,
            actor=actor,
            title=(ticket.masked_title or text_mask(ticket.title, context).text)[:200],
            # The expert's Markdown as written, masked; the article keeps it as its source and
            # stores it sanitized, as every article body.
            body=text_mask(answer.body_source or answer.body, context).text,
            category=ticket.category,
            source="expert_answer",
            source_ticket=ticket,
        )
        if not upheld:
            audit_log_record(
                actor=actor,
                organization=organization,
                action="ticket.answer_auto_accepted" if automatic else "ticket.answer_rated",
                target=ticket,
                details={
                    "answer_id": answer.pk,
                    "expert": answer.expert.display_name,
                    "price_cents": answer.price_cents,
                    **({"days": auto_accept_days()} if automatic else {"score": score}),
                },
            )
        if upheld:
            ticket_event_record(
                ticket=ticket,
                actor=None,
                kind="answer_accepted_after_dispute",
                message="The expert's answer was accepted: platform staff decided the dispute "
                "for the expert.",
            )
            message = f"Your answer to “{ticket.masked_title}” was accepted after the dispute."
        elif automatic:
            days = auto_accept_days()
            ticket_event_record(
                ticket=ticket,
                actor=None,
                kind="answer_auto_accepted",
                message=f"The expert's answer was accepted automatically: nobody accepted it or "
                f"asked a follow-up within {days} days.",
            )
            message = (
                f"Your answer to “{ticket.masked_title}” was accepted automatically after "
                f"{days} days without a reply from the customer."
            )
        else:
            ticket_event_record(
                ticket=ticket,
                actor=actor,
                kind="answer_accepted",
                message=f"Accepted the expert's answer and rated it {score}/5.",
            )
            message = f"Your answer to “{ticket.masked_title}” was accepted and rated {score}/5."
        notification_send(
            user=answer.expert, kind="answer_accepted", message=message, url="/experts/claims/"
        )
    return answer


def auto_accept_days() -> int:
    return int(django_settings.EXPERT_ANSWER_AUTO_ACCEPT_DAYS)


def answers_auto_accept_due(now: datetime | None = None) -> int:
    """Answers the customer neither accepted nor followed up on within
    EXPERT_ANSWER_AUTO_ACCEPT_DAYS are accepted (unrated) and paid: an expert's work is never
    left unpaid because nobody looked at it. Each in its own transaction."""
    cutoff = (now or timezone.now()) - timedelta(days=auto_accept_days())
    # A disputed answer waits for the staff's decision (`_answer_accept` refuses it too, should
    # a dispute open after this query).
    due = (
        ExpertAnswer.objects.filter(
            status=ExpertAnswer.Status.SUBMITTED,
            ticket__status=Ticket.Status.ANSWERED,
            created_at__lte=cutoff,
        )
        .exclude(dispute__status=Dispute.Status.OPEN)
        .values_list("ticket_id", "pk")
    )
    accepted = 0
    for ticket_id, answer_id in list(due):
        try:
            _answer_accept(ticket_id=ticket_id, actor=None, answer_id=answer_id, score=None)
        except ValidationError:
            continue  # accepted or followed up on since the query above
        accepted += 1
    return accepted


def ticket_reopen(*, ticket: Ticket, actor: User, answer_id: int, follow_up: str) -> Ticket:
    """Once per ticket: the answer did not solve it; the follow-up goes back to the queue
    (masked), the answering expert is told."""
    follow_up = (follow_up or "").strip()
    if len(follow_up) < 10:
        raise ValidationError({"follow_up": "Say what is still wrong (at least 10 characters)."})
    if len(follow_up) > 10_000:
        raise ValidationError({"follow_up": "Keep the follow-up under 10,000 characters."})
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        answer = ticket.answers.select_related("expert").filter(pk=answer_id).first()
        if answer is None or answer.status != ExpertAnswer.Status.SUBMITTED:
            raise ValidationError("That answer can't be followed up.")
        if _open_dispute(answer):
            raise ValidationError(DISPUTED)
        if ticket.status != Ticket.Status.ANSWERED:
            raise ValidationError("Only an answered ticket can be reopened.")
        if ticket.reopen_count >= 1:
            raise ValidationError("A ticket can be reopened once; rate the answer instead.")
        answer.status = ExpertAnswer.Status.REOPENED
        answer.follow_up = follow_up
        answer.save(update_fields=["status", "follow_up"])
        ticket.reopen_count += 1
        context = masking_context_for(organization=ticket.organization, ticket=ticket)
        ticket.masked_body = (
            f"{ticket.masked_body}\n\n---\nFollow-up after a first answer:\n"
            f"{text_mask(follow_up, context).text}"
            f"\n\nPrevious answer:\n{text_mask(answer.body, context).text}"
        )
        # Back in the experts' queue (the state machine's "reopened" leg ends there).
        ticket.status = Ticket.Status.ESCALATED
        ticket.assignee = None
        ticket.sla_due_at = None
        ticket.sla_warned_at = None
        ticket.escalated_at = timezone.now()
        ticket.save()
        ticket_event_record(
            ticket=ticket,
            actor=actor,
            kind="reopened",
            message="Reopened with a follow-up; the ticket is back in the experts' queue.",
        )
        notification_send(
            user=answer.expert,
            kind="answer_reopened",
            message=f"The customer asked a follow-up on “{ticket.masked_title}”.",
            url="/experts/queue/",
        )
        ticket_route(ticket=ticket)
    return ticket


def ticket_close(*, ticket: Ticket, actor: User) -> Ticket:
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.status == Ticket.Status.CLOSED:
            return ticket
        if ticket.status in (Ticket.Status.CLAIMED, Ticket.Status.ANSWERED):
            raise ValidationError(
                "An expert is working on this ticket; accept or follow up on the answer first."
            )
        released = billing.spend_hold_release(
            organization=ticket.organization, ticket_id=ticket.pk, reason="closed"
        )
        ticket.status = Ticket.Status.CLOSED
        ticket.save(update_fields=["status", "updated_at"])
        ticket_event_record(
            ticket=ticket,
            actor=actor,
            kind="closed",
            message="Closed the ticket" + _released_note(released),
        )
    return ticket
