from django.urls import path

from ..views import duplicates as views_duplicates
from ..views import tickets as views

urlpatterns = [
    path("", views.TicketListView.as_view(), name="ticket_list"),
    path("new/", views.TicketSubmitView.as_view(), name="ticket_submit"),
    path("export.csv", views.TicketExportView.as_view(), name="ticket_export"),
    path("<id:number>/", views.TicketDetailView.as_view(), name="ticket_detail"),
    path("<id:number>/escalate/", views.TicketEscalateView.as_view(), name="ticket_escalate"),
    path(
        "<id:number>/attachments/<id:pk>/",
        views.AttachmentDownloadView.as_view(),
        name="ticket_attachment",
    ),
    path("<id:number>/merge/", views_duplicates.TicketMergeView.as_view(), name="ticket_merge"),
    path(
        "<id:number>/<slug:action>/",
        views.TicketActionView.as_view(),
        name="ticket_action",
    ),
]
