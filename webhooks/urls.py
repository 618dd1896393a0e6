from django.urls import path

from . import views

urlpatterns = [
    path("", views.WebhookEndpointsView.as_view(), name="webhooks"),
    path("<id:pk>/", views.WebhookEndpointView.as_view(), name="webhook_endpoint"),
    path(
        "<id:pk>/toggle/",
        views.WebhookEndpointToggleView.as_view(),
        name="webhook_endpoint_toggle",
    ),
    path("<id:pk>/test/", views.WebhookEndpointTestView.as_view(), name="webhook_endpoint_test"),
    path(
        "<id:pk>/delete/",
        views.WebhookEndpointDeleteView.as_view(),
        name="webhook_endpoint_delete",
    ),
    path(
        "<id:pk>/roll-secret/",
        views.WebhookEndpointRollSecretView.as_view(),
        name="webhook_endpoint_roll_secret",
    ),
    path(
        "deliveries/<id:pk>/redeliver/",
        views.WebhookDeliveryRedeliverView.as_view(),
        name="webhook_delivery_redeliver",
    ),
]
