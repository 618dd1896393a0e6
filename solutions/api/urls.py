from rest_framework.routers import SimpleRouter

from .views.expert import ExpertQueueViewSet, ExpertTicketViewSet
from .views.knowledge import ArticleViewSet
from .views.tickets import TicketViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="api-ticket")
router.register("expert/queue", ExpertQueueViewSet, basename="api-expert-queue")
router.register("expert/tickets", ExpertTicketViewSet, basename="api-expert-ticket")
router.register("kb/articles", ArticleViewSet, basename="api-article")

urlpatterns = router.urls
