"""Replaying the CallEvent log into a database without calls rebuilds exactly the same rows."""

import pytest
from django.core.management import call_command

from tests.factories import make_campaign, make_lead
from tests.voiceagent.ingestion.call_scripts import (
    CallScript,
    answered_call,
    database_rows,
    unanswered_call,
    voicemail_call,
)
from voiceagent.ingestion.services import IngestResult, ingest_events, replay_events
from voiceagent.models import (
    CallEvent,
    CallSession,
    Lead,
    ScheduledCall,
)

pytestmark = pytest.mark.django_db


def ingest_a_day_of_calls(team):
    """Several leads and paths, out of order and in odd batches, with an Exotel report."""
    strict = make_campaign("Strict", max_attempts=2, retry_delay_minutes=15)
    priya, rahul, meera = make_lead(team.campaign), make_lead(team.campaign), make_lead(strict)
    first = unanswered_call(priya, "CA1")
    second = answered_call(priya, "CA2", outcome="callback_requested", start=3600)
    third = unanswered_call(meera, "CA3", outcome="busy")
    fourth = unanswered_call(meera, "CA4", start=1800)
    fifth = voicemail_call(rahul, "CA5", start=600)
    ingest_events(events=second[5:] + first, source="api")
    ingest_events(events=third[::-1] + second[:5], source="api")
    ingest_events(events=fifth, source="simulator")
    ingest_events(events=fourth[1:], source="api")
    exotel = {
        **CallScript(meera, "CA4").add("call.queued", 1840).events[0],
        "event_id": "exotel:CA4:no_answer",
        "type": "exotel.status",
        "data": {"status": "no_answer", "duration_seconds": 0, "recording_url": ""},
    }
    ingest_events(events=[exotel], source="exotel")
    ingest_events(events=fourth[:1], source="api")


def forget_calls():
    """The database without anything ingestion wrote: campaigns and leads only, leads reset."""
    ScheduledCall.objects.all().delete()
    CallSession.objects.all().delete()
    CallEvent.objects.all().delete()
    Lead.objects.update(call_attempts=0, last_call_at=None, last_outcome="", status="new")


def test_replaying_the_log_into_an_empty_database_rebuilds_the_same_rows(team):
    ingest_a_day_of_calls(team)
    before = database_rows()
    log = list(CallEvent.objects.order_by("received_at", "id"))
    forget_calls()

    result = replay_events(records=log)

    assert result == IngestResult(accepted=len(log), duplicates=0)
    assert database_rows() == before
    assert len(before["calls"]) == 5
    assert len(before["follow_ups"]) == 4  # retries of CA1, CA3 and the voicemail CA5; callback CA2


def test_replaying_into_the_same_database_changes_nothing(team):
    ingest_a_day_of_calls(team)
    before = database_rows()

    result = replay_events(records=CallEvent.objects.order_by("received_at", "id"))

    assert result == IngestResult(accepted=0, duplicates=len(before["log"]))
    assert database_rows() == before


def test_dumped_log_replayed_by_the_command_rebuilds_the_same_rows(team, tmp_path):
    ingest_a_day_of_calls(team)
    before = database_rows()
    dump = tmp_path / "events.jsonl"
    call_command("replay_call_events", dump=str(dump))
    forget_calls()

    call_command("replay_call_events", input=str(dump))

    assert database_rows() == before
    assert len(dump.read_text().splitlines()) == len(before["log"])
