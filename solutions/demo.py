"""Demo data for `make run`: the demo expert's profile, Acme's knowledge base and a few
tickets in each state, made through the same services the product uses. Idempotent: each
part is skipped when it exists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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


# ---------------------------------------------------------------- a month of history

HISTORY_EXPERT = ("sam@experts.test", "Sam Senior")
HISTORY_DAYS = 28
# (title, category, priority, resolver): resolved by the AI, an expert, the team ("internal"),
# or still open (""). Cycled over the last four weeks so the Reports page has something to say.
HISTORY_TICKETS = [
    ("Reset my VPN token", "Access & Accounts", "medium", "ai"),
    ("Outlook signature lost after update", "Email", "low", "ai"),
    ("Teams camera not detected", "Hardware", "medium", "expert"),
    ("Shared mailbox not showing", "Email", "medium", "ai"),
    ("Printer on floor 2 prints blank pages", "Printing", "low", "internal"),
    ("SSO loop when opening the CRM", "Cloud & SaaS", "high", "expert"),
    ("Password expired while travelling", "Access & Accounts", "high", "ai"),
    ("Phishing e-mail reported", "Security", "critical", "internal"),
    ("Wi-Fi drops in meeting room B", "Network", "medium", "expert"),
    ("Excel crashes when opening macros", "Software", "medium", "ai"),
    ("New laptop for a starter", "Hardware", "low", ""),
    ("OneDrive sync stuck at 99%", "Cloud & SaaS", "medium", "ai"),
    ("MFA prompt never arrives", "Access & Accounts", "high", "ai"),
    ("Docking station flickers", "Hardware", "low", "internal"),
    ("Calendar invites arrive twice", "Email", "low", "ai"),
    ("Firewall blocks the payroll site", "Network", "high", "expert"),
    ("Install Adobe Acrobat", "Software", "low", "ai"),
    ("Suspicious login alert", "Security", "critical", "expert"),
    ("Scanner saves to the wrong folder", "Printing", "low", "ai"),
    ("Slack notifications stopped", "Cloud & SaaS", "low", ""),
]
HISTORY_CHANNELS = ("web", "web", "email", "api", "web")


def seed_history_demo(*, organization: Organization, agent: User, owner: User) -> list[Ticket]:
    """Four weeks of resolved and open tickets (AI, expert and internal resolutions, first
    responses, claims in and out of their SLA, the usage they billed), written with their
    past times so that the Reports page shows a history on a fresh `make run`. The services
    stamp "now", so the rows are written here directly; idempotent (skipped once the history's
    expert has claims in the organization). Returns the resolved tickets it made."""
    from django.db.models import Max
    from django.utils import timezone

    from billing import services as billing

    from .models import Claim, ExpertAnswer, TicketEvent, TicketMessage, TicketSuggestion

    email, name = HISTORY_EXPERT
    expert = User.objects.filter(email__iexact=email).first()
    if expert is None:
        expert = User.objects.create(email=email, full_name=name)
        expert.set_unusable_password()
        expert.save(update_fields=["password"])
    if Claim.objects.filter(expert=expert, ticket__organization=organization).exists():
        return []
    now = timezone.now()
    first = now - timedelta(days=HISTORY_DAYS)
    number = Ticket.objects.filter(organization=organization).aggregate(n=Max("number"))["n"] or 0
    resolved: list[Ticket] = []
    rounds = 3
    total = rounds * len(HISTORY_TICKETS)
    with transaction.atomic():
        for i in range(total):
            title, category, priority, resolver = HISTORY_TICKETS[i % len(HISTORY_TICKETS)]
            number += 1
            created = first + timedelta(hours=HISTORY_DAYS * 24 * i / total + 8 + i % 5)
            if created > now - timedelta(hours=2):
                break
            ticket = Ticket.objects.create(
                organization=organization,
                author=agent,
                number=number,
                title=title,
                body=f"{title}. Started this week; details on request.",
                channel=HISTORY_CHANNELS[i % len(HISTORY_CHANNELS)],
                category=category,
                priority=priority,
                predicted_category=category,
                predicted_priority=priority,
                status=Ticket.Status.NEEDS_EXPERT,
                created_at=created,
            )
            TicketEvent.objects.create(
                ticket=ticket, kind="submitted", message="Submitted the ticket.", created_at=created
            )
            triaged = created + timedelta(seconds=20 + (i * 7) % 70)
            TicketEvent.objects.create(
                ticket=ticket, kind="triaged", message=f"Triaged as {category}.",
                details={"outcome": "confident"}, created_at=triaged,
            )  # fmt: skip
            if resolver == "ai":
                TicketSuggestion.objects.create(
                    ticket=ticket, rank=1, source_kind="article", source_key=f"demo:{i}",
                    title=f"How to: {title.lower()}", answer="Follow the article's steps.",
                    score=0.82, probability=0.8, proposed=True, feedback="solved",
                )  # fmt: skip
                done = triaged + timedelta(minutes=10 + (i * 13) % 170)
                _history_resolve(ticket, "ai", done, "resolved_by_suggestion")
                billing.usage_record(
                    organization=organization, kind="ai_answer", ticket=ticket,
                    idempotency_key=f"org:{organization.pk}:ticket:{ticket.pk}:ai_answer",
                    occurred_at=done,
                )  # fmt: skip
                resolved.append(ticket)
            elif resolver == "expert":
                claimed = triaged + timedelta(minutes=30 + (i * 11) % 90)
                late = i % 4 == 3  # one claim in four lapsed first, then another answered
                if late:
                    Claim.objects.create(
                        ticket=ticket, expert=expert, status=Claim.Status.EXPIRED,
                        claimed_at=claimed, due_at=claimed + timedelta(hours=4),
                        ended_at=claimed + timedelta(hours=4),
                        breached_at=claimed + timedelta(hours=4),
                    )  # fmt: skip
                    claimed += timedelta(hours=4, minutes=20)
                answered = claimed + timedelta(hours=1 + i % 3)
                claim = Claim.objects.create(
                    ticket=ticket, expert=expert, status=Claim.Status.ANSWERED,
                    claimed_at=claimed, due_at=claimed + timedelta(hours=4), ended_at=answered,
                )  # fmt: skip
                TicketMessage.objects.create(
                    ticket=ticket, claim=claim, author=expert, side="expert",
                    body="Looking into it: which version do you run?",
                    created_at=claimed + timedelta(minutes=15),
                )  # fmt: skip
                price = 4000 if priority == "low" else 8000 if priority != "critical" else 15000
                ExpertAnswer.objects.create(
                    ticket=ticket, expert=expert, claim=claim, body="Here is the fix.",
                    status=ExpertAnswer.Status.ACCEPTED, price_cents=price,
                    created_at=answered, accepted_at=answered + timedelta(hours=3),
                )  # fmt: skip
                done = answered + timedelta(hours=3)
                Ticket.objects.filter(pk=ticket.pk).update(
                    assignee=expert, expert_price_cents=price, escalated_at=triaged
                )
                _history_resolve(ticket, "expert", done, "answer_accepted")
                billing.usage_record(
                    organization=organization, kind="expert_answer", ticket=ticket,
                    unit_price_cents=price, occurred_at=done,
                    idempotency_key=f"org:{organization.pk}:demo-history:{ticket.pk}:expert",
                )  # fmt: skip
                resolved.append(ticket)
            elif resolver == "internal":
                TicketMessage.objects.create(
                    ticket=ticket, author=owner, side="customer",
                    body="On it — I'll come by your desk.",
                    created_at=triaged + timedelta(minutes=25),
                )  # fmt: skip
                closed = triaged + timedelta(hours=2 + i % 4)
                Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
                TicketEvent.objects.create(
                    ticket=ticket, actor=owner, kind="closed", message="Closed the ticket",
                    created_at=closed,
                )  # fmt: skip
    return resolved


def _history_resolve(ticket: Ticket, resolution: str, when: datetime, kind: str) -> None:
    from .models import TicketEvent

    Ticket.objects.filter(pk=ticket.pk).update(
        status=Ticket.Status.RESOLVED, resolution=resolution, resolved_at=when
    )
    ticket.status, ticket.resolution, ticket.resolved_at = Ticket.Status.RESOLVED, resolution, when
    # bulk_create sends no post_save: the reports app's receiver (a survey per resolution)
    # stays quiet, and the history's surveys are seeded with their answers instead.
    TicketEvent.objects.bulk_create(
        [TicketEvent(ticket=ticket, kind=kind, message="Resolved.", created_at=when)]
    )
