"""Mounted at the root, before the ticket pages (whose `<number>/<action>/` route would take
`messages/`): the forms of the conversation panels on both sides of a ticket."""

from django.urls import path

from ..views import conversations as views

urlpatterns = [
    path(
        "tickets/<id:number>/messages/",
        views.TicketConversationView.as_view(),
        name="ticket_messages",
    ),
    path(
        "experts/tickets/<id:pk>/messages/",
        views.ExpertConversationView.as_view(),
        name="expert_ticket_messages",
    ),
]
