"""Mounted at /tickets/ beside the ticket pages (config/urls.py, before them: the tickets'
`<number>/<action>/` route would take these paths otherwise)."""

from django.urls import path

from ..views import disputes as views

urlpatterns = [
    path("<id:number>/dispute/", views.TicketDisputeView.as_view(), name="ticket_dispute"),
]
