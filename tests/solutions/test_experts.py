"""The expert side through its services and pages: profiles and vetting, queue matching and
order, masking, claims (limit, release, expiry), answers and their notifications, SLA warnings,
batched new-ticket notices, the directory and the notifications page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLogEntry, Role
from config.celery_app import app as celery_app
from solutions.models import Claim, ExpertAnswer, ExpertProfile, Notification, Ticket
from solutions.services import experts as services
from solutions.tasks import experts as tasks_experts

SECRET = "hunter2-Pr0d-Passw0rd"
EMAIL = "jane.doe@acme.example"
ANSWER = "Renew the **DHCP lease**, then restart the VPN client."


@pytest.fixture
def org(make_org):
    return make_org()


@pytest.fixture
def author(org):
    return org.memberships.get().user


@pytest.fixture
def secret_ticket(org, author, make_escalated_ticket):
    """An escalated ticket whose original text holds a password and an email address."""
    return make_escalated_ticket(
        org,
        author=author,
        title=f"VPN login fails with {SECRET}",
        body=f"My password {SECRET} stopped working; write to {EMAIL}.",
        masked_title="VPN login fails with [secret]",
        masked_body="My password [secret] stopped working; write to [email].",
    )


def _claim(expert, ticket):
    return services.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _with_status(ticket, status):
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()
    return ticket


# ---------------------------------------------------------------- profiles and vetting


def test_profile_save_normalises_skills_and_waits_for_vetting(make_user):
    user = make_user()
    profile = services.expert_profile_save(
        user=user,
        headline="  Network   engineer ",
        bio="Ten years of VPNs.",
        skills=[" Network ", "network", "EMAIL", "", "Access  &  Permissions"],
        price_per_answer_cents=4500,
        available=True,
    )
    assert profile.skills == ["network", "email", "access & permissions"]
    assert profile.headline == "Network engineer"
    assert not profile.vetted
    again = services.expert_profile_save(
        user=user,
        headline="Network engineer",
        bio="",
        skills=["hardware"],
        price_per_answer_cents=5000,
        available=False,
    )
    assert again.pk == profile.pk and again.skills == ["hardware"] and not again.available
    actions = list(AuditLogEntry.objects.filter(actor=user).values_list("action", flat=True))
    assert "expert.profile_created" in actions and "expert.profile_updated" in actions


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"skills": []}, "skills"),
        ({"skills": [" ", ","]}, "skills"),
        ({"skills": [f"skill {i}" for i in range(21)]}, "skills"),
        ({"skills": ["x" * 41]}, "skills"),
        ({"headline": "   "}, "headline"),
        ({"headline": "h" * 141}, "headline"),
        ({"bio": "b" * 5001}, "bio"),
        ({"price_per_answer_cents": 99}, "price_per_answer_cents"),
        ({"price_per_answer_cents": 100_001}, "price_per_answer_cents"),
    ],
)
def test_profile_save_refuses_bad_input(make_user, changes, field):
    fields = {
        "headline": "Generalist",
        "bio": "",
        "skills": ["network"],
        "price_per_answer_cents": 4000,
        "available": True,
        **changes,
    }
    user = make_user()
    with pytest.raises(ValidationError) as exc:
        services.expert_profile_save(user=user, **fields)
    assert field in exc.value.message_dict
    assert not ExpertProfile.objects.filter(user=user).exists()


def test_only_staff_vet_and_the_expert_is_told(make_user, make_expert):
    expert = make_expert(vetted=False)
    profile = expert.expert_profile
    with pytest.raises(PermissionDenied):
        services.expert_vet(profile=profile, actor=make_user())
    staff = make_user()
    staff.is_staff = True
    staff.save()
    services.expert_vet(profile=profile, actor=staff)
    profile.refresh_from_db()
    assert profile.vetted
    assert Notification.objects.get(user=expert).kind == "expert_vetted"
    assert AuditLogEntry.objects.filter(actor=staff, action="expert.vetted").count() == 1
    services.expert_vet(profile=profile, actor=staff, vetted=False)
    profile.refresh_from_db()
    assert not profile.vetted


# ---------------------------------------------------------------- the queue


def test_queue_matches_skills_case_insensitively_most_urgent_first(
    org, make_expert, make_escalated_ticket
):
    expert = make_expert(skills=("network", "hardware"))
    now = timezone.now()
    low = make_escalated_ticket(org, category="Network", priority="low")
    high_late = make_escalated_ticket(
        org, category="NETWORK", priority="high", escalated_at=now - timedelta(minutes=5)
    )
    high_early = make_escalated_ticket(
        org, category="hardware", priority="high", escalated_at=now - timedelta(hours=2)
    )
    critical = make_escalated_ticket(org, category="network", priority="critical")
    custom = make_escalated_ticket(org, category="network", priority="whenever")
    make_escalated_ticket(org, category="email", priority="critical")
    _with_status(make_escalated_ticket(org), Ticket.Status.NEEDS_EXPERT)
    _with_status(make_escalated_ticket(org), Ticket.Status.CLAIMED)

    queue = list(services.expert_queue(expert=expert))
    assert queue == [critical, high_early, high_late, low, custom]


@pytest.mark.parametrize("profile", [{"vetted": False}, {"available": False}])
def test_unvetted_or_unavailable_experts_see_nothing(
    org, make_expert, make_escalated_ticket, make_user, profile
):
    ticket = make_escalated_ticket(org)
    expert = make_expert(**profile)
    assert not services.expert_queue(expert=expert).exists()
    assert not services.expert_queue(expert=make_user()).exists()
    with pytest.raises(ValidationError):
        _claim(expert, ticket)


# ---------------------------------------------------------------- claims


def test_claim_takes_the_ticket_until_the_sla_of_its_priority(org, make_expert, secret_ticket):
    expert = make_expert()
    before = timezone.now()
    claim = _claim(expert, secret_ticket)
    secret_ticket.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE
    # High priority: 4 hours by billing's default SLA.
    assert timedelta(hours=4) <= claim.due_at - before < timedelta(hours=4, seconds=30)
    assert secret_ticket.status == Ticket.Status.CLAIMED
    assert secret_ticket.assignee == expert and secret_ticket.sla_due_at == claim.due_at
    assert secret_ticket.events.filter(kind="claimed").count() == 1
    assert not services.expert_queue(expert=make_expert()).exists()


def test_a_second_claim_is_refused_with_a_clear_message(org, make_expert, secret_ticket):
    _claim(make_expert(), secret_ticket)
    with pytest.raises(ValidationError) as exc:
        _claim(make_expert(), secret_ticket)
    assert exc.value.messages == ["Someone else claimed this ticket first."]
    assert Claim.objects.filter(ticket=secret_ticket).count() == 1


@pytest.mark.parametrize(
    "status", [Ticket.Status.NEEDS_EXPERT, Ticket.Status.ANSWERED, Ticket.Status.RESOLVED]
)
def test_only_escalated_tickets_can_be_claimed(org, make_expert, make_escalated_ticket, status):
    ticket = _with_status(make_escalated_ticket(org), status)
    with pytest.raises(ValidationError) as exc:
        _claim(make_expert(), ticket)
    assert exc.value.messages == [services.NOT_OPEN]
    assert not Claim.objects.exists()


def test_claims_outside_the_skills_or_of_unknown_tickets_are_refused(
    org, make_expert, make_escalated_ticket
):
    expert = make_expert(skills=("email",))
    with pytest.raises(ValidationError, match="does not match your skills"):
        _claim(expert, make_escalated_ticket(org, category="network"))
    with pytest.raises(ValidationError):
        services.expert_claim_ticket(expert=expert, ticket_id=999_999)


def test_concurrent_claims_are_limited_per_expert(org, make_expert, make_escalated_ticket):
    expert = make_expert(max_concurrent_claims=2)
    tickets = [make_escalated_ticket(org) for _ in range(3)]
    first = _claim(expert, tickets[0])
    _claim(expert, tickets[1])
    with pytest.raises(ValidationError, match="your limit"):
        _claim(expert, tickets[2])
    services.expert_release_claim(expert=expert, claim_id=first.pk)
    assert _claim(expert, tickets[2]).status == Claim.Status.ACTIVE


def test_release_returns_the_ticket_to_the_queue(org, make_expert, secret_ticket):
    expert, other = make_expert(), make_expert()
    claim = _claim(expert, secret_ticket)
    with pytest.raises(ValidationError):
        services.expert_release_claim(expert=other, claim_id=claim.pk)
    services.expert_release_claim(expert=expert, claim_id=claim.pk)
    claim.refresh_from_db()
    secret_ticket.refresh_from_db()
    assert claim.status == Claim.Status.RELEASED and claim.ended_at is not None
    assert secret_ticket.status == Ticket.Status.ESCALATED
    assert secret_ticket.assignee is None and secret_ticket.sla_due_at is None
    assert list(services.expert_queue(expert=other)) == [secret_ticket]
    with pytest.raises(ValidationError, match="already released"):
        services.expert_release_claim(expert=expert, claim_id=claim.pk)


def test_an_expired_claim_returns_the_ticket_and_stays_on_the_record(
    org, make_expert, secret_ticket, django_capture_on_commit_callbacks
):
    expert = make_expert()
    claim = _claim(expert, secret_ticket)
    assert services.claims_expire_due(now=claim.due_at - timedelta(seconds=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.claims_expire_due(now=claim.due_at + timedelta(seconds=1)) == 1
    claim.refresh_from_db()
    secret_ticket.refresh_from_db()
    assert claim.status == Claim.Status.EXPIRED
    assert secret_ticket.status == Ticket.Status.ESCALATED and secret_ticket.assignee is None
    assert ExpertProfile.objects.get(user=expert).expired_claims == 1
    assert secret_ticket.events.filter(kind="claim_expired").count() == 1
    notice = Notification.objects.get(user=expert, kind="claim_expired")
    assert SECRET not in notice.message and "[secret]" in notice.message
    assert [m.to for m in mail.outbox] == [[expert.email]]
    assert services.claims_expire_due(now=claim.due_at + timedelta(hours=1)) == 0
    # The lapsed claim can't be answered any more, and another expert can claim.
    with pytest.raises(ValidationError):
        services.expert_answer_submit(expert=expert, claim_id=claim.pk, body=ANSWER)
    assert _claim(make_expert(), secret_ticket).status == Claim.Status.ACTIVE


def test_the_expiry_task_runs_the_service(org, make_expert, secret_ticket):
    claim = _claim(make_expert(), secret_ticket)
    Claim.objects.filter(pk=claim.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert tasks_experts.claims_expire_task.delay().get() == 1
    assert tasks_experts.sla_warnings_task.delay().get() == 0
    assert tasks_experts.experts_notify_task.delay().get() >= 0


def test_beat_entries_name_registered_tasks():
    from django.conf import settings

    wanted = {
        "solutions.tasks_experts.claims_expire_task",
        "solutions.tasks_experts.sla_warnings_task",
        "solutions.tasks_experts.experts_notify_task",
    }
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert wanted <= scheduled
    # A worker imports `<app>.tasks` by autodiscovery and nothing else (no CELERY_IMPORTS):
    # each app's tasks package imports its modules, so every beat target is registered.
    assert not celery_app.conf.imports
    celery_app.loader.import_default_modules()
    assert scheduled <= set(celery_app.tasks.keys())


# ---------------------------------------------------------------- answers


def test_an_answer_closes_the_claim_and_the_author_is_emailed(
    org, author, make_expert, secret_ticket, django_capture_on_commit_callbacks
):
    expert = make_expert()
    claim = _claim(expert, secret_ticket)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.expert_answer_submit(expert=expert, claim_id=claim.pk, body=ANSWER)
    claim.refresh_from_db()
    secret_ticket.refresh_from_db()
    assert answer.price_cents == 8000 and answer.body == ANSWER
    assert claim.status == Claim.Status.ANSWERED
    assert secret_ticket.status == Ticket.Status.ANSWERED and secret_ticket.assignee == expert
    assert secret_ticket.events.filter(kind="expert_answered").count() == 1
    notice = Notification.objects.get(user=author)
    assert notice.kind == "expert_answered" and notice.organization == org
    assert notice.url == f"/tickets/{secret_ticket.number}/"
    [email] = mail.outbox
    assert email.to == [author.email]
    assert f"/tickets/{secret_ticket.number}/" in str(email.body)
    with pytest.raises(ValidationError, match="answered"):
        services.expert_answer_submit(expert=expert, claim_id=claim.pk, body=ANSWER)


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "at least 20"), ("too short", "at least 20"), ("x" * 20_001, "20,000 characters or")],
)
def test_answers_are_validated(org, make_expert, secret_ticket, body, message):
    expert = make_expert()
    claim = _claim(expert, secret_ticket)
    with pytest.raises(ValidationError, match=message):
        services.expert_answer_submit(expert=expert, claim_id=claim.pk, body=body)
    assert not ExpertAnswer.objects.exists()


def test_only_the_holder_answers_and_only_before_the_deadline(org, make_expert, secret_ticket):
    expert = make_expert()
    claim = _claim(expert, secret_ticket)
    with pytest.raises(ValidationError, match="not yours"):
        services.expert_answer_submit(expert=make_expert(), claim_id=claim.pk, body=ANSWER)
    Claim.objects.filter(pk=claim.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError, match="lapsed"):
        services.expert_answer_submit(expert=expert, claim_id=claim.pk, body=ANSWER)
    assert not ExpertAnswer.objects.exists()


XSS = (
    "Fix it like this, then verify:\n\n<script>alert('xss')</script>\n\n"
    '<img src=x onerror="alert(1)">\n\n[click](javascript:alert(2))\n\n'
    '<a href="#" onclick="steal()">link</a>\n\n```\n<script>in code</script>\n```'
)


def _assert_inert(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered
    assert "onerror" not in lowered and "onclick" not in lowered
    assert "javascript:" not in lowered
    assert "<img" not in lowered


def test_answer_markdown_is_rendered_without_script(org, make_expert, secret_ticket, login, author):
    expert = make_expert()
    claim = _claim(expert, secret_ticket)
    client = login(expert)
    preview = client.post(reverse("expert_answer_preview"), {"body": XSS})
    assert preview.status_code == 200
    _assert_inert(preview.content.decode())
    assert "&lt;script&gt;in code&lt;/script&gt;" in preview.content.decode()
    fallback = client.post(
        reverse("expert_answer", args=[claim.pk]), {"body": XSS, "action": "preview"}
    )
    assert fallback.status_code == 200
    _assert_inert(fallback.content.decode().split('id="answer-preview"')[1])
    services.expert_answer_submit(expert=expert, claim_id=claim.pk, body=XSS)
    # The enterprise reads it on the ticket page through the same |markdown filter.
    from django.template import Context, Template

    html = Template("{% load solutions_tags %}{{ body|markdown }}").render(Context({"body": XSS}))
    _assert_inert(html)


# ---------------------------------------------------------------- scheduled notices


def test_the_author_and_the_expert_are_warned_once_when_the_sla_is_about_to_lapse(
    org, author, make_expert, make_escalated_ticket, django_capture_on_commit_callbacks
):
    # Critical: a 1-hour SLA, so the warning window is the 30-minute floor (20% is 12 min).
    ticket = make_escalated_ticket(org, author=author, priority="critical")
    expert = make_expert()
    claim = _claim(expert, ticket)
    assert services.sla_warnings_send(now=claim.due_at - timedelta(minutes=31)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_warnings_send(now=claim.due_at - timedelta(minutes=29)) == 1
    assert services.sla_warnings_send(now=claim.due_at - timedelta(minutes=10)) == 0
    notice = Notification.objects.get(user=author, kind="sla_warning")
    assert "29 minutes" in notice.message and notice.url == f"/tickets/{ticket.number}/"
    to_expert = Notification.objects.get(user=expert, kind="sla_warning")
    assert "29 minutes" in to_expert.message and ticket.masked_title in to_expert.message
    assert to_expert.url == f"/experts/tickets/{ticket.pk}/"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([author.email, expert.email])
    ticket.refresh_from_db()
    assert ticket.sla_warned_at is not None


def test_long_slas_are_warned_at_a_fifth_of_the_window(
    org, author, make_expert, make_escalated_ticket
):
    # Low: 72 hours, so the warning comes 14.4 hours before the deadline.
    ticket = make_escalated_ticket(org, author=author, priority="low")
    claim = _claim(make_expert(), ticket)
    assert services.sla_warnings_send(now=claim.due_at - timedelta(hours=15)) == 0
    assert services.sla_warnings_send(now=claim.due_at - timedelta(hours=14)) == 1


def test_a_new_claim_after_a_release_can_be_warned_again(org, author, make_expert, secret_ticket):
    expert = make_expert()
    first = _claim(expert, secret_ticket)
    assert services.sla_warnings_send(now=first.due_at - timedelta(minutes=5)) == 1
    services.expert_release_claim(expert=expert, claim_id=first.pk)
    second = _claim(expert, secret_ticket)
    assert services.sla_warnings_send(now=second.due_at - timedelta(minutes=5)) == 1
    assert Notification.objects.filter(user=author, kind="sla_warning").count() == 2


def test_experts_get_one_batched_notice_of_new_matching_tickets(
    org, make_expert, make_escalated_ticket, django_capture_on_commit_callbacks
):
    network = make_expert(skills=("network",))
    email_only = make_expert(skills=("email",))
    unvetted = make_expert(skills=("network",), vetted=False)
    now = timezone.now()
    for _ in range(3):
        make_escalated_ticket(org, category="Network", escalated_at=now - timedelta(minutes=3))
    make_escalated_ticket(org, category="hardware", escalated_at=now - timedelta(minutes=3))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.experts_notify_new_tickets(now=now) == 1
    [notice] = Notification.objects.filter(user=network)
    assert notice.message == "3 new tickets match your skills."
    assert notice.url == reverse("expert_queue")
    assert [m.to for m in mail.outbox] == [[network.email]]
    assert not Notification.objects.filter(user__in=[email_only, unvetted]).exists()

    assert services.experts_notify_new_tickets(now=now + timedelta(minutes=10)) == 0
    make_escalated_ticket(org, category="network", escalated_at=now + timedelta(minutes=12))
    assert services.experts_notify_new_tickets(now=now + timedelta(minutes=20)) == 1
    latest = Notification.objects.filter(user=network).first()
    assert latest is not None and latest.message == "1 new ticket matches your skills."


# ---------------------------------------------------------------- pages


def test_onboarding_creates_a_pending_profile(make_user, login, make_expert):
    user = make_user()
    client = login(user)
    assert client.get(reverse("expert_onboarding")).status_code == 200
    bad = client.post(
        reverse("expert_onboarding"),
        {"headline": "", "skills": " , ", "price": "abc", "bio": ""},
    )
    assert bad.status_code == 400
    assert not ExpertProfile.objects.filter(user=user).exists()
    body = bad.content.decode()
    assert "This field is required." in body and "Enter a price in dollars" in body
    assert "Name at least one skill" in body  # every field's error at once
    too_many = client.post(
        reverse("expert_onboarding"),
        {"headline": "Net", "skills": ",".join(f"s{i}" for i in range(25)), "price": "40"},
    )
    assert too_many.status_code == 400 and "at most 20 skills" in too_many.content.decode()
    ok = client.post(
        reverse("expert_onboarding"),
        {"headline": "Network engineer", "skills": "Network, VPN", "price": "45.50", "bio": "x"},
    )
    assert ok.status_code == 302
    profile = ExpertProfile.objects.get(user=user)
    assert profile.skills == ["network", "vpn"] and profile.price_per_answer_cents == 4550
    assert not profile.available  # an unchecked box is "no"
    pending = client.get(reverse("expert_onboarding"))
    assert "pending vetting" in pending.content.decode()
    queue = client.get(reverse("expert_queue"))
    assert queue.status_code == 200 and "pending vetting" in queue.content.decode()
    profile.vetted = True
    profile.save()
    assert client.get(reverse("expert_onboarding")).url == reverse("expert_queue")


def test_profile_page_edits_and_shows_the_record(org, make_expert, secret_ticket, login):
    expert = make_expert()
    claim = _claim(expert, secret_ticket)
    services.claims_expire_due(now=claim.due_at + timedelta(seconds=1))
    client = login(expert)
    page = client.get(reverse("expert_profile"))
    assert page.status_code == 200
    assert page.context["answers_count"] == 0
    assert "[secret]" in page.content.decode()  # the expired claim, by its masked title
    response = client.post(
        reverse("expert_profile"),
        {"headline": "VPN specialist", "skills": "network", "price": "60", "available": "on"},
    )
    assert response.status_code == 302
    assert ExpertProfile.objects.get(user=expert).headline == "VPN specialist"
    assert client.post(reverse("expert_profile"), {"headline": "x"}).status_code == 400


def test_queue_page_lists_matches_and_explains_an_empty_or_closed_queue(
    org, make_expert, secret_ticket, login
):
    expert = make_expert()
    page = login(expert).get(reverse("expert_queue"))
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [r.ticket for r in rows] == [secret_ticket] and rows[0].sla_hours == 4
    # The expert sees what the answer pays them (price $80 less the Starter plan's 20%
    # commission), never the customer's price.
    assert "$64.00" in page.content.decode() and "$80.00" not in page.content.decode()
    empty = login(make_expert(skills=("printing",))).get(reverse("expert_queue"))
    assert 'data-testid="queue-empty"' in empty.content.decode()
    away = login(make_expert(available=False)).get(reverse("expert_queue"))
    assert 'data-testid="queue-unavailable"' in away.content.decode()


def test_no_expert_page_ever_shows_the_original_text(
    org, author, make_expert, secret_ticket, login, django_capture_on_commit_callbacks
):
    expert = make_expert()
    client = login(expert)
    responses = [
        client.get(reverse("expert_queue")),
        client.get(reverse("expert_ticket", args=[secret_ticket.pk])),
    ]
    claimed = client.post(reverse("expert_ticket", args=[secret_ticket.pk]))
    claim = Claim.objects.get(ticket=secret_ticket)
    assert claimed.status_code == 302 and claimed.url == reverse("expert_answer", args=[claim.pk])
    responses += [
        client.get(reverse("expert_ticket", args=[secret_ticket.pk])),
        client.get(reverse("expert_answer", args=[claim.pk])),
        client.get(reverse("expert_claims")),
        client.get(reverse("expert_release", args=[claim.pk])),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        responses.append(
            client.post(reverse("expert_answer", args=[claim.pk]), {"body": ANSWER}, follow=True)
        )
    responses += [
        client.get(reverse("expert_claims")),
        client.get(reverse("expert_profile")),
        client.get(reverse("notifications")),
    ]
    for response in responses:
        assert response.status_code == 200, response.request["PATH_INFO"]
        html = response.content.decode()
        assert SECRET not in html and EMAIL not in html, response.request["PATH_INFO"]
    detail = responses[1].content.decode()
    assert "[email]" in detail and "[secret]" in detail
    assert all(SECRET not in str(m.body) for m in mail.outbox if expert.email in m.to)


def test_tickets_outside_the_queue_are_404(
    org, make_org, make_expert, make_escalated_ticket, login
):
    expert = make_expert(skills=("network",))
    client = login(expert)
    other_skill = make_escalated_ticket(org, category="email")
    not_escalated = _with_status(make_escalated_ticket(org), Ticket.Status.NEEDS_EXPERT)
    held_by_other = make_escalated_ticket(make_org())
    _claim(make_expert(), held_by_other)
    for ticket in (other_skill, not_escalated, held_by_other):
        assert client.get(reverse("expert_ticket", args=[ticket.pk])).status_code == 404
    assert client.get(reverse("expert_ticket", args=[999_999])).status_code == 404
    # A former holder still reads the ticket they worked on.
    mine = make_escalated_ticket(org)
    claim = _claim(expert, mine)
    services.expert_release_claim(expert=expert, claim_id=claim.pk)
    _claim(make_expert(), mine)
    assert client.get(reverse("expert_ticket", args=[mine.pk])).status_code == 200
    # Someone else's claim pages are 404 too.
    assert (
        client.get(reverse("expert_answer", args=[held_by_other.claims.get().pk])).status_code
        == 404
    )
    assert (
        client.post(reverse("expert_release", args=[held_by_other.claims.get().pk])).status_code
        == 404
    )


def test_losing_the_race_on_the_page_says_so(org, make_expert, secret_ticket, login):
    first, second = login(make_expert()), login(make_expert())
    assert second.get(reverse("expert_ticket", args=[secret_ticket.pk])).status_code == 200
    first.post(reverse("expert_ticket", args=[secret_ticket.pk]))
    response = second.post(reverse("expert_ticket", args=[secret_ticket.pk]))
    assert response.status_code == 302 and response.url == reverse("expert_queue")
    assert _messages(response) == ["Someone else claimed this ticket first."]


def test_answer_page_validates_then_sends(org, author, make_expert, secret_ticket, login):
    expert = make_expert()
    claim = _claim(expert, secret_ticket)
    client = login(expert)
    short = client.post(reverse("expert_answer", args=[claim.pk]), {"body": "too short"})
    assert short.status_code == 400 and "at least 20" in short.content.decode()
    empty = client.post(reverse("expert_answer", args=[claim.pk]), {"body": ""})
    assert empty.status_code == 400 and "Write your answer first." in empty.content.decode()
    sent = client.post(reverse("expert_answer", args=[claim.pk]), {"body": ANSWER})
    assert sent.status_code == 302 and sent.url == reverse("expert_claims")
    claims = client.get(reverse("expert_claims"))
    assert [c.status for c in claims.context["page"].object_list] == ["answered"]
    assert not claims.context["active"]
    # The claim is closed: its answer page sends the expert back to their claims.
    assert client.get(reverse("expert_answer", args=[claim.pk])).url == reverse("expert_claims")
    assert client.get(reverse("expert_answer_preview")).status_code == 405


def test_release_goes_through_a_confirmation_page(org, make_expert, secret_ticket, login):
    expert = make_expert()
    claim = _claim(expert, secret_ticket)
    client = login(expert)
    confirm = client.get(reverse("expert_release", args=[claim.pk]))
    assert confirm.status_code == 200 and "Release" in confirm.content.decode()
    released = client.post(reverse("expert_release", args=[claim.pk]))
    assert released.status_code == 302 and released.url == reverse("expert_queue")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.RELEASED
    again = client.post(reverse("expert_release", args=[claim.pk]))
    assert again.status_code == 302 and "already released" in _messages(again)[-1]


def test_directory_is_for_organization_members_without_contact_details(
    org, author, make_expert, make_user, add_member, login
):
    vetted = make_expert(headline="VPN wizard")
    vetted.full_name = "Vera Vetted"
    vetted.save()
    hidden = make_expert(headline="Not yet vetted", vetted=False)
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    page = login(agent).get(reverse("expert_directory"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "VPN wizard" in html and "Vera Vetted" in html and "Not yet vetted" not in html
    assert vetted.email not in html and hidden.email not in html
    filtered = login(agent).get(reverse("expert_directory"), {"skill": "printing"})
    assert 'data-testid="empty-state"' in filtered.content.decode()
    # An expert without an organization lands on their queue; a stranger creates an org.
    assert login(vetted).get(reverse("expert_directory")).url == reverse("expert_queue")
    assert login(make_user()).get(reverse("expert_directory")).url == reverse("organization_create")


def test_notifications_page_lists_marks_read_and_opens(author, make_user, login):
    other = make_user()
    older = Notification.objects.create(user=author, kind="x", message="Older", url="/tickets/1/")
    newer = Notification.objects.create(user=author, kind="x", message="Newer")
    foreign = Notification.objects.create(user=other, kind="x", message="Not yours")
    client = login(author)
    page = client.get(reverse("notifications"))
    assert page.status_code == 200 and page.context["unread_count"] == 2
    assert list(page.context["page"].object_list) == [newer, older]
    assert "Not yours" not in page.content.decode()
    mark = reverse("notifications_mark_read")
    opened = client.post(mark, {"id": older.pk, "open": "1"})
    assert opened.status_code == 302 and opened.url == "/tickets/1/"
    older.refresh_from_db()
    assert older.read_at is not None
    assert client.post(mark, {"id": foreign.pk}).status_code == 404
    assert client.post(mark, {"id": "abc"}).status_code == 404
    assert client.post(mark).status_code == 302
    assert not Notification.objects.filter(user=author, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=foreign.pk).read_at is None
    assert client.get(mark).status_code == 405


def test_notifications_never_redirect_off_site(author, login):
    notice = Notification.objects.create(
        user=author, kind="x", message="Phish", url="https://evil.example/"
    )
    response = login(author).post(
        reverse("notifications_mark_read"), {"id": notice.pk, "open": "1"}
    )
    assert response.url == reverse("notifications")


def test_admin_vets_through_the_service_and_shows_the_rest_read_only(
    make_user, make_expert, login, secret_ticket
):
    operator = make_user()
    operator.is_staff = operator.is_superuser = True
    operator.save()
    expert = make_expert(vetted=False)
    client = login(operator)
    for model in ("expertprofile", "ticket", "claim", "expertanswer"):
        assert client.get(reverse(f"admin:solutions_{model}_changelist")).status_code == 200
    response = client.post(
        reverse("admin:solutions_expertprofile_changelist"),
        {"action": "vet_selected", "_selected_action": [expert.expert_profile.pk]},
    )
    assert response.status_code == 302
    assert ExpertProfile.objects.get(user=expert).vetted
    assert AuditLogEntry.objects.filter(actor=operator, action="expert.vetted").exists()
    ticket_page = client.get(reverse("admin:solutions_ticket_change", args=[secret_ticket.pk]))
    assert ticket_page.status_code == 200 and b'name="title"' not in ticket_page.content
