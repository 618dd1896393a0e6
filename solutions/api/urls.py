from rest_framework.routers import SimpleRouter

from api.views import ID_PATTERN

from .views.conversations import ExpertTicketMessageViewSet, TicketMessageViewSet
from .views.disputes import TicketDisputeViewSet
from .views.expert import ExpertQueueViewSet, ExpertTicketViewSet
from .views.knowledge import ArticleViewSet
from .views.tickets import TicketViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="api-ticket")
router.register(
    rf"tickets/(?P<number>{ID_PATTERN})/disputes",
    TicketDisputeViewSet,
    basename="api-ticket-dispute",
)
router.register(
    rf"tickets/(?P<number>{ID_PATTERN})/messages",
    TicketMessageViewSet,
    basename="api-ticket-message",
)
router.register("expert/queue", ExpertQueueViewSet, basename="api-expert-queue")
router.register(
    rf"expert/tickets/(?P<pk>{ID_PATTERN})/messages",
    ExpertTicketMessageViewSet,
    basename="api-expert-ticket-message",
)
router.register("expert/tickets", ExpertTicketViewSet, basename="api-expert-ticket")
router.register("kb/articles", ArticleViewSet, basename="api-article")

urlpatterns = router.urls
