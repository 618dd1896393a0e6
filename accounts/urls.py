from django.urls import path

from . import views
from .views import sso

# Navigation targets whose features arrive with later issues (none at the moment).
SECTIONS: dict[str, tuple[str, str]] = {}

urlpatterns = [
    path("", views.landing, name="landing"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("orgs/new/", views.OrganizationCreateView.as_view(), name="organization_create"),
    path("orgs/switch/", views.organization_switch, name="organization_switch"),
    path("members/", views.MembersView.as_view(), name="members"),
    path("members/<id:pk>/role/", views.MemberRoleView.as_view(), name="member_role"),
    path("members/<id:pk>/remove/", views.MemberRemoveView.as_view(), name="member_remove"),
    path(
        "invitations/<id:pk>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="invitation_revoke",
    ),
    path(
        "invitations/accept/<str:token>/",
        views.InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
    path("api-keys/", views.ApiKeysView.as_view(), name="api_keys"),
    path("api-keys/<id:pk>/revoke/", views.ApiKeyRevokeView.as_view(), name="api_key_revoke"),
    path("audit/", views.AuditLogView.as_view(), name="audit_log"),
    path("account/security/", views.AccountSecurityView.as_view(), name="account_security"),
    path("settings/sso/", sso.SsoSettingsView.as_view(), name="sso_settings"),
    path("settings/sso/domains/", sso.SsoDomainAddView.as_view(), name="sso_domain_add"),
    path(
        "settings/sso/domains/<id:pk>/remove/",
        sso.SsoDomainRemoveView.as_view(),
        name="sso_domain_remove",
    ),
    path("settings/sso/enable/", sso.SsoEnableView.as_view(), name="sso_enable"),
    path("settings/sso/enforce/", sso.SsoEnforceView.as_view(), name="sso_enforce"),
    path("sso/start/", sso.SsoStartView.as_view(), name="sso_start"),
]

urlpatterns += [
    path(
        f"{slug}/",
        views.SectionPlaceholderView.as_view(section=title, blurb=blurb),
        name=f"section_{slug.replace('-', '_')}",
    )
    for slug, (title, blurb) in SECTIONS.items()
]
