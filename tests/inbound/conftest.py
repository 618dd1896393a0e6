"""The inbound SMTP server of inbound/smtp.py, started by the test on a free port of
127.0.0.1 in a thread of this process (so Django's locmem outbox sees what it sends), and a
client that speaks SMTP to it with smtplib. The server's worker threads use connections of
their own: tests that use it run with `transaction=True`."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from inbound.smtp import InboundHandler, smtp_controller
from tests.make_run import free_port
from tests.solutions.conftest import make_expert  # noqa: F401 - shared fixture


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int

    def send(
        self,
        message: EmailMessage | bytes,
        *,
        to: list[str] | None = None,
        sender: str | None = None,
    ) -> dict[str, tuple[int, bytes]]:
        """Sends over SMTP; returns smtplib's refused recipients (raises on a refused DATA)."""
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if isinstance(message, bytes):
                assert to is not None and sender is not None
                return smtp.sendmail(sender, to, message)
            return smtp.send_message(message, from_addr=sender, to_addrs=to)


@contextmanager
def smtp_started() -> Iterator[SmtpServer]:
    """The server as `manage.py inbound_smtp` runs it, with the settings in force now."""
    port = free_port()
    handler = InboundHandler(workers=2)
    controller = smtp_controller("127.0.0.1", port, handler)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port)
    finally:
        controller.stop()
        handler.close()


@pytest.fixture
def inbound_settings(settings):
    settings.INBOUND_EMAIL_DOMAIN = "in.expertdesk.test"
    settings.DEFAULT_FROM_EMAIL = "Expertdesk <no-reply@expertdesk.test>"
    settings.INBOUND_SENDER_PER_HOUR = 30
    settings.INBOUND_ORGANIZATION_PER_HOUR = 1000
    return settings


@pytest.fixture
def smtp_server(inbound_settings) -> Iterator[SmtpServer]:
    with smtp_started() as server:
        yield server


@pytest.fixture
def mail() -> Callable[..., EmailMessage]:
    def make(
        *,
        to: str,
        sender: str = "Ann Requester <ann@customer.example>",
        subject: str = "Printer on floor 3 jams",
        text: str | None = "The printer on floor 3 jams on every page since Monday.",
        html: str | None = None,
        headers: dict[str, str] | None = None,
        attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="customer.example")
        for name, value in (headers or {}).items():
            message[name] = value
        if text is not None:
            message.set_content(text)
        if html is not None:
            if text is None:
                message.set_content(html, subtype="html")
            else:
                message.add_alternative(html, subtype="html")
        for filename, data, content_type in attachments:
            maintype, subtype = content_type.split("/")
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
        return message

    return make
