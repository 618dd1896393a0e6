"""The audit log in words. Services write rows with an action code (`kb.article_created`);
people read sentences ("Olivia Owner wrote the knowledge article “VPN setup”"). Every code a
service writes has its sentence here, in one place, so the audit log page and the dashboard's
recent activity say the same thing; a code without one (an app added it and this table
lags behind) still reads as words, never as the code.

Accounts owns the audit log, so it owns the vocabulary of every app's codes too; it imports
none of them, the codes are only strings."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from typing import Any

from .models import AuditLogEntry

# Who did it when no person did (a scheduled task, the model pipeline, a staff command).
SYSTEM_ACTOR = "Expertdesk"

# The first part of a code (before the dot) names an area: the audit log page filters by it,
# and an unknown code's fallback sentence says where it happened.
AREAS: dict[str, str] = {
    "ticket": "Tickets",
    "expert": "Experts",
    "kb": "Knowledge base",
    "model": "Model",
    "ml": "Training data",
    "solutions": "Ticket settings",
    "masking": "Masking",
    "membership": "Members",
    "invitation": "Invitations",
    "organization": "Organization",
    "sso": "Single sign-on",
    "inbound": "E-mail",
    "user": "Sign-ups",
    "api_key": "API keys",
    "webhook_endpoint": "Webhooks",
    "webhook_delivery": "Webhooks",
    "billing": "Billing",
    "payout": "Payouts",
    "payout_account": "Payouts",
}

# The audit log page's filter: an area by the prefix of its codes.
AREA_FILTERS: tuple[tuple[str, str], ...] = (
    ("ticket.", "Tickets"),
    ("expert.", "Experts"),
    ("kb.", "Knowledge base"),
    ("model.", "Model"),
    ("ml.", "Training data"),
    ("membership.", "Members"),
    ("invitation.", "Invitations"),
    ("api_key.", "API keys"),
    ("webhook", "Webhooks"),
    ("billing.", "Billing"),
    ("payout", "Payouts"),
    ("solutions.", "Ticket settings"),
    ("organization.", "Organization"),
    ("sso.", "Single sign-on"),
    ("inbound.", "E-mail"),
)

# What happened, after the actor's name. Each code lists sentences from the most detailed to
# the plainest; the first whose fields the row has (`{target}` and the keys of its details)
# is used, so a row written before a detail existed still reads well.
SENTENCES: dict[str, tuple[str, ...]] = {
    # accounts
    "user.created": ("signed up",),
    "organization.created": ("created the organization {target}", "created the organization"),
    "membership.role_changed": (
        "changed the role of {target} from {from} to {to}",
        "changed the role of {target}",
        "changed a member's role",
    ),
    "membership.removed": (
        "removed {target} ({role}) from the organization",
        "removed {target} from the organization",
        "removed a member",
    ),
    "invitation.created": ("invited {email} as {role}", "invited {email}", "sent an invitation"),
    "invitation.accepted": ("joined as {role} by invitation", "accepted an invitation"),
    "invitation.revoked": ("withdrew {target}", "withdrew an invitation"),
    "api_key.created": ("created {target}", "created an API key"),
    "api_key.revoked": ("revoked {target}", "revoked an API key"),
    # tickets
    "ticket.merged": ("merged {target} into #{into} as a duplicate",),
    "ticket.submitted": (
        "submitted {target} {channel}",
        "submitted {target}",
        "submitted a ticket",
    ),
    "ticket.suggestion_solved": (
        "said the suggested answer “{suggestion}” solved {target}",
        "said a suggested answer solved {target}",
    ),
    "ticket.suggestion_not_helpful": (
        "said the suggested answer “{suggestion}” did not help with {target}",
        "said a suggested answer did not help with {target}",
    ),
    "ticket.category_confirmed": (
        "confirmed the category {category} of {target}",
        "confirmed the category of {target}",
    ),
    "ticket.category_corrected": (
        "corrected the category of {target} from {was} to {category}",
        "set the category of {target} to {category}",
        "corrected the category of {target}",
    ),
    "ticket.priority_corrected": (
        "corrected the priority of {target} from {was} to {priority}",
        "set the priority of {target} to {priority}",
        "corrected the priority of {target}",
    ),
    "ticket.escalated": (
        "escalated {target} to the experts for {price_cents}",
        "escalated {target} to the experts",
    ),
    "ticket.withdrawn": ("withdrew {target} from the experts",),
    "ticket.requester_emailed": (
        "e-mailed {to}, the requester of {target}",
        "e-mailed the requester of {target}",
    ),
    "ticket.answer_rated": (
        "accepted the expert's answer to {target} and rated it {score}/5",
        "accepted and rated the expert's answer to {target}",
    ),
    "ticket.answer_auto_accepted": (
        "accepted the expert's answer to {target} automatically after {days} days without a reply",
        "accepted the expert's answer to {target} automatically",
    ),
    "ticket.answer_disputed": (
        "disputed the answer of {expert} to {target}",
        "disputed the expert's answer to {target}",
    ),
    "ticket.dispute_decided": (
        "decided the dispute of {target}: {outcome}, {refund_cents} refunded",
        "decided the dispute of {target}",
    ),
    "solutions.settings_updated": ("updated the ticket settings",),
    "masking.name_forgotten": ("removed a learned name from masking",),
    # experts
    "expert.profile_created": ("created an expert profile",),
    "expert.profile_updated": ("updated their expert profile",),
    "expert.vetted": ("vetted {target}", "vetted an expert"),
    "expert.unvetted": ("withdrew the vetting of {target}", "withdrew an expert's vetting"),
    "expert.claimed": ("claimed {target}",),
    "expert.released": ("released {target} back to the experts' queue",),
    "expert.claim_expired": ("returned {target} to the experts' queue: the claim expired",),
    "expert.answered": ("answered {target}",),
    # knowledge base
    "kb.article_created": (
        "kept the expert's answer to ticket #{ticket} as the knowledge article {target}",
        "wrote the knowledge article {target}",
    ),
    "kb.article_updated": ("edited the knowledge article {target}",),
    "kb.article_archived": ("archived the knowledge article {target}",),
    "kb.article_restored": ("restored the knowledge article {target}",),
    "kb.articles_imported": (
        "imported {created} knowledge articles from CSV ({skipped} skipped)",
        "imported knowledge articles from CSV",
    ),
    # model
    "ml.tickets_imported": (
        "imported {created} labelled tickets to train on",
        "imported labelled tickets to train on",
    ),
    "model.training_requested": ("started training a new model ({trigger})", "started training"),
    "model.training_abandoned": ("gave up on {target}: {reason}", "gave up on {target}"),
    "model.promoted": (
        "put {target} in charge of triage, replacing v{previous}",
        "put {target} in charge of triage",
    ),
    "model.not_promoted": (
        "kept the current model: {target} scored macro-F1 {challenger_f1}, below the "
        "champion's {champion_f1}",
        "kept the current model instead of {target}",
    ),
    "model.rolled_back": (
        "rolled the model back from v{from} to {target}",
        "rolled the model back to {target}",
    ),
    "model.retriever_promoted": ("put {target} in charge of suggested answers",),
    # billing
    "billing.customer_created": ("set up the organization's Stripe customer",),
    "billing.subscription_started": (
        "subscribed to the {plan} plan",
        "started the subscription",
    ),
    "billing.plan_changed": ("changed the plan from {from} to {to}", "changed the plan to {to}"),
    "billing.subscription_canceled": ("canceled the subscription at the end of the period",),
    "billing.subscription_resumed": ("resumed the subscription",),
    "billing.subscription_synced": (
        "updated the subscription from Stripe (now {status})",
        "updated the subscription from Stripe",
    ),
    "billing.sla_calendar_set": ("set the SLA hours to {calendar}",),
    "billing.sla_calendar_cleared": ("went back to the plan's SLA hours",),
    "billing.spend_cap_set": ("set the monthly spend cap to {to_cents}", "removed the spend cap"),
    "billing.period_closed": (
        "closed the billing period {period} ({items} invoice items)",
        "closed a billing period",
    ),
    "payout.created": ("created a payout of {amount_cents} for {period}", "created a payout"),
    "payout.transferred": ("sent a payout through Stripe",),
    "payout.marked_paid": ("marked a payout of {amount_cents} as paid", "marked a payout as paid"),
    "payout_account.connected": ("connected a payout account",),
    # webhooks
    "webhook_endpoint.created": ("added the webhook endpoint {target}",),
    "webhook_endpoint.updated": ("changed the events the webhook endpoint {target} receives",),
    "webhook_endpoint.enabled": ("turned on the webhook endpoint {target}",),
    "webhook_endpoint.disabled": ("turned off the webhook endpoint {target}",),
    "webhook_endpoint.deleted": ("deleted the webhook endpoint {target}",),
    "webhook_endpoint.secret_rolled": ("rolled the signing secret of {target}",),
    "webhook_endpoint.test_sent": ("sent a test event to {target}",),
    "webhook_delivery.redelivered": ("redelivered a webhook event to {target}",),
    # e-mail
    "inbound.alias_added": ("added the e-mail alias {address}", "added an e-mail alias"),
    "inbound.alias_removed": ("removed the e-mail alias {address}", "removed an e-mail alias"),
    # single sign-on
    "sso.configured": (
        "set the single sign-on provider to {issuer} (client {client_id})",
        "changed the single sign-on provider",
    ),
    "sso.domain_added": ("added {domain} to single sign-on", "added a single sign-on domain"),
    "sso.domain_removed": (
        "removed {domain} from single sign-on",
        "removed a single sign-on domain",
    ),
    "sso.enabled": ("turned single sign-on on",),
    "sso.disabled": ("turned single sign-on off",),
    "sso.enforced": (
        "made single sign-on mandatory, with {break_glass} as break-glass owner",
        "made single sign-on mandatory",
    ),
    "sso.enforcement_lifted": ("made single sign-on optional again",),
    "sso.signed_in": ("signed in with single sign-on",),
    "sso.member_joined": (
        "joined as {role} through single sign-on",
        "joined through single sign-on",
    ),
    "sso.account_connected": ("connected their account to single sign-on",),
    "sso.sign_in_refused": (
        "refused a single sign-on of {email}: {reason}",
        "refused a single sign-on: {reason}",
    ),
}

# Detail values that read better in words than as stored.
CHANNELS = {"web": "in the browser", "api": "through the API", "email": "by e-mail"}
TRAINING_TRIGGERS = {
    "manual": "asked for by hand",
    "starter": "the starter model",
    "schedule": "on schedule",
    "feedback": "enough new labels",
}
_DETAIL_WORDS: dict[str, Callable[[Any], str]] = {
    "channel": lambda v: CHANNELS.get(str(v), f"via {v}"),
    "trigger": lambda v: TRAINING_TRIGGERS.get(str(v), str(v)),
}

# How a target's stored name (its `str()` when the row was written) reads in a sentence.
_TARGET_WORDS: dict[str, Callable[[str], str]] = {
    "solutions.Ticket": lambda r: re.sub(r"^(#\d+) (.+)$", r"\1 “\2”", r),
    "solutions.KnowledgeArticle": lambda r: f"“{r}”",
    "solutions.ExpertProfile": lambda r: re.sub(r"^expert ", "the expert profile of ", r),
    "accounts.Invitation": lambda r: re.sub(
        r"^Invitation of (\S+) to .*$", r"the invitation of \1", r
    ),
    "accounts.Organization": lambda r: f"“{r}”",
    "ml.ModelVersion": lambda r: _version_words("model", r),
    "ml.RetrieverVersion": lambda r: _version_words("answer retriever", r),
    "ml.TrainingRun": lambda r: re.sub(r"^training run (\d+)\b.*$", r"training run #\1", r),
}


def _version_words(kind: str, stored: str) -> str:
    # Stored as "<slug> v<n> (<status then>)": the status was the version's before the act.
    found = re.search(r"\bv(\d+)\b", stored)
    return f"{kind} v{found.group(1)}" if found else stored


def _words(key: str, value: Any) -> str | None:
    """A detail value in words; None for a value a sentence can't use (missing, empty)."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if key in _DETAIL_WORDS:
        return _DETAIL_WORDS[key](value)
    if key.endswith("_cents") and isinstance(value, int):
        sign = "-" if value < 0 else ""
        return f"{sign}${abs(value) // 100:,}.{abs(value) % 100:02d}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        if set(value) == {"from", "to"}:
            return f"{_words(key, value['from']) or '—'} → {_words(key, value['to']) or '—'}"
        return ", ".join(f"{k}: {_words(k, v) or '—'}" for k, v in value.items())
    return str(value)


def audit_target(entry: AuditLogEntry) -> str:
    stored = entry.target_repr
    if not stored:
        return ""
    words = _TARGET_WORDS.get(entry.target_type)
    return words(stored) if words else stored


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _fill(template: str, values: Mapping[str, str | None]) -> str | None:
    if any(values.get(name) is None for name in _fields(template)):
        return None
    return template.format_map(values)


def _humanize(code_part: str) -> str:
    return code_part.replace("_", " ").strip()


def audit_area(action: str) -> str:
    area = action.partition(".")[0]
    return AREAS.get(area) or _humanize(area).capitalize() or "Other"


def _details(entry: AuditLogEntry) -> dict[str, Any]:
    return {str(k): v for k, v in entry.details.items()} if isinstance(entry.details, dict) else {}


def _sentence(entry: AuditLogEntry) -> tuple[str, set[str]]:
    """The predicate, and the detail keys it says (the details column leaves them out)."""
    target = audit_target(entry)
    values: dict[str, str | None] = {k: _words(k, v) for k, v in _details(entry).items()}
    values["target"] = target or None
    for template in SENTENCES.get(entry.action, ()):
        sentence = _fill(template, values)
        if sentence is not None:
            return sentence, _fields(template)
    # A code this table doesn't know yet: its words, where it happened, and what to.
    done = _humanize(entry.action.partition(".")[2]) or "made a change"
    area = audit_area(entry.action).lower()
    return f"made a change in {area}: {done}" + (f" ({target})" if target else ""), set()


def audit_predicate(entry: AuditLogEntry) -> str:
    """What happened, after the actor's name: "corrected the category of #4 “VPN” to Network"."""
    return _sentence(entry)[0]


def audit_actor(entry: AuditLogEntry) -> str:
    return entry.actor.display_name if entry.actor is not None else SYSTEM_ACTOR


def audit_sentence(entry: AuditLogEntry) -> str:
    """The row as a sentence: "Olivia Owner wrote the knowledge article “VPN setup”"."""
    return f"{audit_actor(entry)} {audit_predicate(entry)}"


def audit_details(entry: AuditLogEntry) -> list[tuple[str, str]]:
    """The row's details that its sentence does not already say, as (label, value) pairs in
    words, for the audit log page."""
    said = _sentence(entry)[1]
    shown = []
    for key, value in _details(entry).items():
        words = _words(key, value)
        if words is None or key in said:
            continue
        shown.append((_humanize(key.removesuffix("_cents")).capitalize(), words))
    return shown
