"""The ticket API's suggestions: each with its probability of solving the ticket, whether it
is a weak match, the matched passage and the URL of its source (null where there is no page,
never another organization's); the least likely are left out, as on the page."""

from __future__ import annotations

from ml.engine.solve_calibration import prior_probability
from ml.serving import Suggestion
from solutions.services import knowledge
from solutions.services import tickets as ticket_services
from tests.solutions.triage_results import record, triage_result

from .conftest import bearer, owner_of

URL = "/api/v1/tickets/"


def test_suggestions_carry_probability_weakness_passage_and_source(make_org_with_model, make_key):
    org = make_org_with_model()
    owner = owner_of(org)
    ticket_services.solution_settings_update(
        organization=org, actor=owner, auto_answer_threshold=0.6, categories=[]
    )
    article = knowledge.article_create(
        organization=org,
        actor=owner,
        title="Resetting the office router",
        body="Hold the reset button for ten seconds.",
        category="network",
    )
    ticket = ticket_services.ticket_submit(
        organization=org, author=owner, title="VPN drops", body="The vpn drops on the router."
    )
    ticket = record(
        ticket,
        triage_result(
            org,
            suggestions=[
                Suggestion("article", f"article:{article.pk}", article.title, article.body, 0.9),
                Suggestion("import", "import:x1", "Printer jams", "Open tray 2.", 0.42),
                Suggestion("import", "import:x2", "Badge reader", "Call facilities.", 0.1),
            ],
        ),
    )
    _, plaintext = make_key(org)
    body = bearer(plaintext).get(f"{URL}{ticket.number}/").json()
    strong, weak = body["suggestions"]  # the third is too unlikely to list
    assert strong["probability"] == prior_probability(0.9) and strong["score"] == 0.9
    assert strong["weak"] is False and strong["proposed"] is True
    assert strong["source_url"] == f"http://testserver/kb/{article.pk}/"
    assert strong["source"] == {"kind": "article", "key": f"article:{article.pk}"}
    assert strong["passage"] == strong["answer"] == "Hold the reset button for ten seconds."
    assert weak["weak"] is True and weak["proposed"] is False
    assert weak["probability"] == prior_probability(0.42)
    assert weak["source_url"] is None  # imported history has no page

    listed = bearer(plaintext).get(URL).json()["results"]
    assert [s["id"] for s in listed[0]["suggestions"]] == [strong["id"], weak["id"]]


def test_a_source_url_never_points_into_another_organization(make_org_with_model, make_key):
    org, other = make_org_with_model(), make_org_with_model()
    secret = ticket_services.ticket_submit(
        organization=other, author=owner_of(other), title="Payroll", body="secret payroll"
    )
    ticket = ticket_services.ticket_submit(
        organization=org, author=owner_of(org), title="VPN drops", body="The vpn drops."
    )
    forged = Suggestion("ticket", f"ticket:{secret.pk}", "VPN drops", "Restart it.", 0.9)
    record(ticket, triage_result(org, suggestions=[forged]))
    _, plaintext = make_key(org)
    [suggestion] = bearer(plaintext).get(f"{URL}{ticket.number}/").json()["suggestions"]
    assert suggestion["source_url"] is None


def test_the_schema_documents_the_new_fields(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    fields = schema["components"]["schemas"]["SuggestionOutput"]["properties"]
    assert {"probability", "weak", "passage", "source_url", "proposed"} <= set(fields)
    assert fields["probability"].get("nullable") is True
    assert fields["source_url"].get("nullable") is True
