from rest_framework.routers import SimpleRouter

from .views import TicketViewSet
from .views_expert import ExpertQueueViewSet, ExpertTicketViewSet
from .views_knowledge import ArticleViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="api-ticket")
router.register("expert/queue", ExpertQueueViewSet, basename="api-expert-queue")
router.register("expert/tickets", ExpertTicketViewSet, basename="api-expert-ticket")
router.register("kb/articles", ArticleViewSet, basename="api-article")

urlpatterns = router.urls
