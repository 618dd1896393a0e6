from django.urls import path

from . import views

urlpatterns = [
    path("", views.ModelPageView.as_view(), name="ml_model"),
    path("train/", views.TrainNowView.as_view(), name="ml_train"),
    path(
        "runs/<id:pk>/progress/",
        views.TrainingProgressView.as_view(),
        name="ml_training_progress",
    ),
    path("versions/<id:pk>/promote/", views.PromoteView.as_view(), name="ml_promote"),
    path("rollback/", views.RollbackView.as_view(), name="ml_rollback"),
    path("review/", views.ReviewQueueView.as_view(), name="ml_review"),
    path("review/decide/", views.ReviewDecideView.as_view(), name="ml_review_decide"),
]
