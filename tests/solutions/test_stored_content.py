"""Stored content is safe wherever it goes: expert answers and knowledge-article bodies are
sanitized when written (the author's Markdown kept as `body_source`), so a hostile answer is
absent from the API's JSON, the webhook payload, the knowledge article and the pages, while
legitimate Markdown (a code block showing `<script>` as text, links, tables) survives."""

from __future__ import annotations

import csv
import html
import io
import json
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from standardwebhooks import Webhook

from accounts.models import Role
from solutions import markdown
from solutions.markdown import active_html, markdown_sanitize
from solutions.models import ExpertAnswer, KnowledgeArticle, TicketSuggestion
from solutions.services import experts, tickets
from solutions.services import knowledge as kb
from solutions.services.expert_api_keys import expert_api_key_create
from tests.api.conftest import bearer, make_key  # noqa: F401 - a fixture used here
from tests.webhooks.conftest import (  # noqa: F401 - fixtures used here
    allow_loopback,
    make_endpoint,
    receiver,
)

HOSTILE = {
    "script": "<script>alert('xss')</script>",
    "img onerror": "Look: <img src=x onerror=alert(1)>",
    "javascript link": "[click me](javascript:alert(1))",
    "encoded javascript link": "[or me](jav&#x61;script&colon;alert(1))",
    "data link": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">open</a>',
    "data image": "![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "svg onload": "<svg onload=alert(1)><circle r=9></circle></svg>",
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "style": "<style>body { display: none }</style>",
    "javascript autolink": "<javascript:alert(1)>",
}
# What none of the stored, served or rendered forms may contain.
ACTIVE = (
    "alert(1)",
    "alert('xss')",
    "onerror",
    "onload",
    "javascript",
    "data:",
    "<iframe",
    "<svg",
    "<style",
    "display: none",
)
CODE = '<script>alert("shown as code, not run")</script>'
LEGIT = f"""## Renew the DHCP lease

1. Open [the router page](https://router.example/admin) and sign in.
2. Run `ipconfig /renew` (background: <https://learn.example/dhcp>).

```html
{CODE}
```

| Step | Minutes |
|------|--------:|
| Renew | 1 |
| Reconnect | 2 |"""
ANSWER = LEGIT + "\n\n" + "\n\n".join(HOSTILE.values())


def assert_inert(text: str) -> None:
    for marker in ACTIVE:
        assert marker not in text, f"{marker!r} in {text!r}"


def assert_legit_markdown_kept(text: str) -> None:
    assert "[the router page](https://router.example/admin)" in text
    assert f"```html\n{CODE}\n```" in text
    assert "| Renew | 1 |" in text and "<https://learn.example/dhcp>" in text


def content_of(page: str) -> str:
    """The page's own content, without the layout around it (whose bell icon is an SVG)."""
    return page.split('<main class="content">', 1)[1].split("</main>", 1)[0]


def assert_legit_html_shown(page: str) -> None:
    """The rendered page: the code block shows the literal code, links and tables work."""
    assert "<pre><code" in page and "&lt;script&gt;alert(" in page
    assert CODE in html.unescape(page)
    assert 'href="https://router.example/admin"' in page
    assert "<table>" in page and "<td>Reconnect</td>" in page
    assert "<script>alert" not in page


# ---------------------------------------------------------------- the sanitizer itself


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=HOSTILE.keys())
def test_each_hostile_construct_is_removed(payload):
    stored = markdown_sanitize(f"Before.\n\n{payload}\n\nAfter.")
    assert_inert(stored)
    assert active_html(stored) == []
    assert stored.startswith("Before.") and stored.endswith("After.")
    assert markdown_sanitize(stored) == stored


def test_legitimate_markdown_is_stored_as_written():
    assert markdown_sanitize(LEGIT) == LEGIT


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("Press <b>Enter</b>, then<br/>wait.", "Press <b>Enter</b>, then<br>wait."),
        (
            '<a href="https://ok.example" onclick="x()">ok</a>',
            '<a href="https://ok.example">ok</a>',
        ),
        (
            "[x](JaVaScRiPt:alert(1)) [y](  \n javascript:alert(1)) [z](<javascript:alert(1)>)",
            "x y z",
        ),
        ("[ref]: javascript:alert(1)\n\nSee [ref].", "See [ref]."),
        ("![chart](https://example.com/a.png)", "![chart](https://example.com/a.png)"),
        ("Keep `<b>` and a < b > c.", "Keep `<b>` and a < b > c."),
        ("\\<script>escaped\\</script>", "&lt;script>escaped&lt;/script>"),
        ("<img src=x onerror=alert(1)", "&lt;img src=x onerror=alert(1)"),  # unfinished: text
        ("<<!-- -->img src=x onerror=alert(1)>", ""),  # what a removal joins is removed too
        ("<!-- a comment --> and <?php x ?> gone", " and  gone"),
        ("```\n<script>unclosed fence</script>", "```\n<script>unclosed fence</script>\n```"),
        ("    <script>indented code</script>", "    <script>indented code</script>"),
        ('<a href="javascript:steal()">text</a> and <a>more</a>', "text and more"),
        ("a lone surrogate \ud800 and NUL \x00", "a lone surrogate \ufffd and NUL \ufffd"),
    ],
)
def test_sanitized_forms(written, stored):
    assert markdown_sanitize(written) == stored
    assert active_html(stored) == []


def test_random_markdown_and_html_fragments_always_come_out_inert_and_stable():
    """A seeded fuzz: any mix of Markdown and HTML pieces sanitizes to Markdown with nothing
    active in it, and sanitizing that again changes nothing."""
    fragments = [
        *"<>[]()!`\\&:\"'=/ \t\n",
        "\n\n", "    ", "> ", "- ", "1. ", "```", "~~~", "|", "---", "<!--", "-->", "<?", "<!",
        "<![CDATA[", "]]>", "&#106;", "&colon;", "&Tab;", "javascript:", "JaVaScRiPt:",
        "data:text/html,", "vbscript:", "https://x.example/", "mailto:a@b.example", "alert(1)",
        "script", "img", "svg", "a", "b", "br", "div", "pre", "style", "iframe", "onerror",
        "onload", "href", "src", "x",
    ]  # fmt: skip
    rng = random.Random(20261201)  # noqa: S311 - reproducible test input, not secrets
    for _ in range(1500):
        written = "".join(rng.choice(fragments) for _ in range(rng.randint(1, 50)))
        stored = markdown_sanitize(written)
        assert active_html(stored) == [], (written, stored)
        assert markdown_sanitize(stored) == stored, written


def test_what_the_sanitizer_misses_falls_back_to_a_form_without_tags_or_links(monkeypatch):
    """The verification is the last line: were the sanitizing pass to let something through,
    the stored form has no `<` and no unescaped `]`, so no tag or link can exist."""
    monkeypatch.setattr(markdown._Prose, "sanitized", lambda self: self.text)
    stored = markdown_sanitize(ANSWER)
    assert "<" not in stored and active_html(stored) == []
    assert "<script>alert" not in str(markdown.render_markdown(stored))


# ---------------------------------------------------------------- expert answers


@pytest.fixture
def org(make_org):
    return make_org()


@pytest.fixture
def owner(org):
    return org.memberships.get().user


@pytest.fixture
def answered(org, owner, make_escalated_ticket, make_expert):
    """A ticket with the hostile answer submitted by an expert (through the services)."""
    ticket = make_escalated_ticket(org, author=owner)
    expert = make_expert()
    claim = experts.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
    answer = experts.expert_answer_submit(expert=expert, claim_id=claim.pk, body=ANSWER)
    return ticket, answer


def test_an_answer_is_stored_sanitized_with_the_experts_text_beside_it(answered):
    _, answer = answered
    answer.refresh_from_db()
    assert answer.body_source == ANSWER
    assert_inert(answer.body)
    assert_legit_markdown_kept(answer.body)


def test_the_expert_api_returns_the_sanitized_answer(
    org, owner, make_escalated_ticket, make_expert
):
    ticket = make_escalated_ticket(org, author=owner)
    expert = make_expert()
    _, key = expert_api_key_create(expert=expert, actor=expert, name="CLI")
    client = bearer(key)
    url = f"/api/v1/expert/tickets/{ticket.pk}/"
    assert client.post(f"{url}claim/", "{}", content_type="application/json").status_code == 200
    response = client.post(
        f"{url}answer/", json.dumps({"body": ANSWER}), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert_inert(response.content.decode())
    assert_legit_markdown_kept(response.json()["body"])
    assert ExpertAnswer.objects.get().body_source == ANSWER


@pytest.mark.usefixtures("allow_loopback")
def test_the_answered_webhook_carries_the_sanitized_answer(
    org, owner, make_escalated_ticket, make_expert, make_endpoint, receiver,  # noqa: F811
    django_capture_on_commit_callbacks,
):  # fmt: skip
    _, secret = make_endpoint(org, receiver.url, events=["ticket.answered"])
    ticket = make_escalated_ticket(org, author=owner)
    expert = make_expert()
    with django_capture_on_commit_callbacks(execute=True):
        claim = experts.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
        experts.expert_answer_submit(expert=expert, claim_id=claim.pk, body=ANSWER)
    [request] = receiver.wait_for(1)
    assert_inert(request.body.decode())
    event = Webhook(secret).verify(request.body, request.headers)
    assert event["data"]["answer"]["format"] == "markdown"
    assert_legit_markdown_kept(event["data"]["answer"]["body"])


def test_the_customers_ticket_page_shows_the_answer_without_anything_active(answered, owner, login):
    ticket, _ = answered
    page = login(owner).get(reverse("ticket_detail", args=[ticket.number])).content.decode()
    answer_html = page.split('data-testid="expert-answer"', 1)[1].split("</article>", 1)[0]
    assert_inert(answer_html)
    assert_legit_html_shown(answer_html)


def test_the_preview_shows_what_will_be_stored(answered, make_expert, login):
    expert = make_expert()
    preview = login(expert).post(reverse("expert_answer_preview"), {"body": ANSWER})
    assert preview.status_code == 200
    assert_inert(preview.content.decode())
    assert_legit_html_shown(preview.content.decode())


def test_an_answer_that_is_only_html_is_refused(org, owner, make_escalated_ticket, make_expert):
    ticket = make_escalated_ticket(org, author=owner)
    expert = make_expert()
    claim = experts.expert_claim_ticket(expert=expert, ticket_id=ticket.pk)
    only_html = "<script>alert('xss')</script><img src=x onerror=alert(1)>"
    with pytest.raises(ValidationError, match="besides HTML"):
        experts.expert_answer_submit(expert=expert, claim_id=claim.pk, body=only_html)
    assert not ExpertAnswer.objects.exists()


def test_an_accepted_answer_becomes_a_sanitized_article_everywhere(
    answered,
    org,
    owner,
    login,
    make_key,  # noqa: F811
):
    ticket, answer = answered
    tickets.expert_answer_accept(ticket=ticket, actor=owner, answer_id=answer.pk, score=5)
    article = KnowledgeArticle.objects.get(source=KnowledgeArticle.Source.EXPERT_ANSWER)
    assert_inert(article.body)
    assert_legit_markdown_kept(article.body)
    assert "<script>alert('xss')</script>" in article.body_source  # kept for editing only
    _, key = make_key(org, scopes=["tickets:read"])
    listing = bearer(key).get("/api/v1/kb/articles/")
    assert listing.status_code == 200 and listing.json()["results"]
    assert_inert(listing.content.decode())
    detail = login(owner).get(reverse("kb_detail", args=[article.pk])).content.decode()
    body_html = detail.split('data-testid="kb-body"', 1)[1].split("</div>", 1)[0]
    assert_inert(body_html)
    assert_legit_html_shown(body_html)
    assert_inert(content_of(login(owner).get(reverse("kb_list")).content.decode()))


# ---------------------------------------------------------------- every way an article is written


def _check_article(article: KnowledgeArticle) -> None:
    article.refresh_from_db()
    assert article.body_source == ANSWER
    assert article.body == markdown_sanitize(ANSWER)
    assert_inert(article.body)
    assert_legit_markdown_kept(article.body)


def test_an_article_written_on_the_page_is_stored_sanitized(org, owner, login):
    client = login(owner)
    response = client.post(
        reverse("kb_create"), {"title": "Renew the lease", "body": ANSWER, "category": "network"}
    )
    assert response.status_code == 302
    article = KnowledgeArticle.objects.get()
    _check_article(article)
    # Editing starts from what the author wrote, not from the sanitized form.
    form = client.get(reverse("kb_edit", args=[article.pk])).context["form"]
    assert form.initial["body"] == ANSWER
    assert_inert(content_of(client.get(reverse("kb_detail", args=[article.pk])).content.decode()))


def test_an_article_written_through_the_api_is_stored_and_served_sanitized(
    org,
    make_key,  # noqa: F811
):
    _, key = make_key(org, scopes=["tickets:read", "kb:write"])
    client = bearer(key)
    created = client.post(
        "/api/v1/kb/articles/",
        json.dumps({"title": "Renew the lease", "body": ANSWER}),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert_inert(created.content.decode())
    article = KnowledgeArticle.objects.get()
    _check_article(article)
    # A change of the title alone keeps the author's text (not the sanitized one) as source.
    patched = client.patch(
        f"/api/v1/kb/articles/{article.pk}/",
        json.dumps({"title": "Renew the DHCP lease"}),
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    _check_article(article)
    assert_inert(client.get(f"/api/v1/kb/articles/{article.pk}/").content.decode())


def test_imported_articles_are_stored_sanitized(org, owner, login):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([["title", "body"], ["Renew the lease", ANSWER], ["Only markup", "<b></b>"]])
    upload = SimpleUploadedFile("kb.csv", buffer.getvalue().encode(), content_type="text/csv")
    response = login(owner).post(reverse("kb_import"), {"file": upload, "skip_invalid": "on"})
    assert response.status_code in (200, 302)
    _check_article(KnowledgeArticle.objects.get())
    result = kb.articles_import_csv(
        organization=org, actor=owner, content=buffer.getvalue(), skip_invalid=True
    )
    line = 2 + ANSWER.count("\n") + 1  # the header, then the answer's lines
    assert result.errors == [f"line {line}: body is only HTML, which is removed"]


def test_an_article_that_is_only_html_is_refused(org, owner):
    with pytest.raises(ValidationError) as refused:
        kb.article_create(organization=org, actor=owner, title="Nothing", body=HOSTILE["script"])
    assert "only HTML" in refused.value.message_dict["body"][0]
    assert not KnowledgeArticle.objects.exists()


# ---------------------------------------------------------------- suggestions


def test_suggestions_copied_from_indexed_answers_are_sanitized(
    make_org_with_model,
    make_user,
    add_member,
    make_key,  # noqa: F811
):
    org = make_org_with_model(
        answers=(("VPN router drops", f"Restart the VPN client. {HOSTILE['img onerror']}"),)
    )
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    ticket = tickets.ticket_submit(
        organization=org, author=agent, title="VPN router drops", body="the vpn router drops"
    )
    suggestion = TicketSuggestion.objects.get(ticket=ticket)
    assert suggestion.answer == "Restart the VPN client. Look: "
    _, key = make_key(org, scopes=["tickets:read"])
    served = bearer(key).get(f"/api/v1/tickets/{ticket.number}/")
    assert served.status_code == 200 and served.json()["suggestions"]
    assert_inert(served.content.decode())


# ---------------------------------------------------------------- what was stored before


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_sanitizes_what_is_already_stored(make_org, make_escalated_ticket):
    before, after = (
        ("solutions", "0003_body_source_and_sanitized_body"),
        (
            "solutions",
            "0004_sanitize_stored_markdown",
        ),
    )
    org = make_org()
    ticket = make_escalated_ticket(org)
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    Article = old.get_model("solutions", "KnowledgeArticle")
    Suggestion = old.get_model("solutions", "TicketSuggestion")
    article = Article.objects.create(organization_id=org.pk, title="Old", body=ANSWER)
    suggestion = Suggestion.objects.create(
        ticket_id=ticket.pk, rank=1, source_kind="article", source_key="article:1",
        title="Old", answer=ANSWER, score=0.5,
    )  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.migrate([after])
    migrated = KnowledgeArticle.objects.get(pk=article.pk)
    assert migrated.body_source == ANSWER and migrated.body == markdown_sanitize(ANSWER)
    assert_inert(migrated.body)
    assert_inert(Suggestion.objects.get(pk=suggestion.pk).answer)
    # Reversible: back to the text as written.
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    assert Article.objects.get(pk=article.pk).body == ANSWER
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
