from django.urls import path

from ..views import knowledge as views

urlpatterns = [
    path("", views.KnowledgeListView.as_view(), name="kb_list"),
    path("new/", views.KnowledgeCreateView.as_view(), name="kb_create"),
    path("import/", views.KnowledgeImportView.as_view(), name="kb_import"),
    path("<id:pk>/", views.KnowledgeDetailView.as_view(), name="kb_detail"),
    path("<id:pk>/edit/", views.KnowledgeEditView.as_view(), name="kb_edit"),
    path("<id:pk>/archive/", views.KnowledgeArchiveView.as_view(), name="kb_archive"),
    path("<id:pk>/restore/", views.KnowledgeRestoreView.as_view(), name="kb_restore"),
]
