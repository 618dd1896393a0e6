from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from solutions.models import TicketEvent

        from .receivers import on_ticket_event

        # The timeline is where every resolution path writes its line ("answer_accepted",
        # "resolved_by_suggestion", …): listening there needs no call in each path.
        post_save.connect(on_ticket_event, sender=TicketEvent, dispatch_uid="reports-survey")
