from django.urls import path

from ..views.earnings import ExpertEarningsView

urlpatterns = [path("earnings/", ExpertEarningsView.as_view(), name="expert_earnings")]
