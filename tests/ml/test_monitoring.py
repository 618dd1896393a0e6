"""Model monitoring (ml/monitoring.py, solutions/selectors/monitoring.py): weekly volume,
abstain share, measured accuracy per class, drift against the training data, and the
"model.degraded" alert — on constructed tickets whose drift we choose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, Role
from ml import monitoring
from ml.models import ModelAlert, ModelVersion
from ml.tasks import model_degradation_check_task
from solutions.models import Feedback, Notification, Ticket
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_endpoint_create

# A Wednesday: its week starts on Monday 2026-06-01; "last week" is the week of May 25.
NOW = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)
THIS_WEEK = datetime(2026, 6, 1, tzinfo=UTC)
LAST_WEEK = THIS_WEEK - timedelta(weeks=1)

TRAINING = [
    ("Cannot log in to my account password reset", "access"),
    ("Password expired cannot sign in", "access"),
    ("Printer jammed paper tray broken", "hardware"),
    ("Laptop screen flickers hardware fault", "hardware"),
    ("Wifi network drops connection slow", "network"),
    ("VPN network connection fails", "network"),
]


def champion(org: Organization, **metrics: Any) -> ModelVersion:
    reference = monitoring.training_reference(
        # The training labels: access, hardware and network in equal shares.
        [(text, category) for text, category in TRAINING] * 10,
        TRAINING,
    )
    return ModelVersion.objects.create(
        organization=org,
        version=1,
        status=ModelVersion.Status.CHAMPION,
        metrics={"monitoring": reference, **metrics},
    )


class Tickets:
    def __init__(self, org: Organization) -> None:
        self.org = org
        self.number = 0

    def add(
        self,
        when: datetime,
        predicted: str,
        *,
        text: str = "Wifi network drops connection",
        outcome: str = Ticket.TriageOutcome.CONFIDENT,
        confidence: float = 0.9,
        corrected_to: str = "",
        confirmed: bool = False,
        resolution: str = "",
        count: int = 1,
    ) -> None:
        for _ in range(count):
            self.number += 1
            ticket = Ticket.objects.create(
                organization=self.org,
                number=self.number,
                title=text,
                body=text,
                created_at=when,
                predicted_category=predicted,
                category=corrected_to or predicted,
                category_corrected=bool(corrected_to),
                category_confidence=confidence,
                triage_outcome=outcome,
                resolution=resolution,
            )
            if corrected_to:
                Feedback.objects.create(
                    organization=self.org,
                    ticket=ticket,
                    kind=Feedback.Kind.CATEGORY_CORRECTED,
                    category=corrected_to,
                )
            if confirmed:
                Feedback.objects.create(
                    organization=self.org,
                    ticket=ticket,
                    kind=Feedback.Kind.CATEGORY_CONFIRMED,
                    category=predicted,
                )


@pytest.fixture
def org(make_org) -> Organization:
    return make_org()


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def week_of(report: monitoring.Report, start: datetime) -> monitoring.Week:
    return next(w for w in report.weeks if w.start == start.date())


def test_volume_abstain_share_and_accuracy_per_class_per_week(org, clock):
    version = champion(org)
    tickets = Tickets(org)
    when = LAST_WEEK + timedelta(days=1)
    # network: 3 confirmed, 1 resolved by an accepted answer, 1 corrected -> 4/5.
    tickets.add(when, "network", confirmed=True, count=3)
    tickets.add(when, "network", resolution=Ticket.Resolution.AI)
    tickets.add(when, "network", corrected_to="access")
    # Corrected later though it was resolved first: a correction wins, it is wrong.
    tickets.add(when, "hardware", resolution=Ticket.Resolution.EXPERT, corrected_to="network")
    # Not measured: nobody looked at them.
    tickets.add(when, "hardware", outcome=Ticket.TriageOutcome.ABSTAINED, confidence=0.3, count=2)
    tickets.add(when, "", outcome=Ticket.TriageOutcome.NEEDS_DETAIL, confidence=0.2)
    # Not triaged at all: not counted.
    Ticket.objects.create(organization=org, number=99, title="x", body="x", created_at=when)
    # The week before: one hardware ticket confirmed.
    tickets.add(LAST_WEEK - timedelta(days=3), "hardware", confirmed=True)

    report = monitoring.monitoring_report(org, champion=version)
    assert len(report.weeks) == monitoring.WEEKS_SHOWN
    assert report.weeks[-1].start == THIS_WEEK.date()
    last = week_of(report, LAST_WEEK)
    assert last.total == 9
    assert (last.abstained, last.needs_detail, last.low_confidence) == (2, 1, 3)
    assert last.abstained_share == pytest.approx(2 / 9)
    assert last.per_class == {"network": (4, 1), "hardware": (0, 1)}
    assert (last.right, last.wrong, last.measured) == (4, 2, 6)
    assert last.accuracy == pytest.approx(4 / 6)
    before = week_of(report, LAST_WEEK - timedelta(weeks=1))
    assert before.per_class == {"hardware": (1, 0)} and before.accuracy == 1.0
    assert report.weeks[-1].total == 0 and report.weeks[-1].accuracy is None
    assert report.classes == ["hardware", "network"]


def test_label_drift_rises_when_the_incoming_distribution_shifts(org, clock):
    version = champion(org)
    tickets = Tickets(org)
    # Two weeks ago: the training mix (a third each); last week: nearly all network.
    for category in ("access", "hardware", "network"):
        tickets.add(LAST_WEEK - timedelta(days=6), category, count=10)
    tickets.add(LAST_WEEK + timedelta(days=1), "network", count=27)
    tickets.add(LAST_WEEK + timedelta(days=1), "access", count=3)

    report = monitoring.monitoring_report(org, champion=version)
    steady = week_of(report, LAST_WEEK - timedelta(weeks=1)).label_drift
    shifted = week_of(report, LAST_WEEK).label_drift
    assert steady is not None and shifted is not None
    assert steady == pytest.approx(0.0, abs=1e-9)
    assert shifted > 0.4 > steady
    # A category the training data never had is a drift, not an error.
    assert monitoring.js_distance({"new": 5.0}, {"access": 1.0}) == pytest.approx(1.0)


def test_lexical_drift_is_the_rise_of_new_words(org, clock):
    version = champion(org)
    tickets = Tickets(org)
    tickets.add(LAST_WEEK - timedelta(days=6), "network", text="VPN network connection fails")
    tickets.add(
        LAST_WEEK + timedelta(days=1), "network", text="Blockchain quantum synergy ledger oracle"
    )
    report = monitoring.monitoring_report(org, champion=version)
    familiar = week_of(report, LAST_WEEK - timedelta(weeks=1))
    novel = week_of(report, LAST_WEEK)
    assert familiar.oov == 0.0 and novel.oov == 1.0
    assert novel.lexical_drift is not None and novel.lexical_drift > 0.9
    # Without a stored vocabulary (trained before monitoring) there is no lexical number,
    # and the label distribution falls back to the held-out split's support.
    version.metrics = {"per_class": {"network": {"support": 4}, "access": {"support": 4}}}
    version.save()
    report = monitoring.monitoring_report(org, champion=version)
    assert not report.has_vocabulary and week_of(report, LAST_WEEK).oov is None
    assert report.reference_labels == {"network": 4, "access": 4}


def degrade(org: Organization) -> None:
    """Last week: 25 measured tickets, 10 right (40%), the labels' mix unchanged."""
    tickets = Tickets(org)
    when = LAST_WEEK + timedelta(days=2)
    for category in ("access", "hardware", "network"):
        tickets.add(when, category, confirmed=True, count=3)
    tickets.add(when, "network", confirmed=True)
    tickets.add(when, "access", corrected_to="network", count=5)
    tickets.add(when, "hardware", corrected_to="network", count=5)
    tickets.add(when, "network", corrected_to="access", count=5)


def test_the_alert_fires_once_with_mail_and_webhook(
    org, clock, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    champion(org)
    owner = org.memberships.get(role=Role.OWNER).user
    webhook_endpoint_create(
        organization=org,
        actor=owner,
        url="http://127.0.0.1:9/expertdesk",
        events=["model.degraded"],
    )
    degrade(org)

    with django_capture_on_commit_callbacks(execute=True):
        assert model_degradation_check_task() == 1
    alert = ModelAlert.objects.get(organization=org)
    assert alert.week == LAST_WEEK.date()
    assert alert.measured == 25 and alert.accuracy == pytest.approx(0.4)
    assert "measured accuracy 40% on 25 tickets is below 70%" in alert.reasons[0]
    delivery = WebhookDelivery.objects.get(organization=org)
    assert delivery.event == "model.degraded"
    assert delivery.payload["data"]["suggestion"] == "retrain"
    assert delivery.payload["data"]["week"] == "2026-05-25"
    note = Notification.objects.get(user=owner, kind="model_degraded")
    assert "may need retraining" in note.message
    assert [m.to for m in mail.outbox] == [[owner.email]]

    # Again the same week (the next day's beat, or a second worker): nothing more.
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert model_degradation_check_task() == 0
    assert ModelAlert.objects.count() == 1 and WebhookDelivery.objects.count() == 1
    assert len(mail.outbox) == 1


def test_drift_alone_alerts(org, clock):
    champion(org)
    Tickets(org).add(LAST_WEEK + timedelta(days=1), "network", count=25)
    alert = monitoring.model_degradation_check(organization=org)
    assert alert is not None and alert.accuracy is None
    assert any("drifted from the training labels" in r for r in alert.reasons)


def test_no_alert_without_enough_data_or_when_healthy(org, make_org, clock, settings):
    champion(org)
    tickets = Tickets(org)
    # 19 measured, all wrong: below ML_MONITORING_MIN_TICKETS, no alert, and no drift either.
    for category in ("access", "hardware", "network"):
        tickets.add(LAST_WEEK + timedelta(days=1), category, corrected_to="other", count=6)
    tickets.add(LAST_WEEK + timedelta(days=1), "network", corrected_to="other")
    assert monitoring.model_degradation_check(organization=org) is None

    # Enough tickets, healthy and in the training mix: none either.
    healthy = make_org()
    champion(healthy)
    more = Tickets(healthy)
    for category in ("access", "hardware", "network"):
        more.add(LAST_WEEK + timedelta(days=1), category, confirmed=True, count=8)
    assert monitoring.model_degradation_check(organization=healthy) is None

    # A new organization: no champion, no tickets.
    assert monitoring.model_degradation_check(organization=make_org()) is None
    assert ModelAlert.objects.count() == 0

    # The threshold is a setting.
    settings.ML_MONITORING_MIN_TICKETS = 10
    assert monitoring.model_degradation_check(organization=org) is not None


def owner_client(org: Organization, login) -> Client:
    return login(org.memberships.get(role=Role.OWNER).user)


def test_model_page_shows_monitoring(org, login, clock):
    champion(org, per_class={"network": {"f1": 0.8, "support": 4}})
    degrade(org)
    html = owner_client(org, login).get(reverse("ml_model")).content.decode()
    assert 'data-testid="monitoring"' in html and 'data-testid="no-monitoring"' not in html
    for chart in ("volume-chart", "abstain-chart", "accuracy-chart", "label-drift-chart"):
        assert f'data-testid="{chart}"' in html
    assert html.count('class="chart chart-weeks"') >= 4
    assert 'class="threshold"' in html  # the alert's accuracy threshold
    assert html.count('data-testid="class-accuracy-row"') == 3
    assert 'data-testid="monitoring-accuracy">40%' in html
    assert "style=" not in html.split('data-testid="monitoring"')[1].split("</article>")[0]


def test_model_page_monitoring_empty_state(org, login, clock):
    champion(org)
    html = owner_client(org, login).get(reverse("ml_model")).content.decode()
    assert 'data-testid="no-monitoring"' in html and "chart-weeks" not in html
