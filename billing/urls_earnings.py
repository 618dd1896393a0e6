from django.urls import path

from .views_earnings import ExpertEarningsView

urlpatterns = [path("earnings/", ExpertEarningsView.as_view(), name="expert_earnings")]
