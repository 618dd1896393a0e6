from django.urls import path

from ..views import sla as views_sla

urlpatterns = [path("sla-hours/", views_sla.SlaCalendarView.as_view(), name="billing_sla_calendar")]
