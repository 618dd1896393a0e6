"""What an outside expert sees of a ticket: the masked copy, with everything the organization
knows about whose data is in it.

`solutions.masking` finds personal and secret data by its shape and by what the text says
around it. This module adds what only the platform knows: the names of the organization's
members and of the ticket's author (also as first name or surname alone), names that earlier
tickets of the organization announced (in signatures and greetings, kept as `KnownName`), and
words the organization or the person escalating asked to hide. Every copy an expert sees — the
ticket at escalation, a follow-up, the knowledge article made from an accepted answer — is made
here with the same context."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Membership, Organization, User

from ..masking import Masked, mask
from ..masking.gazetteer import fold, is_first_name
from ..models import KnownName, SolutionSettings, Ticket

TERMS_MAX = 100
TERM_MIN_LENGTH, TERM_MAX_LENGTH = 2, 100
KNOWN_NAMES_MAX = 10_000  # per organization; beyond it nothing more is learned
# Mailbox names that are roles, not people: "it.support@" says nothing about a person.
_ROLE_MAILBOXES = frozenset(
    """
    admin administrator it support helpdesk help servicedesk service info office noreply
    no-reply mail contact team sales billing finance hr security ops devops root postmaster
    """.split()
)
_LOCAL_PART_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class MaskingContext:
    known_names: tuple[str, ...]
    extra_terms: tuple[str, ...]


def _names_of(user: User) -> list[str]:
    """A user's name as the profile has it, and as the mailbox spells it ("priya.raman@")."""
    full = (user.full_name or " ".join(p for p in (user.first_name, user.last_name) if p)).strip()
    return _person_names(full, user.email or "")


def _person_names(full: str, email: str) -> list[str]:
    names = []
    if full:
        names.append(full)
    local = email.split("@", 1)[0]
    words = _LOCAL_PART_WORD.findall(local)
    if len(words) >= 2 and not any(word.lower() in _ROLE_MAILBOXES for word in words):
        names.append(" ".join(word.capitalize() for word in words))
    return names


def terms_clean(raw: Iterable[str]) -> list[str]:
    """Validated words to hide: trimmed, de-duplicated (any case), 2–100 characters each."""
    cleaned: list[str] = []
    seen: set[str] = set()
    for item in raw:
        term = " ".join(str(item).split())
        if not term:
            continue
        if not TERM_MIN_LENGTH <= len(term) <= TERM_MAX_LENGTH:
            raise ValidationError(
                {
                    "masking_terms": f"“{term[:30]}” is too short or too long: words to hide have "
                    f"{TERM_MIN_LENGTH} to {TERM_MAX_LENGTH} characters."
                }
            )
        if fold(term) not in seen:
            seen.add(fold(term))
            cleaned.append(term)
    if len(cleaned) > TERMS_MAX:
        raise ValidationError({"masking_terms": f"List at most {TERMS_MAX} words to hide."})
    return cleaned


def masking_context_for(
    *, organization: Organization, ticket: Ticket | None = None, extra_terms: Sequence[str] = ()
) -> MaskingContext:
    names: list[str] = []
    members = User.objects.filter(
        pk__in=Membership.objects.filter(organization=organization).values("user_id")
    ).only("full_name", "first_name", "last_name", "email")
    for member in members:
        names += _names_of(member)
    if ticket is not None and ticket.author is not None:
        names += _names_of(ticket.author)
    if ticket is not None and ticket.requester is not None:
        # An e-mail ticket's sender is no member: their name (From: "Jin Chen") and mailbox
        # are masked like the author's.
        names += _person_names(ticket.requester.name.strip(), ticket.requester.email)
    names += KnownName.objects.filter(organization=organization).values_list("name", flat=True)
    settings = SolutionSettings.objects.filter(organization=organization).first()
    terms = [
        *(settings.masking_terms if settings else []),
        *(ticket.masking_terms if ticket is not None else []),
        *extra_terms,
    ]
    return MaskingContext(known_names=tuple(dict.fromkeys(names)), extra_terms=tuple(terms))


def text_mask(text: str, context: MaskingContext) -> Masked:
    return mask(text, known_names=context.known_names, extra_terms=context.extra_terms)


@dataclass(frozen=True)
class MaskedCopy:
    title: str
    body: str
    counts: dict[str, int]
    found_names: tuple[str, ...]


def ticket_masked_copy(
    *, ticket: Ticket, extra_terms: Sequence[str] = (), context: MaskingContext | None = None
) -> MaskedCopy:
    """The title and body as an expert will see them."""
    context = context or masking_context_for(
        organization=ticket.organization, ticket=ticket, extra_terms=extra_terms
    )
    title = text_mask(ticket.title, context)
    body = text_mask(ticket.body, context)
    counts = dict(title.counts)
    for kind, count in body.counts.items():
        counts[kind] = counts.get(kind, 0) + count
    return MaskedCopy(
        # The title column holds 200 characters; a placeholder may make it longer.
        title=title.text[:200],
        body=body.text,
        counts=counts,
        found_names=tuple(dict.fromkeys((*title.found_names, *body.found_names))),
    )


def known_names_learn(
    *, organization: Organization, names: Iterable[str], ticket: Ticket | None = None
) -> int:
    """Keeps names a ticket announced so later tickets mask them anywhere. Only names that
    start with a first name of the gazetteer are kept: a signature rule that took a product
    for a person must not teach the organization to hide that product everywhere."""
    learned = 0
    for raw in names:
        name = " ".join(raw.split())[:100]
        words = name.split()
        if not words or len(name) < 3 or not is_first_name(words[0]):
            continue
        if KnownName.objects.filter(organization=organization).count() >= KNOWN_NAMES_MAX:
            break
        try:
            with transaction.atomic():  # a savepoint: a concurrent learner may insert it first
                _, created = KnownName.objects.get_or_create(
                    organization=organization,
                    key=fold(name),
                    defaults={"name": name, "source": KnownName.Source.FOUND, "ticket": ticket},
                )
        except IntegrityError:
            created = False
        learned += created
    return learned


def known_name_forget(*, organization: Organization, actor: User, name_id: int) -> bool:
    """Removes a learned name (an owner saw it is not a person's). Owners and admins only."""
    from accounts.models import Role
    from accounts.services import audit_log_record

    if not Membership.objects.filter(
        organization=organization, user=actor, role__in=[Role.OWNER, Role.ADMIN]
    ).exists():
        raise PermissionDenied("Only owners and admins can change what is masked.")
    with transaction.atomic():
        known = KnownName.objects.filter(organization=organization, pk=name_id).first()
        if known is None:
            return False
        audit_log_record(
            actor=actor,
            organization=organization,
            action="masking.name_forgotten",
            details={"name_id": name_id},
        )
        known.delete()
    return True


def ticket_names_learn(*, ticket_id: int) -> int:
    """Reads a submitted ticket for the names it announces (signature, greeting, prose)."""
    ticket = Ticket.objects.select_related("organization", "author").filter(pk=ticket_id).first()
    if ticket is None:
        return 0
    copy = ticket_masked_copy(ticket=ticket)
    return known_names_learn(
        organization=ticket.organization, names=copy.found_names, ticket=ticket
    )
