from django.urls import path

from . import views

urlpatterns = [
    path("", views.WebhookEndpointsView.as_view(), name="webhooks"),
    path("<int:pk>/", views.WebhookEndpointView.as_view(), name="webhook_endpoint"),
    path(
        "<int:pk>/toggle/",
        views.WebhookEndpointToggleView.as_view(),
        name="webhook_endpoint_toggle",
    ),
    path("<int:pk>/test/", views.WebhookEndpointTestView.as_view(), name="webhook_endpoint_test"),
    path(
        "<int:pk>/delete/",
        views.WebhookEndpointDeleteView.as_view(),
        name="webhook_endpoint_delete",
    ),
    path(
        "deliveries/<int:pk>/redeliver/",
        views.WebhookDeliveryRedeliverView.as_view(),
        name="webhook_delivery_redeliver",
    ),
]
