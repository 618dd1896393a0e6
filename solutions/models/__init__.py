"""Tickets, their triage and timeline, the knowledge base, experts, claims, answers, ratings,
feedback and notifications: a module per domain, every model re-exported here so that
`solutions.models.Ticket` (and the app label `solutions`) stay what migrations and other apps
know. Data and invariants only; every change goes through services."""

from .conversations import TicketMessage
from .disputes import Dispute
from .experts import Claim, ExpertAnswer, ExpertProfile, Rating, TicketOffer
from .knowledge import KnowledgeArticle
from .requesters import Contact
from .tickets import (
    DEFAULT_PRIORITIES,
    PRECISION_TARGET_MAX,
    PRECISION_TARGET_MIN,
    PRIORITY_RANK,
    Attachment,
    Feedback,
    KnownName,
    Notification,
    SolutionSettings,
    Ticket,
    TicketEvent,
    TicketSuggestion,
    attachment_upload_to,
)

__all__ = [
    "DEFAULT_PRIORITIES",
    "PRECISION_TARGET_MAX",
    "PRECISION_TARGET_MIN",
    "PRIORITY_RANK",
    "Attachment",
    "Claim",
    "Contact",
    "Dispute",
    "ExpertAnswer",
    "ExpertProfile",
    "Feedback",
    "KnowledgeArticle",
    "KnownName",
    "Notification",
    "Rating",
    "SolutionSettings",
    "Ticket",
    "TicketEvent",
    "TicketMessage",
    "TicketOffer",
    "TicketSuggestion",
    "attachment_upload_to",
]
