from django.urls import path

from ..views import tickets as views

urlpatterns = [path("", views.SolutionSettingsView.as_view(), name="solution_settings")]
