"""The inbound SMTP server (aiosmtpd): `manage.py inbound_smtp`, and `make run` on
127.0.0.1:2525. Refuses at SMTP time what must be refused (an unknown recipient 550, a
message over INBOUND_MAX_BYTES 552 — aiosmtpd's data_size_limit, also against the SIZE the
client announces — too many messages 451) and answers DATA once the message is stored:
250, or 451 when storing failed (the sender's server tries again), or 550 when the
organization can't take it. Django's ORM is synchronous, so every database step runs in a
worker thread, never on the event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _with_fresh_connection(work: Callable[[], T]) -> T:
    # Each step opens its connection and closes it: a pool thread's connection would outlive
    # the server (nothing closes another thread's connection), and mail is not frequent
    # enough for the reconnect to matter.
    close_old_connections()
    try:
        return work()
    finally:
        connections.close_all()


class InboundHandler:
    def __init__(self, workers: int = 4) -> None:
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inbound")

    async def _run(self, work: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, _with_fresh_connection, work)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        from .services.messages import recipient_check

        _, refusal = await self._run(
            lambda: recipient_check(envelope_from=envelope.mail_from or "", recipient=address)
        )
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        from .services.messages import TRY_LATER, message_receive

        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            outcomes = await self._run(
                lambda: message_receive(
                    raw=raw,
                    envelope_from=envelope.mail_from or "",
                    recipients=list(envelope.rcpt_tos),
                )
            )
        except Exception:
            logger.exception("Inbound message from %s could not be processed", envelope.mail_from)
            return TRY_LATER
        # One reply for the whole message: a temporary failure for any organization makes
        # the sender retry (those already stored recognise the Message-ID), else a refusal
        # for every one is a refusal, else it is received.
        replies = [o.smtp_reply for o in outcomes]
        for reply in replies:
            if reply.startswith("4"):
                return reply
        if replies and all(r.startswith("5") for r in replies):
            return replies[0]
        return "250 2.0.0 OK: received"

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def smtp_controller(host: str, port: int, handler: InboundHandler | None = None) -> Controller:
    """A started-on-demand server on host:port (`.start()`, `.stop()`), in its own thread."""
    options: dict[str, Any] = {
        "data_size_limit": int(settings.INBOUND_MAX_BYTES),
        "enable_SMTPUTF8": True,
        "decode_data": False,
        "ident": "Expertdesk inbound",
    }
    return Controller(
        handler or InboundHandler(),
        hostname=host,
        port=port,
        server_hostname=settings.INBOUND_EMAIL_DOMAIN,
        **options,
    )
