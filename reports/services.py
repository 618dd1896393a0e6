"""The satisfaction survey's writes: opened at resolution, e-mailed by a sweep, rated by one
click on a signed link (docs/reports.md, "Satisfaction").

A link carries `signing.dumps({"s": survey, "v": score})` (salted, timestamped): nothing to
store, nothing to guess, and it expires after SATISFACTION_LINK_MAX_AGE_DAYS. The first click
records the score; later clicks, on any of the five links, change nothing and say what was
recorded (single use: a mail scanner or a second click can't rewrite an answer)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from solutions.selectors.reports import tickets_resolved_for_survey
from solutions.services.common import ticket_event_record

from .models import SatisfactionSurvey

logger = logging.getLogger(__name__)

SALT = "reports.satisfaction"
SCORES = (1, 2, 3, 4, 5)
SCORE_WORDS = {1: "Very poor", 2: "Poor", 3: "OK", 4: "Good", 5: "Excellent"}


class SurveyLinkInvalid(Exception):
    """The link was altered, or names no survey."""


class SurveyLinkExpired(Exception):
    """The link is genuine but older than SATISFACTION_LINK_MAX_AGE_DAYS."""


def link_max_age() -> timedelta:
    return timedelta(days=int(settings.SATISFACTION_LINK_MAX_AGE_DAYS))


def survey_open(*, ticket_id: int) -> SatisfactionSurvey | None:
    """Opens the survey of a just-resolved ticket for its requester (the e-mail contact it
    came from) or else its author; None when neither has an e-mail address, or the ticket has
    its survey already (one per ticket)."""
    ticket = tickets_resolved_for_survey(ticket_id=ticket_id)
    if ticket is None:
        return None
    recipient, email = None, ""
    if ticket.requester is not None and ticket.requester.email:
        email = ticket.requester.email
    elif ticket.author is not None and ticket.author.email:
        recipient, email = ticket.author, ticket.author.email
    if not email:
        return None
    try:
        # A savepoint: a concurrent twin losing the unique race must not break the
        # resolution's transaction.
        with transaction.atomic():
            survey, created = SatisfactionSurvey.objects.get_or_create(
                ticket=ticket,
                defaults={
                    "organization": ticket.organization,
                    "recipient": recipient,
                    "email": email,
                    "resolver": ticket.resolution,
                },
            )
    except IntegrityError:
        return None
    return survey if created else None


def survey_token(survey: SatisfactionSurvey, score: int) -> str:
    return signing.dumps({"s": survey.pk, "v": score}, salt=SALT)


def survey_links(survey: SatisfactionSurvey) -> list[tuple[int, str, str]]:
    """(score, words, absolute URL) for each of the five one-click links."""
    site = settings.SITE_URL.rstrip("/")
    return [
        (
            score,
            SCORE_WORDS[score],
            site + reverse("satisfaction_rate", kwargs={"token": survey_token(survey, score)}),
        )
        for score in SCORES
    ]


def surveys_send(*, now: datetime | None = None) -> int:
    """E-mails every survey not sent yet (opened within the links' lifetime); returns how
    many went out. Each is marked sent before its mail leaves, so two sweeps never send one
    twice; a failed send is unmarked and retried by the next sweep."""
    now = now or timezone.now()
    pending = list(
        SatisfactionSurvey.objects.filter(
            sent_at__isnull=True, created_at__gte=now - link_max_age()
        )
        .select_related("ticket", "organization")
        .order_by("created_at", "pk")[:500]
    )
    sent = 0
    for survey in pending:
        claimed = SatisfactionSurvey.objects.filter(pk=survey.pk, sent_at__isnull=True).update(
            sent_at=now
        )
        if not claimed:
            continue
        try:
            _survey_email(survey).send()
        except Exception:
            logger.exception("Could not e-mail the satisfaction survey %s", survey.pk)
            SatisfactionSurvey.objects.filter(pk=survey.pk).update(sent_at=None)
            continue
        sent += 1
    return sent


def _survey_email(survey: SatisfactionSurvey) -> EmailMultiAlternatives:
    context = {
        "survey": survey,
        "ticket": survey.ticket,
        "organization": survey.organization,
        "links": survey_links(survey),
        "days": link_max_age().days,
    }
    subject = f"[Expertdesk] How did we do on #{survey.ticket.number} “{survey.ticket.title}”?"
    mail = EmailMultiAlternatives(
        subject=subject[:200],
        body=render_to_string("reports/email/survey.txt", context),
        to=[survey.email],
    )
    mail.attach_alternative(render_to_string("reports/email/survey.html", context), "text/html")
    return mail


@dataclass(frozen=True)
class RatingOutcome:
    survey: SatisfactionSurvey
    score: int  # the recorded score (the first click's)
    recorded_now: bool


def survey_rate(*, token: str) -> RatingOutcome:
    """Records the score a link carries, once. Raises SurveyLinkInvalid (altered, unknown) or
    SurveyLinkExpired."""
    try:
        data = signing.loads(token, salt=SALT, max_age=link_max_age())
    except signing.SignatureExpired as exc:
        raise SurveyLinkExpired from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise SurveyLinkInvalid from exc
    if not isinstance(data, dict):
        raise SurveyLinkInvalid
    survey_id, score = data.get("s"), data.get("v")
    if type(survey_id) is not int or type(score) is not int or score not in SCORES:
        raise SurveyLinkInvalid
    with transaction.atomic():
        survey = (
            SatisfactionSurvey.objects.select_for_update()
            .select_related("ticket", "organization")
            .filter(pk=survey_id)
            .first()
        )
        if survey is None:
            raise SurveyLinkInvalid
        if survey.score is not None:
            return RatingOutcome(survey=survey, score=survey.score, recorded_now=False)
        survey.score = score
        survey.rated_at = timezone.now()
        survey.save(update_fields=["score", "rated_at"])
        ticket_event_record(
            ticket=survey.ticket,
            actor=None,
            kind="satisfaction_rated",
            message=f"The requester rated the resolution {score}/5 ({SCORE_WORDS[score]}) in "
            "the satisfaction survey.",
            details={"score": score},
        )
    return RatingOutcome(survey=survey, score=score, recorded_now=True)
