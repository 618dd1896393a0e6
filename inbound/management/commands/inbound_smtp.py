"""`manage.py inbound_smtp [--host 127.0.0.1 --port 2525]`: the inbound SMTP server, until
SIGINT or SIGTERM (honcho's stop), which stop it at once and quietly."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from inbound.smtp import InboundHandler, smtp_controller


class Command(BaseCommand):
    help = "Receive e-mail for the organizations' inbound addresses (docs/email.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.INBOUND_SMTP_HOST)
        parser.add_argument("--port", type=int, default=settings.INBOUND_SMTP_PORT)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        handler = InboundHandler()
        controller = smtp_controller(options["host"], options["port"], handler)
        controller.start()
        self.stdout.write(
            f"Inbound SMTP on {options['host']}:{options['port']} for "
            f"<slug>@{settings.INBOUND_EMAIL_DOMAIN} and the organizations' aliases"
        )
        try:
            while not stop.wait(0.5):
                pass
        finally:
            controller.stop()
            handler.close()
