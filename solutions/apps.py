from django.apps import AppConfig


class SolutionsConfig(AppConfig):
    name = "solutions"
    verbose_name = "Tickets, experts and knowledge base"

    def ready(self) -> None:
        from accounts.tenancy import ExpertSide, expert_side_register
        from ml.signals import champion_ready

        from . import labels, review, selectors
        from .receivers import on_champion_ready
        from .selectors import monitoring
        from .selectors.reputation import expert_standing

        labels.register()
        review.register()
        monitoring.register()  # the Model page's monitoring and its alert (ml.monitoring)
        # accounts' ExpertScopedMixin (pages, the expert API, billing's earnings pages) asks
        # these selectors who is an expert and what they may see.
        expert_side_register(
            ExpertSide(
                profile_of=selectors.expert_profile_of,
                queue=lambda user: selectors.expert_queue(expert=user),
                ticket_visible=lambda user, ticket_id: selectors.expert_ticket_visible(
                    expert=user, ticket_id=ticket_id
                ),
                standing=expert_standing,
            )
        )
        champion_ready.connect(on_champion_ready, dispatch_uid="solutions.retriage")
