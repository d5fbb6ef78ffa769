"""Retention: transcripts' words and recording URLs go after TRANSCRIPT_RETENTION_DAYS with every
figure unchanged; audit events go after AUDIT_RETENTION_DAYS; both run from Celery beat."""

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from analytics import selectors
from tests import factories
from voiceagent.celery import app as celery_app
from voiceagent.models import AuditAction, AuditEvent, CallEvent, CallSession, ConversationTurn
from voiceagent.tasks import prune_audit_events_task, purge_old_transcripts_task

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def calls(team):
    now = timezone.now()
    lead = factories.make_lead(team.campaign, "Asha Rao")
    old = factories.make_call(
        lead,
        call_sid="CA-OLD",
        initiated_at=now - timedelta(days=400),
        recording_url="https://recordings.example.in/CA-OLD.mp3",
        ingest_state={
            "ends": [{"id": "e1", "recording_url": "https://recordings.example.in/CA-OLD.mp3"}]
        },
    )
    recent = factories.make_call(
        lead,
        call_sid="CA-NEW",
        initiated_at=now - timedelta(days=10),
        recording_url="https://recordings.example.in/CA-NEW.mp3",
    )
    factories.make_turn(old, 1, text="Old words", stt_ms=200)
    factories.make_objection(old, text="Too far away")
    factories.make_turn(recent, 1, text="New words", stt_ms=300)
    CallEvent.objects.create(
        event_id="ev-old-1",
        type="call.turn",
        call_sid="CA-OLD",
        occurred_at=old.initiated_at,
        payload={"type": "call.turn", "data": {"sequence": 1, "text": "Old words"}},
    )
    return old, recent


def test_transcripts_older_than_the_retention_lose_words_and_recordings(team, calls, settings):
    settings.TRANSCRIPT_RETENTION_DAYS = 365
    old, recent = calls
    before = selectors.campaign_metrics(campaign=team.campaign)
    assert purge_old_transcripts_task.apply().get() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert list(ConversationTurn.objects.order_by("call_id").values_list("text", "stt_ms")) == [
        ("", 200),
        ("New words", 300),
    ]
    assert old.objections.get().text == ""
    assert (old.recording_url, old.ingest_state["ends"][0]["recording_url"]) == ("", "")
    assert recent.recording_url == "https://recordings.example.in/CA-NEW.mp3"
    assert CallEvent.objects.get(event_id="ev-old-1").payload["data"] == {"sequence": 1, "text": ""}
    assert selectors.campaign_metrics(campaign=team.campaign) == before
    assert CallSession.objects.get(pk=old.pk).turns.count() == 1
    # Idempotent: a second run finds nothing left to purge.
    assert purge_old_transcripts_task.apply().get() == 0


def test_empty_transcript_retention_keeps_everything(team, calls, settings):
    settings.TRANSCRIPT_RETENTION_DAYS = None
    assert purge_old_transcripts_task.apply().get() == 0
    assert ConversationTurn.objects.filter(text="Old words").count() == 1


def test_audit_events_older_than_the_retention_are_pruned(team, settings):
    settings.AUDIT_RETENTION_DAYS = 365
    now = timezone.now()
    old = AuditEvent.objects.create(action=AuditAction.LOGIN, occurred_at=now - timedelta(days=366))
    kept = AuditEvent.objects.create(
        action=AuditAction.LOGIN, occurred_at=now - timedelta(days=364)
    )
    assert prune_audit_events_task.apply().get() == 1
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not AuditEvent.objects.filter(pk=old.pk).exists()


def test_beat_runs_both_retention_tasks(settings):
    scheduled = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"voiceagent.prune_audit_events", "voiceagent.purge_old_transcripts"} <= scheduled
    celery_app.loader.import_default_modules()
    assert {"voiceagent.prune_audit_events", "voiceagent.purge_old_transcripts"} <= set(
        celery_app.tasks
    )


@pytest.mark.parametrize(
    ("value", "expected"), [(None, [365, 365]), ("", [365, None]), ("30", [365, 30])]
)
def test_retention_settings_default_to_a_year_and_empty_keeps_transcripts(value, expected):
    env = {"DEBUG": "1"}
    if value is not None:
        env["TRANSCRIPT_RETENTION_DAYS"] = value
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.AUDIT_RETENTION_DAYS, s.TRANSCRIPT_RETENTION_DAYS]))"
    )
    import os

    base = {k: v for k, v in os.environ.items() if k != "TRANSCRIPT_RETENTION_DAYS"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "voiceagent.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected, result.stderr
