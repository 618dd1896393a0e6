from django.urls import path

from . import views

urlpatterns = [
    path("settings/email/", views.EmailSettingsView.as_view(), name="inbound_settings"),
    path("settings/email/aliases/", views.AliasAddView.as_view(), name="inbound_alias_add"),
    path(
        "settings/email/aliases/<id:pk>/remove/",
        views.AliasRemoveView.as_view(),
        name="inbound_alias_remove",
    ),
    path(
        "tickets/<id:number>/email-reply/",
        views.RequesterReplyView.as_view(),
        name="ticket_requester_reply",
    ),
    path(
        "email/inbound/<slug:esp>/",
        views.AnymailInboundView.as_view(),
        name="inbound_anymail_webhook",
    ),
]
