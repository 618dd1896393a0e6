from rest_framework.routers import SimpleRouter

from .views import TicketViewSet
from .views_knowledge import ArticleViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="api-ticket")
router.register("kb/articles", ArticleViewSet, basename="api-article")

urlpatterns = router.urls
