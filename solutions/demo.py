"""Demo data for `make run`: the demo expert's profile, Acme's knowledge base and a few
tickets in each state, made through the same services the product uses. Idempotent: each
part is skipped when it exists."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from accounts.models import Organization, User

from .models import ExpertProfile, KnowledgeArticle, Ticket
from .services import conversations, experts, knowledge, tickets

DEMO_DIR = Path(settings.BASE_DIR) / "demo"
DEMO_CATEGORIES = [
    "Access & Accounts",
    "Cloud & SaaS",
    "Email",
    "Hardware",
    "Network",
    "Printing",
    "Security",
    "Software",
]


@dataclass(frozen=True)
class DemoTicket:
    title: str
    body: str
    category: str
    priority: str
    stage: str  # submitted | escalated | claimed | answered | resolved | closed
    answer: str = ""


DEMO_TICKETS = [
    DemoTicket(
        "Outlook asks for my password again and again",
        "Since this morning Outlook on my laptop keeps popping up the password prompt every "
        "few minutes. Webmail works fine.\n\nThanks,\nMaria Lopez",
        "Email",
        "medium",
        "submitted",
    ),
    # Says too little to triage: once the starter model is ready it asks the requester for
    # detail (which device, what error, since when) instead of guessing.
    DemoTicket(
        "It doesn't work",
        "it doesn't work, please help",
        "Hardware",
        "medium",
        "submitted",
    ),
    DemoTicket(
        "Docking station does not detect the second monitor",
        "Hi team,\nmy USB-C dock only drives one of my two monitors since the last Windows "
        "update. I tried another cable. My desk phone is +1 415 555 0134 if you need me.",
        "Hardware",
        "low",
        "escalated",
    ),
    DemoTicket(
        "Cannot open the finance share from the VPN",
        "When I'm on the VPN, \\\\fs01\\finance says access denied; in the office it works. "
        "My account is j.chen@acme.test.",
        "Access & Accounts",
        "high",
        "claimed",
    ),
    DemoTicket(
        "VPN disconnects every 10 minutes at home",
        "The GlobalProtect VPN drops every ten minutes on my home wifi (router at "
        "192.168.1.1). Colleagues on the same build are fine.",
        "Network",
        "high",
        "answered",
        "This pattern usually comes from the router's **UDP session timeout**.\n\n"
        "1. Open the router admin page and raise the UDP timeout to at least 300 s.\n"
        "2. If you can't, switch the VPN client to *TCP* under Settings → Connection.\n"
        "3. Reconnect and check the log: the `keep-alive timeout` lines should stop.",
    ),
    DemoTicket(
        "Printer on floor 3 shows offline for everyone",
        "The HP printer on floor 3 is offline for all of us since the network maintenance "
        "last night. Its display says it has an IP address.",
        "Printing",
        "medium",
        "resolved",
        "After the maintenance the print server kept the printer's **old IP address**.\n\n"
        "- On the print server, open the printer's port and set the address shown on the "
        "printer's display (or better, give the printer a DHCP reservation).\n"
        "- Restart the *Print Spooler* service.\n\nEveryone's queue comes back within a minute.",
    ),
    DemoTicket(
        "Request: install Visio on my laptop",
        "Please install Visio, I need it for the network diagrams of the new office.",
        "Software",
        "low",
        "closed",
    ),
]


def seed_solutions_demo(
    *, organization: Organization, owner: User, agent: User, expert: User
) -> list[str]:
    """Returns what it did, for the command's output."""
    done = []
    if not ExpertProfile.objects.filter(user=expert).exists():
        experts.expert_profile_save(
            user=expert,
            headline="IT generalist: networks, Microsoft 365, endpoints",
            bio="Fifteen years of helpdesk and sysadmin work for mid-sized companies.",
            skills=[c.lower() for c in DEMO_CATEGORIES],
            price_per_answer_cents=5000,
            available=True,
        )
        # Vetting is a staff act on the platform; the demo expert starts vetted.
        ExpertProfile.objects.filter(user=expert).update(vetted=True)
        done.append("demo expert profile (vetted)")
    current = tickets.solution_settings_for(organization)
    if not current.categories:
        tickets.solution_settings_update(
            organization=organization,
            actor=owner,
            auto_answer_threshold=current.auto_answer_threshold,
            categories=DEMO_CATEGORIES,
        )
    if not KnowledgeArticle.objects.filter(organization=organization).exists():
        result = knowledge.articles_import_csv(
            organization=organization,
            actor=owner,
            content=(DEMO_DIR / "articles.csv").read_bytes(),
        )
        done.append(f"{result.created} knowledge articles")
    if not Ticket.objects.filter(organization=organization).exists():
        for demo in DEMO_TICKETS:
            _demo_ticket(organization, agent, expert, demo)
        done.append(f"{len(DEMO_TICKETS)} demo tickets")
    return done


def _demo_ticket(organization: Organization, agent: User, expert: User, demo: DemoTicket) -> None:
    with transaction.atomic():
        ticket = tickets.ticket_submit(
            organization=organization, author=agent, title=demo.title, body=demo.body
        )
        if demo.stage == "submitted":
            return
        ticket = tickets.ticket_correct(
            ticket=ticket, actor=agent, category=demo.category, priority=demo.priority
        )
        if demo.stage == "closed":
            tickets.ticket_close(ticket=ticket, actor=agent)
            return
        ticket = tickets.ticket_escalate(
            ticket=ticket,
            actor=agent,
            confirmed_price_cents=tickets.escalation_price_cents(ticket),
        )
        if demo.stage == "escalated":
            return
        claim = experts.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
        if demo.stage == "claimed":
            _demo_conversation(ticket, agent, expert)
            return
        answer = experts.expert_answer_submit(expert=expert, claim_id=claim.pk, body=demo.answer)
        if demo.stage == "answered":
            return
        tickets.expert_answer_accept(
            ticket=ticket, actor=agent, answer_id=answer.pk, score=5, comment="Fixed it, thanks!"
        )


def _demo_conversation(ticket: Ticket, agent: User, expert: User) -> None:
    """The claimed ticket's conversation: a note of the team's and the expert's clarifying
    question, so the demo shows "Waiting for you" and a paused SLA clock."""
    conversations.message_post(
        ticket_id=ticket.pk,
        author=agent,
        side="customer",
        kind="note",
        body="Jin says it started after the VPN client update on Monday. Not for the expert.",
    )
    conversations.message_post(
        ticket_id=ticket.pk,
        author=expert,
        side="expert",
        kind="question",
        body="Which VPN gateway do you connect to (the portal name in the client), and does "
        "`net use` show the share mapped with your account or a cached one?",
    )
