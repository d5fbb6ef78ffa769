"""Order independence: a call's events in any order, batching or repetition give the same rows."""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_lead
from tests.voiceagent.ingestion.call_scripts import (
    CallScript,
    answered_call,
    at,
    call_state,
    lead_state,
    unanswered_call,
)
from voiceagent.ingestion.services import ingest_events
from voiceagent.models import CallSession

pytestmark = pytest.mark.django_db

_calls = itertools.count(1)


def rich_call(lead, call_sid):
    """An answered call plus what makes order matter: a key set twice (later wins), a tie on
    one occurred_at (greater event_id wins), a late duplicate ringing, an Exotel end report."""
    events = answered_call(lead, call_sid, outcome="callback_requested")
    script = CallScript(lead, call_sid)
    script.add("call.qualification", 45, {"budget": "1 crore"}, event_id=f"{call_sid}-q1")
    script.add("call.qualification", 46, {"timeline": "6 months"}, event_id=f"{call_sid}-q2a")
    script.add("call.qualification", 46, {"timeline": "next year"}, event_id=f"{call_sid}-q2b")
    script.add("call.ringing", 5, event_id=f"{call_sid}-ring-again")
    exotel = {
        **CallScript(lead, call_sid).add("call.queued", 61).events[0],
        "event_id": f"exotel:{call_sid}:completed",
        "type": "exotel.status",
        "data": {
            "status": "completed",
            "duration_seconds": 49,
            "recording_url": "https://exotel.example/rec.mp3",
            "answered_at": at(12).isoformat(),
        },
    }
    return [*events, *script.events, exotel]


def deliver(events, sizes):
    """Post events in order, in batches of the given sizes; Exotel's go alone, as the webhook does."""
    sizes = itertools.cycle(sizes or [len(events)])
    batch = []
    for event in events:
        if event["type"] == "exotel.status":
            ingest_events(events=[event], source="exotel")
            continue
        batch.append(event)
        if len(batch) >= next(sizes):
            ingest_events(events=batch, source="api")
            batch = []
    if batch:
        ingest_events(events=batch, source="api")


def reference(team, build):
    """The rows of the call delivered in order in one batch (built once per test)."""
    if not CallSession.objects.filter(call_sid="REF").exists():
        deliver(build(make_lead(team.campaign), "REF"), [500])
    return call_state("REF"), lead_state(CallSession.objects.get(call_sid="REF").lead)


def comparable(state):
    return {key: value for key, value in state.items() if key != "lead"}


def check_any_order(team, build, ordering, sizes, repeats):
    expected_call, expected_lead = reference(team, build)
    lead = make_lead(team.campaign)
    call_sid = f"P{next(_calls)}"
    events = build(lead, call_sid)
    shuffled = [events[i] for i in ordering]
    deliver(shuffled + [shuffled[i % len(shuffled)] for i in repeats], sizes)

    assert comparable(call_state(call_sid, rename="REF")) == comparable(expected_call)
    assert lead_state(lead) == expected_lead


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ordering=st.permutations(range(22)),
    sizes=st.lists(st.integers(min_value=1, max_value=8), max_size=4),
    repeats=st.lists(st.integers(min_value=0, max_value=21), max_size=4),
)
def test_answered_call_events_in_any_order_end_in_the_same_rows(team, ordering, sizes, repeats):
    check_any_order(team, rich_call, ordering, sizes, repeats)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ordering=st.permutations(range(4)), sizes=st.lists(st.integers(1, 3), max_size=3))
def test_no_answer_call_events_in_any_order_end_in_the_same_rows(team, ordering, sizes):
    check_any_order(team, unanswered_call, ordering, sizes, [])


def test_rich_call_reference_state_is_what_the_rules_say(team):
    state, lead = reference(team, rich_call)

    assert (state["status"], state["outcome"], state["ended_by"]) == (
        "completed",
        "callback_requested",
        "lead",
    )
    assert (state["answered_at"], state["ended_at"], state["duration_seconds"]) == (
        at(10),
        at(60),
        50,
    )
    assert state["recording_url"] == "https://recordings.example.in/REF.mp3"
    assert state["qualification"] == {
        "purpose": "buy",
        "budget": "1 crore",
        "timeline": "next year",
        "interest_level": "high",
    }
    assert state["ringing_at"] == at(4)
    assert state["follow_up"][0][0] == "callback"


def test_late_ringing_never_reopens_a_completed_call(team):
    lead = make_lead(team.campaign)
    events = unanswered_call(lead, "CA1")

    ingest_events(events=[events[0], events[3]], source="api")
    ingest_events(events=[events[2]], source="api")

    call = CallSession.objects.get(call_sid="CA1")
    assert (call.status, call.ringing_at, call.ended_at) == ("no_answer", at(4), at(34))


def test_turn_before_answered_is_kept_and_the_call_is_in_progress(team):
    lead = make_lead(team.campaign)
    events = answered_call(lead, "CA1")

    ingest_events(events=[events[5]], source="api")
    assert CallSession.objects.get(call_sid="CA1").status == "in_progress"
    ingest_events(events=events[:5], source="api")

    call = CallSession.objects.get(call_sid="CA1")
    assert (call.status, call.answered_at, call.turns.count()) == ("in_progress", at(10), 1)


def test_times_come_from_occurred_at_not_from_arrival(team):
    lead = make_lead(team.campaign)

    ingest_events(events=unanswered_call(lead, "CA1", start=-86400), source="api")

    call = CallSession.objects.get(call_sid="CA1")
    assert (call.queued_at, call.initiated_at, call.ended_at) == (
        at(-86400),
        at(-86398),
        at(-86366),
    )


def test_call_day_falls_back_to_queued_then_to_the_earliest_event(team):
    lead = make_lead(team.campaign)
    queued_only = CallScript(lead, "CA1").add("call.queued", 5).add("call.ringing", 9).events
    ringing_only = CallScript(lead, "CA2").add("call.ringing", 9).add("call.answered", 7).events

    ingest_events(events=queued_only + ringing_only, source="api")

    assert CallSession.objects.get(call_sid="CA1").initiated_at == at(5)
    assert CallSession.objects.get(call_sid="CA2").initiated_at == at(7)


def test_end_reported_before_the_first_event_never_precedes_initiated_at(team):
    lead = make_lead(team.campaign)
    script = CallScript(lead, "CA1").add("call.initiated", 10)
    script.add("call.failed", 3, {"error": "clock skew"})

    ingest_events(events=script.events, source="api")

    call = CallSession.objects.get(call_sid="CA1")
    assert (call.status, call.initiated_at, call.ended_at) == ("failed", at(10), at(10))


def test_stage_reached_again_keeps_its_first_time_and_current_stage_is_the_last_reached(team):
    lead = make_lead(team.campaign)
    script = CallScript(lead, "CA1")
    for seconds, stage in [(10, "greeting"), (20, "discovery"), (30, "greeting"), (5, "greeting")]:
        script.add("call.stage_changed", seconds, {"stage": stage})

    ingest_events(events=script.events, source="api")

    call = CallSession.objects.get(call_sid="CA1")
    assert call.stages_reached == ["greeting", "discovery"]
    assert call.stage_first_reached["greeting"] == "2025-01-15T05:30:05.000000+00:00"
    assert call.current_stage == "discovery"
