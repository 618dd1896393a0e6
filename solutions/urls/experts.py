"""Mounted at /experts/: the expert side, the organization's directory, and notifications."""

from django.urls import path

from ..views import experts as views

urlpatterns = [
    path("", views.ExpertDirectoryView.as_view(), name="expert_directory"),
    path("onboarding/", views.ExpertOnboardingView.as_view(), name="expert_onboarding"),
    path("profile/", views.ExpertProfileView.as_view(), name="expert_profile"),
    path("queue/", views.ExpertQueueView.as_view(), name="expert_queue"),
    path("tickets/<id:pk>/", views.ExpertTicketView.as_view(), name="expert_ticket"),
    path("claims/", views.ExpertClaimsView.as_view(), name="expert_claims"),
    path("claims/<id:pk>/answer/", views.ExpertAnswerView.as_view(), name="expert_answer"),
    path("claims/<id:pk>/release/", views.ExpertReleaseView.as_view(), name="expert_release"),
    path("answer-preview/", views.ExpertAnswerPreviewView.as_view(), name="expert_answer_preview"),
    path("notifications/", views.NotificationsView.as_view(), name="notifications"),
    path(
        "notifications/read/",
        views.NotificationsMarkReadView.as_view(),
        name="notifications_mark_read",
    ),
]
