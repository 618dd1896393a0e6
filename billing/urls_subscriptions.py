from django.urls import path  # noqa: F401

urlpatterns: list = []  # filled in by the subscriptions pages
