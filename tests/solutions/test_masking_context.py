"""Masking with what the platform knows, on every surface an expert sees.

A probe plants personal and secret items in an escalated ticket (title and body) and then
reads everything the expert gets: the queue page, the ticket page, the expert API, the
expert's e-mails, and the knowledge article made from the accepted answer. Names come from the
organization's members (profile and mailbox), from earlier tickets' signatures, and from the
words an owner asked to hide."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Role
from solutions.models import KnowledgeArticle, KnownName, Ticket
from solutions.services import experts as expert_services
from solutions.services import masking as masking_services
from solutions.services import tickets as services
from solutions.services.expert_api_keys import expert_api_key_create

PRICE = 8000


@pytest.fixture
def org(make_org):
    return make_org(name="Acme")


@pytest.fixture
def owner(org):
    return org.memberships.get(role=Role.OWNER).user


@pytest.fixture
def colleague(org, make_user, add_member):
    """A member whose profile has no name: the mailbox says who she is."""
    user = make_user(email="priya.raman@acme.example", full_name="")
    add_member(org, user, Role.AGENT)
    return user


@pytest.fixture
def manager(org, make_user, add_member):
    user = make_user(email="mgr@acme.example", full_name="Siobhan O'Connell")
    add_member(org, user, Role.ADMIN)
    return user


PLANTED_TITLE = "Refund to DE89 3704 0044 0532 0130 00 for priya failed"
PLANTED_BODY = (
    "Siobhan asked me to open this. Raman's laptop (MAC 00:1A:2B:3C:4D:5E) can't reach the "
    "VPN since the new password Summer2026! was set; o'connell has the same problem.\n"
    "Wi-Fi key is Tr4ffic!Jam_99, card 4111.1111.1111.1111 on file, SSN 536-90-4399.\n"
    "Ship the replacement to 1600 Amphitheatre Parkway, Mountain View, CA 94043.\n"
    "Mail jane (at) acme-corp (dot) com. Project Falcon is affected.\n\n"
    "Keep: error 0x80070005 on srv-db01.corp.local:5432, KB5034441, 10.0.0.0/8."
)
SECRETS = (
    "DE89",
    "0532 0130",
    "priya",
    "Priya",
    "Raman",
    "Siobhan",
    "connell",
    "Summer2026",
    "Tr4ffic",
    "4111.1111",
    "536-90-4399",
    "00:1A:2B",
    "Amphitheatre",
    "94043",
    "jane (at)",
    "Falcon",
)
KEPT = ("0x80070005", "srv-db01.corp.local:5432", "KB5034441", "10.0.0.0/8")


def _assert_clean(text: str, where: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"{where} shows {leaked}"


def test_nothing_planted_reaches_the_expert_anywhere(
    org,
    owner,
    colleague,
    manager,
    make_expert,
    login,
    django_capture_on_commit_callbacks,
    make_open_ticket,
):
    ticket = make_open_ticket(org, colleague, PLANTED_TITLE, PLANTED_BODY)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_escalate(
            ticket=ticket,
            actor=owner,
            confirmed_price_cents=PRICE,
            masking_terms=["Project Falcon"],
        )
    _assert_clean(ticket.masked_title + ticket.masked_body, "the stored copy")
    for kept in KEPT:
        assert kept in ticket.masked_body
    assert "[iban]" in ticket.masked_title and "[name]" in ticket.masked_title

    expert = make_expert(skills=("network",))
    client = login(expert)
    _assert_clean(client.get(reverse("expert_queue")).content.decode(), "the queue page")
    page = client.get(reverse("expert_ticket", args=[ticket.pk])).content.decode()
    _assert_clean(page, "the ticket page")

    _, secret = expert_api_key_create(expert=expert, actor=expert, name="ci")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    api = client.get("/api/v1/expert/queue/", **headers)
    assert api.status_code == 200
    _assert_clean(json.dumps(api.json()), "the expert API queue")
    detail = client.get(f"/api/v1/expert/tickets/{ticket.pk}/", **headers)
    _assert_clean(json.dumps(detail.json()), "the expert API ticket")

    with django_capture_on_commit_callbacks(execute=True):
        claim = expert_services.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
        answer = expert_services.expert_answer_submit(
            expert=expert,
            claim_id=claim.pk,
            body="Ask Priya Raman to reconnect; Siobhan can reset it. Renew the VPN profile.",
        )
        services.expert_answer_accept(ticket=ticket, actor=owner, answer_id=answer.pk, score=5)
    to_expert = [m for m in mail.outbox if m.to == [expert.email]]
    assert to_expert, "the expert was told of the acceptance"
    for message in to_expert:
        _assert_clean(f"{message.subject}\n{message.body}", "an e-mail to the expert")
    article = KnowledgeArticle.objects.get(source_ticket=ticket)
    _assert_clean(article.title + article.body, "the article made from the answer")
    assert "Renew the VPN profile" in article.body


def test_members_names_are_masked_in_every_form(org, owner, colleague, manager, make_open_ticket):
    ticket = make_open_ticket(
        org,
        owner,
        "PRIYA cannot print",
        "raman's queue is stuck; Siobhan O'Connell and SIOBHAN agree. Will it print?",
    )
    copy = masking_services.ticket_masked_copy(ticket=ticket)
    assert copy.title == "[name] cannot print"
    assert copy.body.startswith("[name]'s queue is stuck; [name] and [name] agree.")
    # An ordinary word is not taken for a name although a member might be called "Will".
    assert copy.body.endswith("Will it print?")


def test_an_email_tickets_requester_is_masked_like_an_author(org, make_open_ticket):
    from solutions.models import Contact

    requester = Contact.objects.create(
        organization=org, email="dora.quetzal@customer.test", name="Zoltan Kowalczyk"
    )
    # Lower-case, no greeting or signature: only knowing the requester finds these names.
    ticket = make_open_ticket(
        org,
        None,
        "kowalczyk cannot print",
        "the print queue of kowalczyk is stuck since monday, says quetzal.",
        requester=requester,
    )
    copy = masking_services.ticket_masked_copy(ticket=ticket)
    assert copy.title == "[name] cannot print"
    assert copy.body == "the print queue of [name] is stuck since monday, says [name]."


def test_names_from_earlier_signatures_are_masked_in_later_prose(
    org, owner, django_capture_on_commit_callbacks, make_open_ticket
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.ticket_submit(
            organization=org,
            author=owner,
            title="Scanner offline",
            body="The scanner on floor 3 is offline.\n\nThanks,\nMarta Kowalczyk\nFacilities",
        )
    assert KnownName.objects.filter(organization=org, key="marta kowalczyk").exists()
    assert KnownName.objects.get(organization=org).ticket == first
    later = make_open_ticket(
        org, owner, "Badge reader", "kowalczyk reports the badge reader beeps."
    )
    copy = masking_services.ticket_masked_copy(ticket=later)
    assert copy.body == "[name] reports the badge reader beeps."


def test_learning_keeps_only_what_starts_with_a_first_name(org):
    learned = masking_services.known_names_learn(
        organization=org, names=["Marta Kowalczyk", "Access Point", "Grid View", "Jo"]
    )
    assert learned == 1
    assert list(KnownName.objects.values_list("name", flat=True)) == ["Marta Kowalczyk"]


def test_owners_words_to_hide_for_the_organization_and_for_one_escalation(
    org, owner, make_open_ticket
):
    settings = services.solution_settings_for(org)
    settings.masking_terms = ["Contoso"]
    settings.save()
    ticket = make_open_ticket(
        org, owner, "Contoso portal down", "BLUEBIRD release broke contoso login"
    )
    escalated = services.ticket_escalate(
        ticket=ticket, actor=owner, confirmed_price_cents=PRICE, masking_terms=["bluebird"]
    )
    assert escalated.masked_title == "[redacted] portal down"
    assert escalated.masked_body == "[redacted] release broke [redacted] login"
    assert escalated.masking_terms == ["bluebird"]


@pytest.mark.parametrize(
    ("terms", "error"),
    [
        (["x"], "too short or too long"),
        (["a" * 101], "too short"),
        ([f"w{i}" for i in range(101)], "at most 100"),
    ],
)
def test_bad_words_to_hide_are_refused_with_a_reason(org, owner, terms, error, make_open_ticket):
    ticket = make_open_ticket(org, owner, "VPN", "VPN drops")
    with pytest.raises(Exception, match=error):
        services.ticket_escalate(
            ticket=ticket, actor=owner, confirmed_price_cents=PRICE, masking_terms=terms
        )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEEDS_EXPERT


def test_the_escalation_page_previews_the_expert_copy_with_added_words(
    org, owner, colleague, login, make_open_ticket
):
    ticket = make_open_ticket(org, owner, "Falcon VPN for priya", "Priya uses the Falcon VPN.")
    client = login(owner)
    page = client.get(reverse("ticket_escalate", args=[ticket.number])).content.decode()
    assert 'data-testid="expert-preview"' in page
    assert "Priya" not in page.split('data-testid="expert-preview"')[1].split("</div>")[0]
    assert "Falcon" in page  # not yet asked to hide
    preview = client.post(
        reverse("ticket_escalate", args=[ticket.number]),
        {"price_cents": str(PRICE), "terms": "Falcon", "intent": "preview"},
    )
    assert preview.status_code == 200
    section = preview.content.decode().split('data-testid="expert-preview"')[1].split("</div>")[0]
    assert "Falcon" not in section and "[redacted]" in section
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEEDS_EXPERT  # previewing escalates nothing
    client.post(
        reverse("ticket_escalate", args=[ticket.number]),
        {"price_cents": str(PRICE), "terms": "Falcon", "intent": "escalate"},
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ESCALATED
    assert "Falcon" not in ticket.masked_title + ticket.masked_body


def test_owners_set_words_to_hide_and_forget_learned_names_on_the_settings_page(
    org, owner, login, make_user, add_member, make_open_ticket
):
    masking_services.known_names_learn(organization=org, names=["Marta Kowalczyk"])
    client = login(owner)
    page = client.get(reverse("solution_settings"))
    assert "Marta Kowalczyk" in page.content.decode()
    saved = client.post(
        reverse("solution_settings"),
        {
            "auto_answer_threshold": "0.6",
            "precision_target": "95",
            "categories": "",
            "masking_terms": "Falcon\nContoso",
        },
    )
    assert saved.status_code == 302
    assert services.solution_settings_for(org).masking_terms == ["Falcon", "Contoso"]
    ticket = make_open_ticket(org, owner, "Falcon down", "contoso users cannot log in")
    copy = masking_services.ticket_masked_copy(ticket=ticket)
    assert "Falcon" not in copy.title and "contoso" not in copy.body

    known = KnownName.objects.get(organization=org)
    client.post(reverse("solution_settings"), {"forget_name": str(known.pk)})
    assert not KnownName.objects.filter(organization=org).exists()
    # Agents can't change what is masked.
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    masking_services.known_names_learn(organization=org, names=["Marta Kowalczyk"])
    again = KnownName.objects.get(organization=org)
    assert (
        login(agent).post(reverse("solution_settings"), {"forget_name": str(again.pk)}).status_code
        == 403
    )
    assert KnownName.objects.filter(pk=again.pk).exists()
    bad = client.post(
        reverse("solution_settings"),
        {
            "auto_answer_threshold": "0.6",
            "precision_target": "95",
            "categories": "",
            "masking_terms": "x",
        },
    )
    assert bad.status_code == 400 and "too short" in bad.content.decode()
