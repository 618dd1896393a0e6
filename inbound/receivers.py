"""Where inbound/ plugs into the rest at start-up: the timeline hooks that e-mail requesters,
and django-anymail's inbound signal (a provider's webhook, in production), which feeds the
same processing as the SMTP server."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def anymail_inbound_received(sender: Any, event: Any, esp_name: str = "", **kwargs: Any) -> None:
    """An AnymailInboundEvent: its message as bytes, its envelope when the provider gives
    one (else the To/Cc addresses). Never raises: a failure is recorded (FAILED, with the
    raw message) and the provider gets its 200, since a provider's retry would find the
    same cause; the admin processes it again once that is fixed."""
    from .models import InboundMessage
    from .parsing import addresses_of
    from .services.messages import message_receive

    message = event.message
    if message is None:
        return
    recipients = [message.envelope_recipient] if message.envelope_recipient else []
    if not recipients:
        for name in ("To", "Cc"):
            recipients += addresses_of(str(message.get(name) or ""))
    try:
        message_receive(
            raw=message.as_bytes(),
            envelope_from=message.envelope_sender or "",
            recipients=recipients,
            channel=InboundMessage.Channel.WEBHOOK,
        )
    except Exception:
        logger.exception("Inbound webhook message from %s failed", esp_name)


def connect() -> None:
    from anymail.signals import inbound

    from .services.outbound import hooks_register

    hooks_register()
    inbound.connect(anymail_inbound_received, dispatch_uid="inbound.anymail_inbound_received")
