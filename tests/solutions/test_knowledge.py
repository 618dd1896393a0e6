"""The knowledge base through its services and pages: validation, audit, the answer index
(with a real tiny champion), CSV import, the management command, permissions, tenancy,
search, pagination and safe Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import AuditLogEntry, Role
from ml import services as ml_services
from ml import serving
from ml.models import AnswerEmbedding, TrainingRun
from solutions.models import KnowledgeArticle, Ticket
from solutions.services import knowledge as kb
from tests.ml.engine_data import tickets as synthetic_tickets

Status = KnowledgeArticle.Status

GOOD_CSV = (
    "title,body,category\n"
    'Reset a locked Okta account,"Open the admin console.\n\nChoose **Unlock**.",Access\n'
    "Printer shows offline,Power-cycle it and re-add it.,Printing\n"
)


@pytest.fixture
def org(make_org):
    return make_org()


@pytest.fixture
def owner(org):
    return org.memberships.get().user


@pytest.fixture
def agent(org, make_user, add_member):
    user = make_user()
    add_member(org, user, Role.AGENT)
    return user


def _article(org, owner, **fields):
    return kb.article_create(
        organization=org,
        actor=owner,
        title=fields.pop("title", "VPN drops every hour"),
        body=fields.pop("body", "Renew the DHCP lease, then reconnect."),
        **fields,
    )


def _actions(org):
    return list(
        AuditLogEntry.objects.filter(organization=org, action__startswith="kb.")
        .order_by("pk")
        .values_list("action", flat=True)
    )


# ---------------------------------------------------------------- services


def test_create_publishes_and_audits(org, owner):
    article = _article(org, owner, title="  VPN   drops  ", category=" Network ")
    assert (article.title, article.category) == ("VPN drops", "Network")
    assert article.status == Status.PUBLISHED and article.source == "manual"
    assert article.created_by == owner
    entry = AuditLogEntry.objects.get(action="kb.article_created")
    assert (entry.actor, entry.target_id, entry.details) == (
        owner,
        str(article.pk),
        {"source": "manual"},
    )


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"title": "ab"}, {"title"}),
        ({"title": "x" * 201}, {"title"}),
        ({"body": "  \n "}, {"body"}),
        ({"body": "x" * 100_001}, {"body"}),
        ({"category": "c" * 101}, {"category"}),
        ({"title": "", "body": "", "category": "c" * 101}, {"title", "body", "category"}),
    ],
)
def test_create_rejects_bad_fields_and_saves_nothing(org, owner, fields, errors):
    with pytest.raises(ValidationError) as caught:
        _article(org, owner, **fields)
    assert set(caught.value.message_dict) == errors
    assert not KnowledgeArticle.objects.exists() and _actions(org) == []


def test_only_managers_write_but_an_accepted_expert_answer_needs_no_role(
    org, owner, agent, make_org
):
    with pytest.raises(PermissionDenied):
        _article(org, agent)
    article = _article(org, owner)
    for act in (kb.article_archive, kb.article_restore):
        with pytest.raises(PermissionDenied):
            act(article=article, actor=agent)
    with pytest.raises(PermissionDenied):
        kb.article_update(article=article, actor=agent, title="New", body="b", category="")
    with pytest.raises(PermissionDenied):
        kb.articles_import_csv(organization=org, actor=agent, content=GOOD_CSV)

    ticket = Ticket.objects.create(organization=org, number=12, title="DHCP", body="lease")
    kept = _article(org, agent, source="expert_answer", source_ticket=ticket)
    assert kept.source == "expert_answer" and kept.source_ticket == ticket
    assert AuditLogEntry.objects.get(
        action="kb.article_created", target_id=str(kept.pk)
    ).details == {
        "source": "expert_answer",
        "ticket": 12,
    }
    foreign = Ticket.objects.create(organization=make_org(), number=1, title="x", body="y")
    with pytest.raises(ValidationError):
        _article(org, owner, source="expert_answer", source_ticket=foreign)


def test_update_archive_and_restore_are_audited_once(org, owner):
    article = _article(org, owner)
    updated = kb.article_update(
        article=article, actor=owner, title="VPN drops hourly", body=article.body, category="Net"
    )
    assert (updated.title, updated.category) == ("VPN drops hourly", "Net")
    # Saving the same text again is not a change.
    kb.article_update(
        article=article, actor=owner, title="VPN drops hourly", body=article.body, category="Net"
    )
    with pytest.raises(ValidationError) as caught:
        kb.article_update(article=article, actor=owner, title="VPN", body="", category="")
    assert set(caught.value.message_dict) == {"body"}
    kb.article_archive(article=article, actor=owner)
    kb.article_archive(article=article, actor=owner)  # a double click
    article.refresh_from_db()
    assert article.status == Status.ARCHIVED
    kb.article_restore(article=article, actor=owner)
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert _actions(org) == [
        "kb.article_created",
        "kb.article_updated",
        "kb.article_archived",
        "kb.article_restored",
    ]
    assert AuditLogEntry.objects.get(action="kb.article_updated").details == {
        "changed": ["title", "category"]
    }


def test_every_change_schedules_one_index_update_after_commit(
    org, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as created:
        article = _article(org, owner)
    with django_capture_on_commit_callbacks() as archived:
        kb.article_archive(article=article, actor=owner)
    with django_capture_on_commit_callbacks() as unchanged:
        kb.article_archive(article=article, actor=owner)
    with django_capture_on_commit_callbacks() as failed, pytest.raises(ValidationError):
        _article(org, owner, title="")
    assert (len(created), len(archived), len(unchanged), len(failed)) == (1, 1, 0, 0)
    # Before any model is trained the article is embedded by the base encoder (the answer
    # index does not depend on the triage model), ready for the first champion to suggest.
    with django_capture_on_commit_callbacks(execute=True):
        kb.article_restore(article=article, actor=owner)
    [row] = AnswerEmbedding.objects.filter(organization=org)
    assert row.source_key == f"article:{article.pk}" and row.retriever_version_id is None
    assert row.text.startswith(article.title) and row.passages


def test_index_tasks_run_on_the_default_queue():
    from config.celery_app import app
    from solutions.tasks.knowledge import article_index_task, articles_index_task

    for task in (article_index_task, articles_index_task):
        assert task.name.startswith("solutions.tasks_knowledge.")
        assert app.amqp.router.route({}, task.name)["queue"].name == "default"


@pytest.fixture
def trained_org(org, django_capture_on_commit_callbacks):
    """`org` with a real tiny champion, trained from imported tickets (about 10 s)."""
    texts, categories, priorities = synthetic_tickets(160, seed=0)
    ml_services.imported_tickets_add(
        organization=org,
        rows=[
            {"title": t[:40], "text": t, "category": c, "priority": p, "answer": f"Fix {c}"}
            for t, c, p in zip(texts, categories, priorities, strict=True)
        ],
    )
    serving.reset_caches()
    with django_capture_on_commit_callbacks(execute=True):
        run = ml_services.training_run_request(organization=org)
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.SUCCEEDED, run.log
    yield org
    serving.reset_caches()


def test_published_articles_are_retrievable_and_archived_ones_are_not(
    trained_org, owner, django_capture_on_commit_callbacks
):
    org = trained_org
    query = ["docking station firmware reset"]

    def indexed(article):
        return AnswerEmbedding.objects.filter(organization=org, source_key=f"article:{article.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        article = _article(
            org,
            owner,
            title="Docking station firmware",
            body="Hold the power button of the docking station for 30 seconds, then update "
            "its firmware.",
            category="hardware",
        )
    assert indexed(article).get().source_kind == "article"
    [result] = serving.triage(org, query, k=1)
    assert result.suggestions[0].source_key == f"article:{article.pk}"

    with django_capture_on_commit_callbacks(execute=True):
        kb.article_update(
            article=article,
            actor=owner,
            title=article.title,
            body="Unplug the docking station, then update its firmware from the vendor site.",
            category="hardware",
        )
    assert indexed(article).get().answer.startswith("Unplug the docking station")

    with django_capture_on_commit_callbacks(execute=True):
        kb.article_archive(article=article, actor=owner)
    assert not indexed(article).exists()
    [result] = serving.triage(org, query, k=3)
    assert f"article:{article.pk}" not in {s.source_key for s in result.suggestions}

    with django_capture_on_commit_callbacks(execute=True):
        kb.article_restore(article=article, actor=owner)
    assert indexed(article).exists()

    with django_capture_on_commit_callbacks(execute=True):
        imports = kb.articles_import_csv(organization=org, actor=owner, content=GOOD_CSV)
    imported = KnowledgeArticle.objects.filter(organization=org, source="import")
    assert imports.created == imported.count() == 2
    assert (
        AnswerEmbedding.objects.filter(
            organization=org, source_key__in=[f"article:{a.pk}" for a in imported]
        ).count()
        == 2
    )


# ---------------------------------------------------------------- CSV import


def test_import_creates_articles_and_skips_them_the_second_time(org, owner):
    result = kb.articles_import_csv(organization=org, actor=owner, content=GOOD_CSV.encode())
    assert (result.created, result.skipped, result.errors, result.applied) == (2, 0, [], True)
    okta = KnowledgeArticle.objects.get(title="Reset a locked Okta account")
    assert okta.body == "Open the admin console.\n\nChoose **Unlock**."
    assert (okta.category, okta.source, okta.created_by) == ("Access", "import", owner)
    assert okta.external_id == kb.article_external_id(okta.title, okta.body)
    assert len(okta.external_id) == 40

    # Edited and archived since: still the same imported article, not imported again.
    kb.article_archive(article=okta, actor=owner)
    again = kb.articles_import_csv(organization=org, actor=owner, content=GOOD_CSV)
    assert (again.created, again.skipped, again.applied) == (0, 2, True)
    assert KnowledgeArticle.objects.count() == 2
    assert AuditLogEntry.objects.filter(action="kb.articles_imported").latest("pk").details == {
        "created": 0,
        "skipped": 2,
        "invalid": 0,
    }


def test_import_accepts_a_bom_any_column_order_and_skips_blank_lines(org, owner):
    content = (
        "\ufeffCategory, Body ,Title,notes\r\n"
        "Email,Check the quota.,Mailbox full,ignored\r\n"
        "\r\n"
        ",Restart the agent.,Agent offline,\r\n"
        "Email,Check the quota.,Mailbox full,duplicate in the same file\r\n"
    ).encode()
    result = kb.articles_import_csv(organization=org, actor=owner, content=content)
    assert (result.created, result.skipped, result.errors) == (2, 1, [])
    assert dict(KnowledgeArticle.objects.values_list("title", "category")) == {
        "Mailbox full": "Email",
        "Agent offline": "",
    }


def test_a_bad_row_refuses_the_file_and_lists_every_bad_line(org, owner):
    content = (
        "title,body,category\n"
        'Good one,"A body\nover two lines",Network\n'  # lines 2-3
        "No body,,Network\n"  # line 4
        "ab,short title,Network\n"  # line 5
        "Too many,values,Network,extra\n"  # line 6
        f"Long category,fine,{'c' * 101}\n"  # line 7
        ",,\n"  # blank: ignored
        "Fine too,Body,\n"
    )
    result = kb.articles_import_csv(organization=org, actor=owner, content=content)
    assert result.errors == [
        "line 4: empty body",
        "line 5: title shorter than 3 characters",
        "line 6: 4 values but 3 columns (put text that contains commas in double quotes)",
        "line 7: category longer than 100 characters",
    ]
    assert (result.created, result.invalid_rows, result.applied) == (0, 4, False)
    assert not KnowledgeArticle.objects.exists()
    assert not AuditLogEntry.objects.filter(action="kb.articles_imported").exists()

    skipping = kb.articles_import_csv(
        organization=org, actor=owner, content=content, skip_invalid=True
    )
    assert (skipping.created, skipping.invalid_rows, skipping.applied) == (2, 4, True)
    assert len(skipping.errors) == 4
    assert set(KnowledgeArticle.objects.values_list("title", flat=True)) == {
        "Good one",
        "Fine too",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Ärger,mit dem Drucker\n".encode("latin-1"), "not UTF-8"),
        (b"", "empty"),
        ("name,text\nA,B\n", "no title and no body column"),
        ("title,body\n", "no articles"),
        ("title,body\nA title\0,x\n", "NUL characters"),
        ('title,body\nA title,"never closed\nB title,b\n', "line 2: unexpected end of data"),
        (b"title,body\n" + b"x" * (5 * 1024 * 1024), "limit is 5 MB"),
        ("title,body\n" + "A title,a body\n" * 5_001, "more than 5,000 articles"),
    ],
    ids=["latin-1", "empty", "header", "header-only", "nul", "quote", "too-large", "too-many-rows"],
)
def test_an_unreadable_file_imports_nothing_and_says_why(org, owner, content, message):
    result = kb.articles_import_csv(
        organization=org, actor=owner, content=content, skip_invalid=True
    )
    assert not result.applied and result.invalid_rows == 0
    assert len(result.errors) == 1 and message in result.errors[0], result.errors
    assert not KnowledgeArticle.objects.exists()


def test_management_command_imports_with_the_same_rules(org, tmp_path: Path):
    path = tmp_path / "articles.csv"
    path.write_text(GOOD_CSV + "No body,,\n", encoding="utf-8-sig")
    with pytest.raises(CommandError, match="--skip-invalid"):
        call_command("kb_import_articles", org=org.slug, csv=str(path))
    assert not KnowledgeArticle.objects.exists()
    call_command("kb_import_articles", "--skip-invalid", org=org.slug, csv=str(path))
    assert KnowledgeArticle.objects.filter(organization=org, source="import").count() == 2
    entry = AuditLogEntry.objects.get(action="kb.articles_imported")
    assert entry.actor is None and entry.details["invalid"] == 1
    with pytest.raises(CommandError, match="No organization"):
        call_command("kb_import_articles", org="nope", csv=str(path))


def test_the_demo_articles_import_cleanly(org):
    demo = Path(__file__).resolve().parents[2] / "demo" / "articles.csv"
    result = kb.articles_import_csv(organization=org, actor=None, content=demo.read_bytes())
    assert result.applied and result.errors == [] and result.created > 0


# ---------------------------------------------------------------- pages


def test_agents_read_but_cannot_write(org, owner, agent, login):
    article = _article(org, owner)
    archived = _article(org, owner, title="Old VPN advice")
    kb.article_archive(article=archived, actor=owner)
    client = login(agent)
    page = client.get(reverse("kb_list"))
    assert page.status_code == 200 and article.title in page.content.decode()
    assert reverse("kb_create") not in page.content.decode()
    assert client.get(reverse("kb_detail", args=[article.pk])).status_code == 200
    # An archived article is withdrawn advice: agents can't open or list it.
    assert client.get(reverse("kb_detail", args=[archived.pk])).status_code == 404
    assert (
        "Old VPN advice" not in client.get(reverse("kb_list") + "?status=archived").content.decode()
    )
    for name, args in [
        ("kb_create", []),
        ("kb_import", []),
        ("kb_edit", [article.pk]),
        ("kb_archive", [article.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403
    for name in ("kb_edit", "kb_archive", "kb_restore"):
        url = reverse(name, args=[article.pk])
        assert client.post(url, {"title": "Hijacked", "body": "x"}).status_code == 403
    article.refresh_from_db()
    assert article.title != "Hijacked" and article.status == Status.PUBLISHED


def test_empty_state_invites_managers_to_write(org, owner, agent, login):
    manager_page = login(owner).get(reverse("kb_list")).content.decode()
    assert "No articles yet" in manager_page and reverse("kb_create") in manager_page
    agent_page = login(agent).get(reverse("kb_list")).content.decode()
    assert "No articles yet" in agent_page and reverse("kb_create") not in agent_page


def test_manager_creates_edits_archives_and_restores_through_the_pages(org, owner, login):
    client = login(owner)
    bad = client.post(reverse("kb_create"), {"title": "ab", "body": "", "category": ""})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "at least 3 characters" in html and "Write the article" in html
    assert not KnowledgeArticle.objects.exists()

    created = client.post(
        reverse("kb_create"),
        {"title": "Mailbox full", "body": "Archive old mail.", "category": "Email"},
    )
    article = KnowledgeArticle.objects.get()
    assert created["Location"] == reverse("kb_detail", args=[article.pk])

    edit_url = reverse("kb_edit", args=[article.pk])
    assert "Archive old mail." in client.get(edit_url).content.decode()
    too_long = client.post(edit_url, {"title": "Mailbox full", "body": "x" * 100_001})
    assert too_long.status_code == 400 and "100,000 characters" in too_long.content.decode()
    client.post(edit_url, {"title": "Mailbox is full", "body": "Archive old mail.", "category": ""})
    article.refresh_from_db()
    assert (article.title, article.category) == ("Mailbox is full", "")

    confirm = client.get(reverse("kb_archive", args=[article.pk]))
    assert "Archive “Mailbox is full”?" in confirm.content.decode()
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED  # looking at the confirmation changes nothing
    archived = client.post(reverse("kb_archive", args=[article.pk]), follow=True)
    assert "is archived" in archived.content.decode()
    article.refresh_from_db()
    assert article.status == Status.ARCHIVED
    assert "Mailbox is full" not in client.get(reverse("kb_list")).content.decode()
    listed = client.get(reverse("kb_list") + "?status=archived").content.decode()
    assert "Mailbox is full" in listed
    detail = client.get(reverse("kb_detail", args=[article.pk])).content.decode()
    assert "hidden from search" in detail and reverse("kb_restore", args=[article.pk]) in detail
    client.post(reverse("kb_restore", args=[article.pk]))
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED


def test_search_matches_every_word_in_title_or_body_and_filters_by_category(org, owner, login):
    _article(org, owner, title="VPN drops", body="Renew the DHCP lease.", category="Network")
    _article(
        org, owner, title="Printer jam", body="Open tray 2 and clear the jam.", category="Printing"
    )
    _article(org, owner, title="DHCP exhausted", body="Shorten the lease time.", category="network")
    client = login(owner)

    def titles(query):
        html = client.get(reverse("kb_list") + query).content.decode()
        return {t for t in ("VPN drops", "Printer jam", "DHCP exhausted") if t in html}

    assert titles("?q=dhcp") == {"VPN drops", "DHCP exhausted"}
    assert titles("?q=lease+renew") == {"VPN drops"}
    assert titles("?q=tray") == {"Printer jam"}
    assert titles("?category=NETWORK") == {"VPN drops", "DHCP exhausted"}
    assert titles("?q=dhcp&category=Printing") == set()
    assert (
        "No published article matches" in client.get(reverse("kb_list") + "?q=zzz").content.decode()
    )


def test_list_is_paginated_by_twenty_and_keeps_the_filters(org, owner, login):
    rows = "".join(f"Runbook {i:02d},Step {i} of the runbook.,Ops\n" for i in range(25))
    kb.articles_import_csv(organization=org, actor=owner, content="title,body,category\n" + rows)
    client = login(owner)
    first = client.get(reverse("kb_list") + "?q=runbook")
    assert len(first.context["page"].object_list) == 20
    html = first.content.decode()
    assert "Page 1 of 2 · 25 articles" in html and "?page=2&amp;q=runbook" in html
    second = client.get(reverse("kb_list") + "?q=runbook&page=2")
    assert len(second.context["page"].object_list) == 5
    assert client.get(reverse("kb_list") + "?page=99").context["page"].number == 2


def test_markdown_renders_without_scripts_or_javascript_urls(org, owner, agent, login):
    article = _article(
        org,
        owner,
        title="<b>Bold</b> title",
        body="**Safe** text <script>alert(1)</script> and [x](javascript:alert(1)) "
        '<img src=x onerror="alert(2)">',
    )
    client = login(agent)
    for url in (reverse("kb_detail", args=[article.pk]), reverse("kb_list")):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "javascript:" not in html
        assert "onerror" not in html and "<b>Bold</b>" not in html
    detail = client.get(reverse("kb_detail", args=[article.pk])).content.decode()
    assert "<strong>Safe</strong>" in detail and "&lt;b&gt;Bold&lt;/b&gt; title" in detail


def test_detail_names_the_ticket_an_expert_answer_came_from(org, owner, agent, login):
    ticket = Ticket.objects.create(organization=org, number=12, title="DHCP", body="lease")
    article = _article(org, agent, source="expert_answer", source_ticket=ticket)
    html = login(agent).get(reverse("kb_detail", args=[article.pk])).content.decode()
    assert "From expert answer on ticket #12" in html


def test_import_page_lists_bad_rows_then_imports_the_rest(org, owner, login):
    client = login(owner)
    assert client.get(reverse("kb_import")).status_code == 200
    content = (GOOD_CSV + "No body here,,Network\n").encode()

    def upload(**extra):
        return client.post(
            reverse("kb_import"),
            {"file": SimpleUploadedFile("kb.csv", content, "text/csv"), **extra},
        )

    refused = upload()
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Nothing was imported" in html and "line 6: empty body" in html
    assert not KnowledgeArticle.objects.exists()

    imported = upload(skip_invalid="on")
    assert imported.status_code == 200
    html = imported.content.decode()
    assert "Imported 2 articles" in html and "1 bad row was left out" in html
    assert KnowledgeArticle.objects.count() == 2

    assert "already in the knowledge base" in upload(skip_invalid="on").content.decode()
    missing = client.post(reverse("kb_import"), {})
    assert missing.status_code == 400 and "Choose a CSV file" in missing.content.decode()
