"""Each path of a call, ingested through the service, ends in exactly the expected rows."""

from datetime import timedelta

import pytest

from tests.factories import make_campaign, make_lead
from tests.voiceagent.ingestion.call_scripts import (
    answered_call,
    at,
    call_state,
    lead_state,
    unanswered_call,
    voicemail_call,
)
from voiceagent.ingestion.services import ConflictingEvents, IngestResult, ingest_events
from voiceagent.models import CallEvent, CallSession, ConversationTurn, ScheduledCall

pytestmark = pytest.mark.django_db

RECORDING = "https://recordings.example.in/CA1.mp3"


@pytest.fixture
def lead(team):
    return make_lead(team.campaign, "Priya Sharma")


def test_qualified_call_ends_with_every_field_exact(lead):
    result = ingest_events(events=answered_call(lead, "CA1"), source="api")

    assert result == IngestResult(accepted=17, duplicates=0)
    state = call_state("CA1")
    assert {
        key: state[key] for key in state if key not in ("turns", "objections", "ingest_state")
    } == {
        "call_sid": "CA1",
        "campaign": lead.campaign_id,
        "lead": lead.pk,
        "attempt_number": 1,
        "status": "completed",
        "outcome": "qualified",
        "ended_by": "lead",
        "queued_at": at(0),
        "initiated_at": at(2),
        "ringing_at": at(4),
        "answered_at": at(10),
        "ended_at": at(60),
        "duration_seconds": 50,
        "current_stage": "closing",
        "stage_first_reached": {
            "greeting": "2025-01-15T05:30:10.000000+00:00",
            "discovery": "2025-01-15T05:30:18.000000+00:00",
            "closing": "2025-01-15T05:30:30.000000+00:00",
        },
        "qualification": {
            "purpose": "buy",
            "budget": "80 lakh",
            "timeline": "3 months",
            "interest_level": "high",
        },
        "recording_url": RECORDING,
        "error": "",
        "last_event_at": at(60),
        "follow_up": [],
    }
    assert CallSession.objects.get(call_sid="CA1").stages_reached == [
        "greeting",
        "discovery",
        "closing",
    ]
    assert state["turns"][0] == (
        1,
        "agent",
        "Namaste, am I speaking with Priya?",
        "greeting",
        at(11),
        None,
        620,
        180,
    )
    assert [turn[:2] for turn in state["turns"]] == [
        (1, "agent"), (2, "lead"), (3, "agent"), (4, "lead"), (5, "agent"), (6, "lead"),
    ]  # fmt: skip
    assert state["objections"] == [("price", "Prices are high.", at(25), "CA1-011")]
    assert lead_state(lead) == (1, at(2), "qualified", "qualified")
    assert CallEvent.objects.filter(call_sid="CA1").count() == 17


def test_not_interested_call_sets_lead_not_interested_without_follow_up(lead):
    ingest_events(events=answered_call(lead, "CA1", outcome="not_interested"), source="api")

    state = call_state("CA1")
    assert (state["status"], state["outcome"], state["follow_up"]) == (
        "completed",
        "not_interested",
        [],
    )
    assert lead_state(lead) == (1, at(2), "not_interested", "not_interested")


def test_callback_requested_call_schedules_a_callback_after_the_campaign_delay(team):
    campaign = make_campaign(callback_delay_minutes=90, members=[team.member])
    lead = make_lead(campaign)

    ingest_events(events=answered_call(lead, "CA1", outcome="callback_requested"), source="api")

    state = call_state("CA1")
    assert (state["status"], state["outcome"]) == ("completed", "callback_requested")
    assert state["follow_up"] == [("callback", at(60) + timedelta(minutes=90), "pending")]
    assert lead_state(lead) == (1, at(2), "callback_requested", "callback")


def test_voicemail_call_is_completed_with_outcome_voicemail(lead):
    ingest_events(events=voicemail_call(lead, "CA1"), source="api")

    state = call_state("CA1")
    assert (state["status"], state["outcome"], state["ended_by"]) == (
        "completed",
        "voicemail",
        "agent",
    )
    assert (state["answered_at"], state["ended_at"], state["duration_seconds"]) == (
        at(12),
        at(30),
        18,
    )
    assert state["current_stage"] == "greeting"
    # A machine is not an answer: the lead is retried like after no answer.
    assert state["follow_up"] == [("retry", at(30) + timedelta(minutes=120), "pending")]
    assert lead_state(lead) == (1, at(2), "voicemail", "contacted")


def test_no_answer_call_schedules_a_retry_after_the_campaign_delay(team):
    campaign = make_campaign(retry_delay_minutes=30, max_attempts=3)
    lead = make_lead(campaign)

    ingest_events(events=unanswered_call(lead, "CA1", outcome="no_answer"), source="api")

    state = call_state("CA1")
    assert (state["status"], state["outcome"], state["ended_by"]) == (
        "no_answer",
        "no_answer",
        "system",
    )
    assert (state["answered_at"], state["ended_at"], state["duration_seconds"]) == (None, at(34), 0)
    assert (state["current_stage"], state["turns"]) == ("", [])
    assert state["follow_up"] == [("retry", at(34) + timedelta(minutes=30), "pending")]
    assert lead_state(lead) == (1, at(2), "no_answer", "contacted")


def test_busy_call_ends_busy_with_outcome_no_answer_and_a_retry(lead):
    ingest_events(events=unanswered_call(lead, "CA1", outcome="busy"), source="api")

    state = call_state("CA1")
    assert (state["status"], state["outcome"], state["duration_seconds"]) == (
        "busy",
        "no_answer",
        0,
    )
    assert state["follow_up"] == [("retry", at(34) + timedelta(minutes=120), "pending")]


def test_failed_call_keeps_the_error_and_is_retried(lead):
    ingest_events(events=unanswered_call(lead, "CA1", outcome="failed"), source="api")

    state = call_state("CA1")
    assert (state["status"], state["outcome"], state["error"]) == (
        "failed",
        "failed",
        "SIP 503 from carrier",
    )
    assert (state["ended_at"], state["duration_seconds"]) == (at(6), 0)
    # Failed on the line is nobody answering: retried after the campaign's retry delay.
    assert state["follow_up"] == [("retry", at(6) + timedelta(minutes=120), "pending")]
    assert lead_state(lead) == (1, at(2), "failed", "contacted")


def test_call_in_progress_has_no_outcome_and_the_stage_reached_last(lead):
    events = [e for e in answered_call(lead, "CA1") if e["type"] != "call.completed"][:9]

    ingest_events(events=events, source="api")

    state = call_state("CA1")
    assert (state["status"], state["outcome"], state["ended_at"], state["duration_seconds"]) == (
        "in_progress", "", None, None,
    )  # fmt: skip
    assert state["current_stage"] == "discovery"
    # "Last call" is the last finished call: none yet.
    assert lead_state(lead) == (1, None, "", "contacted")


def test_last_allowed_attempt_without_answer_makes_the_lead_unreachable(team):
    campaign = make_campaign(max_attempts=2, retry_delay_minutes=60)
    lead = make_lead(campaign)

    ingest_events(events=unanswered_call(lead, "CA1"), source="api")
    ingest_events(events=unanswered_call(lead, "CA2", start=7200), source="api")

    assert call_state("CA1")["follow_up"] == [("retry", at(34) + timedelta(minutes=60), "done")]
    assert call_state("CA2")["follow_up"] == []
    assert call_state("CA2")["attempt_number"] == 2
    assert lead_state(lead) == (2, at(7202), "no_answer", "unreachable")


def test_a_new_call_of_the_lead_completes_its_pending_retry(lead):
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")
    ingest_events(events=answered_call(lead, "CA2", start=7200)[:1], source="api")

    assert ScheduledCall.objects.get(source_call__call_sid="CA1").status == "done"
    assert lead_state(lead) == (2, at(2), "no_answer", "contacted")


@pytest.mark.parametrize("conn_max_age", [0, 600])
def test_a_retry_moved_to_another_lead_is_still_its_calls_follow_up(
    lead, team, monkeypatch, conn_max_age
):
    """Staff may give a follow-up to another lead in the admin (its source call stays): the
    call's lead, projected again, still finds it by its call (source_call is one-to-one) and
    completes it, instead of planning a second one; with and without prepared statements."""
    from django.db import connection

    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", conn_max_age)
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")
    retry = ScheduledCall.objects.get(source_call__call_sid="CA1")
    retry.lead = make_lead(team.campaign, "Vikram Shah")
    retry.save()

    ingest_events(events=answered_call(lead, "CA2", start=7200)[:1], source="api")

    assert list(ScheduledCall.objects.values_list("pk", "status")) == [(retry.pk, "done")]


def test_do_not_call_lead_gets_its_follow_up_canceled_and_keeps_its_status(team):
    lead = make_lead(team.campaign, is_dnc=True, status="dnc")

    ingest_events(events=unanswered_call(lead, "CA1"), source="api")

    assert call_state("CA1")["follow_up"] == [
        ("retry", at(34) + timedelta(minutes=120), "canceled")
    ]
    assert lead_state(lead) == (1, at(2), "no_answer", "dnc")


def test_resending_a_batch_counts_duplicates_and_changes_nothing(lead):
    events = answered_call(lead, "CA1")
    ingest_events(events=events, source="api")
    before = call_state("CA1")

    result = ingest_events(events=events, source="api")

    assert result == IngestResult(accepted=0, duplicates=17)
    assert call_state("CA1") == before
    assert CallEvent.objects.count() == 17
    assert ConversationTurn.objects.count() == 6


def test_repeated_event_inside_one_batch_counts_once(lead):
    events = unanswered_call(lead, "CA1")

    result = ingest_events(events=[*events, events[0]], source="api")

    assert result == IngestResult(accepted=4, duplicates=1)


def test_event_id_reused_with_other_content_is_a_conflict_and_stores_nothing(lead):
    events = unanswered_call(lead, "CA1")
    ingest_events(events=events[:2], source="api")
    changed = {**events[1], "occurred_at": at(3).isoformat()}

    with pytest.raises(ConflictingEvents) as raised:
        ingest_events(events=[events[2], changed], source="api")

    assert raised.value.conflicts == [
        {
            "index": 1,
            "event_id": "CA1-002",
            "message": "Event 'CA1-002' was received earlier with a different payload; an "
            "event_id names one event, send a new event_id for a new event.",
        }
    ]
    assert CallEvent.objects.count() == 2
    assert call_state("CA1")["status"] == "initiated"


def test_same_turn_resent_under_a_new_event_id_is_stored_once(lead):
    turn = answered_call(lead, "CA1")[5]
    ingest_events(events=[turn], source="api")

    result = ingest_events(events=[{**turn, "event_id": "retry-of-turn"}], source="api")

    assert result == IngestResult(accepted=1, duplicates=0)
    assert ConversationTurn.objects.count() == 1


def test_other_text_for_a_stored_turn_sequence_is_a_conflict(lead):
    turn = answered_call(lead, "CA1")[5]
    ingest_events(events=[turn], source="api")
    other = {**turn, "event_id": "other", "data": {**turn["data"], "text": "Something else"}}

    with pytest.raises(ConflictingEvents) as raised:
        ingest_events(events=[other], source="api")

    assert raised.value.conflicts[0]["message"] == (
        "Turn 1 of call 'CA1' is already stored with different content."
    )
    assert CallEvent.objects.count() == 1
