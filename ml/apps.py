from django.apps import AppConfig


class MlConfig(AppConfig):
    name = "ml"
    verbose_name = "Machine learning"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
