"""The retention tasks as Celery beat sends them, run by a real `celery worker` process."""

from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from scripts.harness import celery_command, start_process, stop_process_groups, wait_until
from tests import factories
from tests.processes import process_environment
from voiceagent.models import AuditAction, AuditEvent, CallSession, ConversationTurn
from voiceagent.tasks import prune_audit_events_task, purge_old_transcripts_task

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
BROKER_KEYS = ("celery", "unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def worker(settings, tmp_path):
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*BROKER_KEYS)
    command = celery_command("worker", "--pool", "solo", "--loglevel", "INFO",
                             "--without-gossip", "--without-mingle",
                             "--hostname", "retention-test@%h")  # fmt: skip
    process = start_process(command, env=process_environment(), log=tmp_path / "worker.log")
    yield process
    stop_process_groups(process)
    client.delete(*BROKER_KEYS)


def test_worker_purges_old_transcripts_and_prunes_old_audit_events(team, worker):
    now = timezone.now()
    lead = factories.make_lead(team.campaign)
    old = factories.make_call(
        lead, initiated_at=now - timedelta(days=400), recording_url="https://r.example.in/a.mp3"
    )
    factories.make_turn(old, 1, text="Old words")
    AuditEvent.objects.create(action=AuditAction.LOGIN, occurred_at=now - timedelta(days=400))
    kept = AuditEvent.objects.create(action=AuditAction.LOGIN, occurred_at=now)

    purge_old_transcripts_task.apply_async()
    prune_audit_events_task.apply_async()

    wait_until(
        lambda: (
            not ConversationTurn.objects.exclude(text="").exists()
            and list(AuditEvent.objects.values_list("pk", flat=True)) == [kept.pk]
        ),
        what="the worker to run both retention tasks",
    )
    assert CallSession.objects.get(pk=old.pk).recording_url == ""
