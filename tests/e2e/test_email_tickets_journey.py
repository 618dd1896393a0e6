"""Tickets by e-mail in a browser: an owner adds an alias on the E-mail settings page, a
requester's mail arrives over real SMTP (the inbound server started by the test), the ticket
appears with its requester, an agent replies from the ticket page and the reply leaves by
e-mail (Django's outbox) with the ticket's reference; at desktop and phone width."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.core import mail as django_mail

from accounts import services as accounts_services
from accounts.models import Role
from solutions.models import Ticket
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD
from tests.inbound.conftest import smtp_started

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_a_requesters_mail_becomes_a_ticket_and_the_agents_reply_goes_back(
    size: str, new_page, shot, settings
) -> None:
    settings.INBOUND_EMAIL_DOMAIN = "in.expertdesk.test"
    settings.DEFAULT_FROM_EMAIL = "Expertdesk <no-reply@expertdesk.test>"
    owner = accounts_services.user_create(email="olivia.owner@acme.test", password=PASSWORD)
    org = accounts_services.organization_create(creator=owner, name="Acme IT")
    agent = accounts_services.user_create(email="arthur.agent@acme.test", password=PASSWORD)
    issued = accounts_services.invitation_create(
        actor=owner, organization=org, email=agent.email, role=Role.AGENT
    )
    accounts_services.invitation_accept(token=issued.token, user=agent)

    page = new_page()
    page.set_viewport_size(VIEWPORTS[size])
    sign_in(page, owner.email)
    page.goto("/settings/email/")
    assert (
        page.get_by_test_id("primary-address")
        .inner_text()
        .startswith(f"{org.slug}@in.expertdesk.test")
    )
    page.get_by_test_id("alias-address").fill("helpdesk@acme.test")
    page.get_by_test_id("alias-add").click()
    page.wait_for_load_state()
    assert "helpdesk@acme.test" in page.get_by_test_id("alias-row").inner_text()

    message = EmailMessage()
    message["From"] = "Rita Requester <rita@acme.test>"
    message["To"] = "helpdesk@acme.test"
    message["Subject"] = "Laptop won't connect to the office Wi-Fi"
    message.set_content("Since this morning my laptop can't join the office Wi-Fi.\n-- \nRita")
    message.add_alternative(
        "<p>Since this morning my laptop <b>can't join</b> the office Wi-Fi.</p>"
        "<script>alert('x')</script><p>-- <br>Rita</p>",
        subtype="html",
    )
    with smtp_started() as server:
        server.send(message)
    ticket = Ticket.objects.get(organization=org)

    page.reload()
    assert "Ticket created" in page.get_by_test_id("received-result").inner_text()
    shot(page, f"{size}-email-settings")

    agent_page = new_page()
    agent_page.set_viewport_size(VIEWPORTS[size])
    sign_in(agent_page, agent.email)
    agent_page.goto("/tickets/")
    agent_page.get_by_role("link", name="Laptop won't connect to the office Wi-Fi").click()
    agent_page.wait_for_load_state()
    assert "rita@acme.test" in agent_page.get_by_test_id("ticket-requester").inner_text()
    assert "can't join the office Wi-Fi" in agent_page.get_by_test_id("ticket-body").inner_text()
    panel = agent_page.get_by_test_id("requester-email")
    assert "Rita Requester" in panel.inner_text()
    shot(agent_page, f"{size}-email-ticket")

    django_mail.outbox.clear()
    agent_page.get_by_test_id("requester-reply").fill(
        "Hi Rita, please forget the network and join it again."
    )
    agent_page.get_by_test_id("requester-reply-send").click()
    agent_page.wait_for_load_state()
    assert "on its way to rita@acme.test" in agent_page.content()
    rows = agent_page.get_by_test_id("mail-row")
    assert rows.count() == 2
    assert "forget the network" in rows.nth(1).inner_text()
    shot(agent_page, f"{size}-replied")

    [sent] = django_mail.outbox
    assert sent.to == ["rita@acme.test"]
    assert f"[Expertdesk #{ticket.number}]" in sent.subject
    assert sent.reply_to == [f"{org.slug}@in.expertdesk.test"]
