"""The SSRF guard's refusal of a loopback or private target names the setting that lets such
targets through in development (local settings turn it on; production forces it off), and
names it only where it would help."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from webhooks import transport


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:8000/hooks", "a loopback address"),
        ("http://[::1]/hooks", "a loopback address"),
        ("http://10.1.2.3/hooks", "a private address"),
    ],
)
def test_a_loopback_or_private_refusal_names_the_setting(settings, url, kind):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(transport.UnsafeTarget) as refused:
        transport.resolve_target(url)
    message = str(refused.value)
    assert kind in message
    assert "WEBHOOK_ALLOW_PRIVATE_TARGETS" in message
    assert "production never does" in message


def test_a_refusal_the_setting_cannot_lift_does_not_name_it(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(transport.UnsafeTarget) as refused:
        transport.resolve_target("http://169.254.169.254/latest/meta-data/")
    assert "link-local" in str(refused.value)
    assert "WEBHOOK_ALLOW_PRIVATE_TARGETS" not in str(refused.value)


def test_the_endpoint_form_shows_the_setting_by_name(settings, make_org, make_endpoint):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ValidationError) as refused:
        make_endpoint(make_org(), "http://127.0.0.1:9/hooks")
    [message] = refused.value.message_dict["url"]
    assert message.startswith("127.0.0.1 is a loopback address; webhooks can only be sent")
    assert "WEBHOOK_ALLOW_PRIVATE_TARGETS" in message


def test_with_the_setting_on_a_local_receiver_is_accepted(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert transport.resolve_target("http://127.0.0.1:8000/hooks").address == "127.0.0.1"
