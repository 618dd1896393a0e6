from django.apps import AppConfig


class InboundConfig(AppConfig):
    """Tickets by e-mail, replies by e-mail (docs/email.md)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "inbound"
    verbose_name = "E-mail"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
