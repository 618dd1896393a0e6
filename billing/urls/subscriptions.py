from django.urls import path

from ..views import subscriptions as views

urlpatterns = [
    path("", views.BillingPageView.as_view(), name="billing"),
    path("setup-intent/", views.SetupIntentView.as_view(), name="billing_setup_intent"),
    path("subscribe/", views.SubscribeView.as_view(), name="billing_subscribe"),
    path("change-plan/", views.ChangePlanView.as_view(), name="billing_change_plan"),
    path("cancel/", views.CancelView.as_view(), name="billing_cancel"),
    path("resume/", views.ResumeView.as_view(), name="billing_resume"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
