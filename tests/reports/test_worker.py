"""Scheduled reports on a real Celery worker: the beat task queues, the worker emails over SMTP."""

import time

import pytest
import redis

from reports.models import ReportDelivery, ReportSchedule
from scripts.harness import celery_command, start_process, stop_process_groups, wait_until
from tests.processes import process_environment
from voiceagent.celery import app as celery_app

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BROKER_KEYS = ("celery", "unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def worker(settings, smtp_server, tmp_path):
    """A `celery worker` process on the test database, mailing to the test's SMTP server."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*BROKER_KEYS)
    command = celery_command("worker", "--pool", "prefork", "--concurrency", "1",
                             "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                             "--hostname", "reports-test@%h")  # fmt: skip
    process = start_process(
        command,
        env=process_environment(
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_server.port),
            DEFAULT_FROM_EMAIL="reports@voiceagent.example",
        ),
        log=tmp_path / "worker.log",
    )
    yield process
    stop_process_groups(process)
    client.delete(*BROKER_KEYS)


def test_beat_task_twice_on_a_worker_sends_one_email_with_the_pdf(team, smtp_server, worker):
    # Hour 0: yesterday's report is due whenever the test runs.
    schedule = ReportSchedule.objects.create(
        campaign=team.campaign, frequency="daily", hour=0, recipients=["sales@example.com"]
    )

    celery_app.send_task("reports.queue_due_reports")
    wait_until(lambda: smtp_server.messages, timeout=90, what="the report email")
    celery_app.send_task("reports.queue_due_reports")
    wait_until(
        lambda: not redis.Redis.from_url(celery_app.conf.broker_url).llen("celery"),
        what="the second beat run to be taken",
    )
    time.sleep(3)  # room for a wrong second email to arrive

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]["message"]
    assert smtp_server.messages[0]["to"] == ["sales@example.com"]
    assert message["Subject"].strip().startswith("Powai launch: daily report for ")
    pdfs = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_payload(decode=True).startswith(b"%PDF-")
    delivery = ReportDelivery.objects.get(schedule=schedule)
    assert (delivery.status, delivery.attempts) == ("sent", 1)
