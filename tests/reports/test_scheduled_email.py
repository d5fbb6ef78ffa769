"""Scheduled email reports: due periods, one email per (schedule, period) through real SMTP."""

import io
from datetime import datetime

import pypdf
import pytest

from monitoring.metrics import errors_total
from reports import services
from reports.models import ReportDelivery, ReportSchedule
from scripts.harness import free_port
from tests.reports.conftest import CAMPAIGN_NAME

pytestmark = pytest.mark.django_db


def ist(*args):
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Asia/Kolkata"))


def run_beat_and_workers(now):
    """What beat and the workers do at `now`: queue the due deliveries, send each."""
    for delivery_id in services.queue_due_deliveries(now=now):
        services.deliver_report(delivery_id=delivery_id, now=now)


def make_schedule(campaign, **fields):
    values = {
        "frequency": "weekly",
        "hour": 9,
        "recipients": ["sales@example.com", "ceo@example.com"],
    }
    return ReportSchedule.objects.create(campaign=campaign, **{**values, **fields})


def attachment(message):
    parts = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    assert len(parts) == 1
    return parts[0].get_filename(), parts[0].get_payload(decode=True)


def test_weekly_report_is_emailed_once_with_the_pdf_of_the_previous_monday_to_sunday(
    report_campaign, smtp_server
):
    make_schedule(report_campaign)
    tuesday = ist(2025, 1, 21, 9, 30)  # the week 13–19 Jan is over; 20 Jan is the next week

    run_beat_and_workers(tuesday)
    run_beat_and_workers(tuesday)  # beat restarted, a message redelivered: nothing new

    assert len(smtp_server.messages) == 1
    sent = smtp_server.messages[0]
    assert sorted(sent["to"]) == ["ceo@example.com", "sales@example.com"]
    message = sent["message"]
    assert message["Subject"].strip() == f"{CAMPAIGN_NAME}: weekly report 13 Jan – 19 Jan 2025"
    assert message["From"] == "reports@voiceagent.example"
    body = message.get_body(("plain",)).get_content()
    assert "Calls made:          5" in body
    assert "Answer rate:         60.00%" in body
    assert "Qualification rate:  66.67%" in body
    filename, content = attachment(message)
    assert filename == f"campaign-{report_campaign.pk}-report-2025-01-13-to-2025-01-19.pdf"
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    assert "Calls made 5" in text
    delivery = ReportDelivery.objects.get()
    assert (delivery.period_first.isoformat(), delivery.period_last.isoformat()) == (
        "2025-01-13",
        "2025-01-19",
    )
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_daily_report_covers_the_previous_day_from_its_hour_on(report_campaign, smtp_server):
    make_schedule(report_campaign, frequency="daily", hour=8, recipients=["ops@example.com"])

    run_beat_and_workers(ist(2025, 1, 16, 7, 59))
    assert smtp_server.messages == []

    run_beat_and_workers(ist(2025, 1, 16, 8, 0))
    run_beat_and_workers(ist(2025, 1, 16, 23, 55))

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]["message"]
    assert message["Subject"].strip() == f"{CAMPAIGN_NAME}: daily report for 15 Jan 2025"
    body = message.get_body(("plain",)).get_content()
    assert "Calls made:          2" in body  # 15 Jan: a no-answer and a voicemail
    assert "Answer rate:         0.00%" in body
    # None of them answered: no qualification rate yet, as on the pages and in the PDF.
    assert "Qualification rate:  —\r\n" in body


def test_each_schedule_and_each_period_gets_its_own_email(report_campaign, smtp_server):
    make_schedule(report_campaign, frequency="daily", recipients=["a@example.com"])
    make_schedule(report_campaign, frequency="daily", recipients=["b@example.com"])

    for day in (16, 17, 17):
        run_beat_and_workers(ist(2025, 1, day, 10, 0))

    subjects = sorted((m["to"][0], m["message"]["Subject"].strip()) for m in smtp_server.messages)
    assert subjects == [
        ("a@example.com", f"{CAMPAIGN_NAME}: daily report for 15 Jan 2025"),
        ("a@example.com", f"{CAMPAIGN_NAME}: daily report for 16 Jan 2025"),
        ("b@example.com", f"{CAMPAIGN_NAME}: daily report for 15 Jan 2025"),
        ("b@example.com", f"{CAMPAIGN_NAME}: daily report for 16 Jan 2025"),
    ]


def test_an_inactive_schedule_sends_nothing(report_campaign, smtp_server):
    make_schedule(report_campaign, active=False)

    run_beat_and_workers(ist(2025, 1, 21, 9, 30))

    assert smtp_server.messages == []
    assert not ReportDelivery.objects.exists()


def test_a_claimed_delivery_is_not_sent_by_a_second_worker(report_campaign, smtp_server):
    make_schedule(report_campaign)
    now = ist(2025, 1, 21, 9, 30)
    [delivery_id] = services.queue_due_deliveries(now=now)

    first = services.deliver_report(delivery_id=delivery_id, now=now)
    second = services.deliver_report(delivery_id=delivery_id, now=now)

    assert (first.status, second) == ("sent", None)
    assert len(smtp_server.messages) == 1


def test_smtp_down_keeps_the_delivery_pending_and_the_next_run_sends_it_once(
    report_campaign, smtp_server, settings
):
    make_schedule(report_campaign)
    now = ist(2025, 1, 21, 9, 30)
    failures = errors_total.labels(type="report_failed", component="reports")
    before = failures._value.get()
    settings.EMAIL_PORT = free_port()  # nothing listens there

    run_beat_and_workers(now)

    delivery = ReportDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "Connection refused" in delivery.error
    assert failures._value.get() == before + 1

    settings.EMAIL_PORT = smtp_server.port
    run_beat_and_workers(ist(2025, 1, 21, 9, 35))
    run_beat_and_workers(ist(2025, 1, 21, 9, 40))

    assert len(smtp_server.messages) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 2, "")
