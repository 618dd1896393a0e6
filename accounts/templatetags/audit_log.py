"""`{% load audit_log %}`: audit rows in words (accounts/audit.py) for the audit log page and
the dashboard's recent activity."""

from __future__ import annotations

from django import template

from accounts import audit
from accounts.models import AuditLogEntry

register = template.Library()


@register.filter
def audit_sentence(entry: AuditLogEntry) -> str:
    return audit.audit_sentence(entry)


@register.filter
def audit_predicate(entry: AuditLogEntry) -> str:
    return audit.audit_predicate(entry)


@register.filter
def audit_actor(entry: AuditLogEntry) -> str:
    return audit.audit_actor(entry)


@register.filter
def audit_details(entry: AuditLogEntry) -> list[tuple[str, str]]:
    return audit.audit_details(entry)
