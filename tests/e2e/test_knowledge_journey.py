"""A manager writes an article (after a validation error), finds it by search, edits it,
archives it through the confirmation page (and restores it once), and imports a CSV file:
refused for its bad row, then imported with the bad row skipped."""

from __future__ import annotations

import pytest

from accounts import services as accounts_services
from solutions.models import KnowledgeArticle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Knowledge-base-2026!"
CSV = (
    "title,body,category\n"
    'Printer shows offline,"1. Power-cycle the printer.\n2. Remove and re-add it in '
    '**Settings > Printers**.",Printing\n'
    "Mailbox over quota,,Email\n"
    "Teams camera is black,Close other apps that use the camera; then restart Teams.,Software\n"
)


def test_manager_writes_searches_edits_archives_and_imports(new_page, shot):
    owner = accounts_services.user_create(email="owner@kb.test", password=PASSWORD)
    org = accounts_services.organization_create(creator=owner, name="Knowledge Corp")
    page = new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "owner@kb.test")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/dashboard/")

    page.goto("/kb/")
    assert "No articles yet" in page.get_by_test_id("kb-empty").inner_text()
    shot(page, "empty")
    page.get_by_role("button", name="Write the first article").click()
    page.wait_for_url("**/kb/new/")
    page.fill("input[name=title]", "VP")
    page.get_by_test_id("kb-save").click()
    assert "at least 3 characters" in page.get_by_test_id("kb-form").inner_text()
    assert "Write the article" in page.get_by_test_id("kb-form").inner_text()
    shot(page, "create-errors")

    page.fill("input[name=title]", "Reset a locked Okta account")
    page.fill("input[name=category]", "Access & Accounts")
    page.fill(
        "textarea[name=body]",
        "Accounts lock after **five** failed sign-ins.\n\n"
        "1. Open the Okta admin console.\n"
        "2. Find the user and choose *Unlock*.\n"
        "3. Ask them to sign in at [the portal](https://acme.okta.example).\n\n"
        "<script>alert('no')</script>",
    )
    shot(page, "create-filled")
    page.get_by_test_id("kb-save").click()
    page.wait_for_url("**/kb/*/")
    assert page.get_by_test_id("kb-title").inner_text() == "Reset a locked Okta account"
    body = page.get_by_test_id("kb-body")
    assert body.locator("strong").inner_text() == "five"
    assert body.locator("ol li").count() == 3
    assert body.locator("script").count() == 0
    assert "Written here" in page.get_by_test_id("kb-source").inner_text()
    shot(page, "detail")

    page.locator(".page-head").get_by_role("link", name="Knowledge base").click()
    page.wait_for_url("**/kb/")
    page.fill("input[name=q]", "okta unlock")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/kb/?q=okta+unlock*")
    rows = page.get_by_test_id("kb-row")
    assert rows.count() == 1 and "Reset a locked Okta account" in rows.inner_text()
    shot(page, "search")

    rows.get_by_role("link").first.click()
    page.get_by_test_id("kb-edit").click()
    page.wait_for_url("**/edit/")
    page.fill("input[name=title]", "Unlock an Okta account")
    shot(page, "edit")
    page.get_by_test_id("kb-save").click()
    page.wait_for_url("**/kb/*/")
    assert "Article saved" in page.locator(".flash-success").inner_text()
    assert page.get_by_test_id("kb-title").inner_text() == "Unlock an Okta account"

    page.get_by_test_id("kb-archive").click()
    page.wait_for_url("**/archive/")
    assert "Archive “Unlock an Okta account”?" in page.locator("h2").inner_text()
    shot(page, "archive-confirm")
    page.get_by_test_id("kb-archive-confirm").click()
    page.wait_for_url("**/kb/")
    assert "is archived" in page.locator(".flash-success").inner_text()
    assert page.get_by_test_id("kb-row").count() == 0
    page.select_option("select[name=status]", "archived")
    page.get_by_role("button", name="Search").click()
    assert "Unlock an Okta account" in page.get_by_test_id("kb-row").inner_text()
    shot(page, "archived-list")
    article = KnowledgeArticle.objects.get(organization=org)
    assert article.status == KnowledgeArticle.Status.ARCHIVED
    page.get_by_test_id("kb-row").get_by_role("link").first.click()
    assert "hidden from search" in page.get_by_test_id("kb-archived-notice").inner_text()
    shot(page, "archived-detail")
    page.get_by_test_id("kb-restore").click()
    assert "Article restored" in page.locator(".flash-success").inner_text()
    assert page.get_by_test_id("kb-archived-notice").count() == 0
    page.get_by_test_id("kb-archive").click()
    page.get_by_test_id("kb-archive-confirm").click()
    page.wait_for_url("**/kb/")

    page.goto("/kb/import/")
    upload = {"name": "articles.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    page.set_input_files("input[name=file]", upload)
    page.get_by_test_id("kb-import-submit").click()
    result = page.get_by_test_id("kb-import-result")
    assert result.get_attribute("data-applied") == "false"
    assert "Nothing was imported" in result.inner_text()
    assert "line 4: empty body" in page.get_by_test_id("kb-import-errors").inner_text()
    assert KnowledgeArticle.objects.filter(organization=org).count() == 1
    shot(page, "import-refused")

    page.set_input_files("input[name=file]", upload)
    page.get_by_label("Import the valid rows and skip the bad ones").check()
    page.get_by_test_id("kb-import-submit").click()
    result = page.get_by_test_id("kb-import-result")
    assert result.get_attribute("data-applied") == "true"
    assert "Imported 2 articles" in result.inner_text()
    assert "1 bad row was left out" in result.inner_text()
    shot(page, "import-done")

    result.get_by_role("link", name="Open the knowledge base").click()
    page.wait_for_url("**/kb/")
    assert page.get_by_test_id("kb-row").count() == 2
    shot(page, "list-after-import")
