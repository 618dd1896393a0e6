from django.urls import path

from .views import tickets as views

urlpatterns = [
    path("", views.TicketListView.as_view(), name="ticket_list"),
    path("new/", views.TicketSubmitView.as_view(), name="ticket_submit"),
    path("export.csv", views.TicketExportView.as_view(), name="ticket_export"),
    path("<int:number>/", views.TicketDetailView.as_view(), name="ticket_detail"),
    path("<int:number>/escalate/", views.TicketEscalateView.as_view(), name="ticket_escalate"),
    path(
        "<int:number>/attachments/<int:pk>/",
        views.AttachmentDownloadView.as_view(),
        name="ticket_attachment",
    ),
    path(
        "<int:number>/<slug:action>/",
        views.TicketActionView.as_view(),
        name="ticket_action",
    ),
]
