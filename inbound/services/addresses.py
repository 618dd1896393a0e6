"""Which organization an address reaches: `<slug>@INBOUND_EMAIL_DOMAIN` always, and the
aliases its owners add (their own addresses, forwarded here). An alias belongs to one
organization; addresses at our own domain are never aliases, so no alias can take (or be
taken by) another organization's address."""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts.models import Membership, Organization, Role, User
from accounts.services import audit_log_record

from ..models import InboundAlias

MAX_ALIASES = 20
OWNER_ONLY = "Only owners can change the organization's e-mail addresses."


def inbound_domain() -> str:
    return str(settings.INBOUND_EMAIL_DOMAIN).strip().lower()


def primary_address(organization: Organization) -> str:
    return f"{organization.slug.lower()}@{inbound_domain()}"


def our_from_address() -> str:
    return parseaddr(str(settings.DEFAULT_FROM_EMAIL))[1].strip().lower()


def organization_for_address(address: str) -> Organization | None:
    """The organization `address` reaches, or None (an unknown recipient: a bounce)."""
    address = address.strip().lower()
    local, _, domain = address.rpartition("@")
    if not local:
        return None
    if domain == inbound_domain():
        return Organization.objects.filter(slug__iexact=local).order_by("pk").first()
    alias = InboundAlias.objects.select_related("organization").filter(address=address).first()
    return alias.organization if alias is not None else None


def is_our_address(address: str) -> bool:
    """Mail from one of these is our own (a loop), never a requester's."""
    address = address.strip().lower()
    return address == our_from_address() or organization_for_address(address) is not None


def aliases_of(organization: Organization) -> list[InboundAlias]:
    return list(InboundAlias.objects.filter(organization=organization).select_related("added_by"))


def _require_owner(actor: User, organization: Organization) -> None:
    if not Membership.objects.filter(
        organization=organization, user=actor, role=Role.OWNER
    ).exists():
        raise PermissionDenied(OWNER_ONLY)


def alias_add(*, actor: User, organization: Organization, address: str) -> InboundAlias:
    _require_owner(actor, organization)
    address = (address or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(
            {"address": "Type an e-mail address like support@example.com."}
        ) from None
    domain = address.rpartition("@")[2]
    if domain == inbound_domain() or domain.endswith("." + inbound_domain()):
        raise ValidationError(
            {
                "address": f"Addresses at {inbound_domain()} are not aliases: yours is "
                f"{primary_address(organization)}."
            }
        )
    if address == our_from_address():
        raise ValidationError({"address": "That is the address Expertdesk sends from."})
    taken = InboundAlias.objects.filter(address=address).first()
    if taken is not None:
        if taken.organization_id == organization.pk:
            raise ValidationError({"address": f"{address} is already one of your addresses."})
        raise ValidationError({"address": f"{address} is in use by another organization."})
    if InboundAlias.objects.filter(organization=organization).count() >= MAX_ALIASES:
        raise ValidationError({"address": f"An organization has at most {MAX_ALIASES} aliases."})
    try:
        with transaction.atomic():
            alias = InboundAlias.objects.create(
                organization=organization, address=address, added_by=actor
            )
            audit_log_record(
                actor=actor,
                organization=organization,
                action="inbound.alias_added",
                target=alias,
                details={"address": address},
            )
    except IntegrityError:  # another organization added it a moment ago
        raise ValidationError(
            {"address": f"{address} is in use by another organization."}
        ) from None
    return alias


def alias_remove(*, actor: User, alias: InboundAlias) -> None:
    organization = alias.organization
    _require_owner(actor, organization)
    with transaction.atomic():
        audit_log_record(
            actor=actor,
            organization=organization,
            action="inbound.alias_removed",
            target=alias,
            details={"address": alias.address},
        )
        alias.delete()
