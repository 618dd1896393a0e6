from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts import services
from accounts.models import AuditLogEntry, Invitation, Membership, Role


def test_organization_create_makes_creator_owner_and_audits(make_user):
    user = make_user(email="founder@example.test")
    org = services.organization_create(creator=user, name="Globex Corp")
    assert org.slug == "globex-corp"
    membership = Membership.objects.get(organization=org)
    assert (membership.user, membership.role) == (user, Role.OWNER)
    entry = AuditLogEntry.objects.get(organization=org, action="organization.created")
    assert entry.actor == user


def test_organization_slugs_stay_unique(make_user):
    a = services.organization_create(creator=make_user(), name="Initech")
    b = services.organization_create(creator=make_user(), name="Initech")
    assert a.slug != b.slug
    with pytest.raises(ValidationError):
        services.organization_create(creator=make_user(), name="Other", slug=a.slug)
    with pytest.raises(ValidationError):
        services.organization_create(creator=make_user(), name="   ")


def test_user_email_is_unique_case_insensitively(make_user):
    make_user(email="Case@Example.test")
    with pytest.raises(ValidationError):
        services.user_create(email="case@example.TEST", password="x-long-password-1")


def test_invitation_stores_only_a_hash_and_emails_the_link(
    make_org, make_user, django_capture_on_commit_callbacks
):
    org = make_org()
    owner = org.memberships.get().user
    with django_capture_on_commit_callbacks(execute=True):
        issued = services.invitation_create(
            actor=owner, organization=org, email="New.Person@Example.test", role=Role.ADMIN
        )
    invitation = Invitation.objects.get()
    assert invitation.email == "new.person@example.test"
    assert issued.token not in invitation.token_hash
    assert len(mail.outbox) == 1
    assert issued.accept_path in mail.outbox[0].body
    assert invitation.email_sent_at is not None
    # Sending again (a retried task) sends nothing more.
    assert not services.invitation_send_email(invitation_id=invitation.pk, accept_url="x")
    assert len(mail.outbox) == 1


def test_invitation_accept_joins_with_the_invited_role(make_org, make_user):
    org = make_org()
    owner = org.memberships.get().user
    invitee = make_user(email="joiner@example.test")
    issued = services.invitation_create(
        actor=owner, organization=org, email=invitee.email, role=Role.ADMIN
    )
    membership = services.invitation_accept(token=issued.token, user=invitee)
    assert membership.role == Role.ADMIN
    assert membership.organization == org
    # Accepting twice is harmless; the link can't be reused by someone else.
    assert services.invitation_accept(token=issued.token, user=invitee) == membership
    with pytest.raises(ValidationError):
        services.invitation_accept(token=issued.token, user=make_user())


@pytest.mark.parametrize("state", ["expired", "revoked", "wrong_email", "bad_token"])
def test_invitation_accept_refuses_invalid(make_org, make_user, state):
    org = make_org()
    owner = org.memberships.get().user
    invitee = make_user(email="invitee@example.test")
    issued = services.invitation_create(actor=owner, organization=org, email=invitee.email)
    token, user = issued.token, invitee
    if state == "expired":
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "revoked":
        services.invitation_revoke(actor=owner, invitation=issued.invitation)
    elif state == "wrong_email":
        user = make_user(email="someone.else@example.test")
    else:
        token = "not-a-token"
    with pytest.raises(ValidationError):
        services.invitation_accept(token=token, user=user)
    assert not Membership.objects.filter(organization=org, user=user).exists()


def test_agents_cannot_invite_or_change_roles(make_org, make_user, add_member):
    org = make_org()
    agent = make_user()
    membership = add_member(org, agent, Role.AGENT)
    with pytest.raises(PermissionDenied):
        services.invitation_create(actor=agent, organization=org, email="x@example.test")
    with pytest.raises(PermissionDenied):
        services.membership_change_role(actor=agent, membership=membership, role=Role.ADMIN)
    owner_membership = org.memberships.get(role=Role.OWNER)
    with pytest.raises(PermissionDenied):
        services.membership_remove(actor=agent, membership=owner_membership)


def test_admin_cannot_touch_owners(make_org, make_user, add_member):
    org = make_org()
    admin = make_user()
    add_member(org, admin, Role.ADMIN)
    owner_membership = org.memberships.get(role=Role.OWNER)
    with pytest.raises(PermissionDenied):
        services.membership_change_role(actor=admin, membership=owner_membership, role=Role.AGENT)
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            actor=admin, organization=org, email="boss@example.test", role=Role.OWNER
        )


def test_last_owner_cannot_be_demoted_or_removed(make_org, make_user, add_member):
    org = make_org()
    owner_membership = org.memberships.get()
    owner = owner_membership.user
    with pytest.raises(ValidationError):
        services.membership_change_role(actor=owner, membership=owner_membership, role=Role.ADMIN)
    with pytest.raises(ValidationError):
        services.membership_remove(actor=owner, membership=owner_membership)
    # With a second owner, the first may step down.
    second = make_user()
    add_member(org, second, Role.OWNER)
    services.membership_change_role(actor=owner, membership=owner_membership, role=Role.ADMIN)
    owner_membership.refresh_from_db()
    assert owner_membership.role == Role.ADMIN
    actions = list(AuditLogEntry.objects.filter(organization=org).values_list("action", flat=True))
    assert "membership.role_changed" in actions


def test_new_invitation_replaces_pending_one(make_org):
    org = make_org()
    owner = org.memberships.get().user
    first = services.invitation_create(actor=owner, organization=org, email="a@example.test")
    second = services.invitation_create(actor=owner, organization=org, email="A@example.test")
    first.invitation.refresh_from_db()
    assert first.invitation.revoked_at is not None
    assert second.invitation.is_pending


def test_cannot_invite_an_existing_member(make_org):
    org = make_org()
    owner = org.memberships.get().user
    with pytest.raises(ValidationError):
        services.invitation_create(actor=owner, organization=org, email=owner.email)
