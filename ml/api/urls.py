from django.urls import path

from .views import ModelViewSet

urlpatterns = [path("model/", ModelViewSet.as_view({"get": "retrieve"}), name="api-model")]
