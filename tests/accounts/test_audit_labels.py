"""Audit rows read as sentences (accounts/audit.py): every action code a service writes has
one, details fill it in, and a code without one still reads as words, never as the code. The
audit log page and the dashboard's recent activity show them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.urls import reverse

from accounts import audit
from accounts.models import AuditLogEntry, Role
from accounts.services import audit_log_record
from solutions.services import knowledge

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "api", "billing", "common", "ml", "solutions", "webhooks")


def _written_codes() -> set[str]:
    """The action codes the project's code passes to audit_log_record: constants, both arms
    of a conditional, and `f"billing.{action}"` with the `action=` constants of its module."""
    codes: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            plain = {
                kw.value.value
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
                for kw in node.keywords
                if kw.arg == "action"
                and isinstance(kw.value, ast.Constant)
                and isinstance(kw.value.value, str)
            }
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", "") == "audit_log_record"
                ):
                    continue
                for kw in node.keywords:
                    if kw.arg != "action":
                        continue
                    values = (
                        [kw.value.body, kw.value.orelse]
                        if isinstance(kw.value, ast.IfExp)
                        else [kw.value]
                    )
                    for value in values:
                        if isinstance(value, ast.Constant) and isinstance(value.value, str):
                            codes.add(value.value)
                        elif isinstance(value, ast.JoinedStr):
                            prefix = "".join(
                                str(p.value) for p in value.values if isinstance(p, ast.Constant)
                            )
                            codes |= {prefix + p for p in plain if "." not in p}
    return codes


def test_every_code_the_services_write_has_a_sentence():
    codes = _written_codes()
    assert {"ticket.submitted", "kb.article_created", "billing.subscription_canceled"} <= codes
    assert sorted(codes - set(audit.SENTENCES)) == []


def _entry(action: str, *, details=None, target_type="", target_repr="", actor=None):
    return AuditLogEntry(
        action=action,
        details=details or {},
        target_type=target_type,
        target_repr=target_repr,
        actor=actor,
    )


@pytest.mark.parametrize(
    ("entry", "sentence"),
    [
        (
            _entry(
                "kb.article_created",
                target_type="solutions.KnowledgeArticle",
                target_repr="Reset a VPN token",
                details={"source": "manual"},
            ),
            "Expertdesk wrote the knowledge article “Reset a VPN token”",
        ),
        (
            _entry(
                "ticket.category_corrected",
                target_type="solutions.Ticket",
                target_repr="#4 Cannot open the finance share",
                details={"category": "Network", "was": "Email", "predicted": "Email"},
            ),
            "Expertdesk corrected the category of #4 “Cannot open the finance share” from "
            "Email to Network",
        ),
        (
            # Nothing before the correction: the sentence without "from".
            _entry(
                "ticket.priority_corrected",
                target_type="solutions.Ticket",
                target_repr="#2 Printer",
                details={"priority": "high", "was": ""},
            ),
            "Expertdesk set the priority of #2 “Printer” to high",
        ),
        (
            _entry(
                "ticket.submitted",
                target_type="solutions.Ticket",
                target_repr="#7 VPN",
                details={"channel": "api"},
            ),
            "Expertdesk submitted #7 “VPN” through the API",
        ),
        (
            _entry(
                "ticket.escalated",
                target_type="solutions.Ticket",
                target_repr="#3 Dock",
                details={"price_cents": 8050},
            ),
            "Expertdesk escalated #3 “Dock” to the experts for $80.50",
        ),
        (
            _entry(
                "model.promoted",
                target_type="ml.ModelVersion",
                target_repr="acme v3 (ready)",
                details={"previous": 2},
            ),
            "Expertdesk put model v3 in charge of triage, replacing v2",
        ),
        (
            _entry("model.promoted", target_type="ml.ModelVersion", target_repr="acme v1 (ready)"),
            "Expertdesk put model v1 in charge of triage",
        ),
        (
            _entry("invitation.created", details={"email": "sam@acme.test", "role": "agent"}),
            "Expertdesk invited sam@acme.test as agent",
        ),
        (
            _entry(
                "invitation.revoked",
                target_type="accounts.Invitation",
                target_repr="Invitation of sam@acme.test to Acme",
            ),
            "Expertdesk withdrew the invitation of sam@acme.test",
        ),
        (
            _entry("billing.spend_cap_set", details={"from_cents": None, "to_cents": 50000}),
            "Expertdesk set the monthly spend cap to $500.00",
        ),
        (
            _entry("billing.spend_cap_set", details={"from_cents": 50000, "to_cents": None}),
            "Expertdesk removed the spend cap",
        ),
    ],
)
def test_sentences_fill_in_the_details(entry, sentence):
    assert audit.audit_sentence(entry) == sentence


def test_a_code_without_a_sentence_still_reads_as_words():
    entry = _entry(
        "kb.article_frobbed", target_type="solutions.KnowledgeArticle", target_repr="VPN"
    )
    predicate = audit.audit_predicate(entry)
    assert predicate == "made a change in knowledge base: article frobbed (“VPN”)"
    assert "kb." not in predicate and "_" not in predicate
    assert audit.audit_predicate(_entry("mystery")) == "made a change in mystery: made a change"
    assert "_" not in audit.audit_predicate(_entry("brand_new.thing_done"))


def test_details_read_as_labels_and_values_and_leave_out_what_the_sentence_says():
    entry = _entry(
        "billing.spend_cap_set", details={"from_cents": 8000, "to_cents": 9000, "note": ""}
    )
    assert audit.audit_sentence(entry) == "Expertdesk set the monthly spend cap to $90.00"
    assert audit.audit_details(entry) == [("From", "$80.00")]
    unknown = _entry("kb.thing_done", details={"events": {"from": ["a"], "to": ["a", "b"]}})
    assert audit.audit_details(unknown) == [("Events", "a → a, b")]


@pytest.mark.django_db
def test_the_audit_log_page_and_the_dashboard_show_sentences(
    make_org, make_user, add_member, login
):
    org = make_org(name="Words Corp")
    owner = org.memberships.get(role=Role.OWNER).user
    knowledge.article_create(
        organization=org, actor=owner, title="Reset a VPN token", body="Open the portal."
    )
    audit_log_record(actor=owner, organization=org, action="kb.article_frobbed")
    client = login(owner)
    page = client.get(reverse("audit_log")).content.decode()
    name = owner.display_name
    assert f"<strong>{name}</strong> wrote the knowledge article “Reset a VPN token”" in page
    assert f"<strong>{name}</strong> made a change in knowledge base: article frobbed" in page
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f"{name} wrote the knowledge article “Reset a VPN token”" in dashboard
    assert f"{name} made a change in knowledge base: article frobbed" in dashboard
    for shown in (page.split("<tbody>")[1], dashboard.split('data-testid="recent-activity"')[1]):
        assert "kb.article_created" not in shown.replace('data-action="kb.article_created"', "")
        assert "kb.article_frobbed" not in shown.replace('data-action="kb.article_frobbed"', "")
    # The area filter narrows the log to the codes of an area.
    members = client.get(reverse("audit_log"), {"action": "membership."}).content.decode()
    assert "Reset a VPN token" not in members and "No activity recorded in this area" in members
    kb_only = client.get(reverse("audit_log"), {"action": "kb."}).content.decode()
    assert kb_only.count('data-testid="audit-row"') == 2
