from django.apps import AppConfig


class SolutionsConfig(AppConfig):
    name = "solutions"
    verbose_name = "Tickets, experts and knowledge base"

    def ready(self) -> None:
        from ml.signals import champion_ready

        from . import labels, review
        from .receivers import on_champion_ready

        labels.register()
        review.register()
        champion_ready.connect(on_champion_ready, dispatch_uid="solutions.retriage")
