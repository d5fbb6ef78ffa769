"""One domain event per accepted event, after commit, with the `changes` voiceagent.events documents."""

import pytest

from tests.factories import make_lead
from tests.voiceagent.ingestion.call_scripts import answered_call, unanswered_call
from voiceagent.events import call_changed, call_ended
from voiceagent.ingestion.services import (
    ConflictingEvents,
    InvalidEvents,
    events_rejected,
    ingest_events,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    """(call_sid, changes, ended, stored status) of every call_changed, and the call_ended sids."""
    changed, ended = [], []

    def on_changed(sender, call, changes, ended, **kwargs):
        changed.append((call.call_sid, changes, ended, call.status))

    def on_ended(sender, call, changes, **kwargs):
        ended.append(call.call_sid)

    call_changed.connect(on_changed)
    call_ended.connect(on_ended)
    yield changed, ended
    call_changed.disconnect(on_changed)
    call_ended.disconnect(on_ended)


@pytest.fixture
def lead(team):
    return make_lead(team.campaign)


def test_no_answer_call_publishes_created_once_and_ended_once(
    lead, published, django_capture_on_commit_callbacks
):
    changed, ended = published

    with django_capture_on_commit_callbacks(execute=True):
        ingest_events(events=unanswered_call(lead, "CA1"), source="api")

    assert [(sid, changes, was_ended) for sid, changes, was_ended, _ in changed] == [
        ("CA1", {"type": "call.queued", "created": True, "status": "queued"}, False),
        ("CA1", {"type": "call.initiated", "initiated": True, "status": "initiated"}, False),
        ("CA1", {"type": "call.ringing", "status": "ringing"}, False),
        ("CA1", {"type": "call.completed", "status": "no_answer", "ended": True}, True),
    ]
    assert ended == ["CA1"]


def test_only_the_first_call_initiated_of_a_call_is_announced_as_initiated(
    lead, published, django_capture_on_commit_callbacks
):
    changed, _ = published
    queued, initiated = unanswered_call(lead, "CA1")[:2]
    again = {**initiated, "event_id": "CA1-initiated-again"}

    with django_capture_on_commit_callbacks(execute=True):
        ingest_events(events=[queued], source="api")
    with django_capture_on_commit_callbacks(execute=True):
        ingest_events(events=[initiated, again], source="api")

    assert [changes for _, changes, _, _ in changed] == [
        {"type": "call.queued", "created": True, "status": "queued"},
        {"type": "call.initiated", "initiated": True, "status": "initiated"},
        {"type": "call.initiated"},
    ]


def test_turns_stages_and_answer_are_announced_with_latencies(
    lead, published, django_capture_on_commit_callbacks
):
    changed, _ = published

    with django_capture_on_commit_callbacks(execute=True):
        ingest_events(events=answered_call(lead, "CA1")[3:8], source="api")

    assert [changes for _, changes, _, _ in changed] == [
        {"type": "call.answered", "created": True, "status": "in_progress"},
        {"type": "call.stage_changed", "stage": "greeting"},
        {
            "type": "call.turn",
            "turn": {
                "sequence": 1,
                "speaker": "agent",
                "stt_ms": None,
                "llm_ms": 620,
                "tts_ms": 180,
            },
        },
        {
            "type": "call.turn",
            "turn": {
                "sequence": 2,
                "speaker": "lead",
                "stt_ms": 210,
                "llm_ms": None,
                "tts_ms": None,
            },
        },
        {"type": "call.stage_changed", "stage": "discovery"},
    ]


def test_receivers_see_the_call_as_stored_after_the_batch(
    lead, published, django_capture_on_commit_callbacks
):
    changed, _ = published

    with django_capture_on_commit_callbacks(execute=True):
        ingest_events(events=answered_call(lead, "CA1"), source="api")

    assert len(changed) == 17
    assert {status for _, _, _, status in changed} == {"completed"}
    assert [changes for _, changes, _, _ in changed if changes.get("ended")] == [
        {"type": "call.completed", "status": "completed", "ended": True}
    ]


def test_out_of_order_end_is_announced_once_and_a_late_ringing_changes_no_status(
    lead, published, django_capture_on_commit_callbacks
):
    changed, ended = published
    events = unanswered_call(lead, "CA1")

    with django_capture_on_commit_callbacks(execute=True):
        ingest_events(events=[events[3]], source="api")
    with django_capture_on_commit_callbacks(execute=True):
        ingest_events(events=[events[2], events[0]], source="api")

    assert [changes for _, changes, _, _ in changed] == [
        {"type": "call.completed", "created": True, "status": "no_answer", "ended": True},
        {"type": "call.ringing"},
        {"type": "call.queued"},
    ]
    assert ended == ["CA1"]


def test_duplicates_publish_nothing(lead, published, django_capture_on_commit_callbacks):
    changed, _ = published
    ingest_events(events=unanswered_call(lead, "CA1"), source="api")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ingest_events(events=unanswered_call(lead, "CA1"), source="api")

    assert (callbacks, changed) == ([], [])


def test_rejected_batches_publish_nothing_and_signal_the_rejection(
    lead, published, django_capture_on_commit_callbacks
):
    changed, _ = published
    rejections = []

    def on_rejected(sender, source, reason, **kwargs):
        rejections.append((source, reason))

    events_rejected.connect(on_rejected)
    try:
        ingest_events(events=unanswered_call(lead, "CA1")[:1], source="api")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(InvalidEvents):
                ingest_events(events=[{"type": "call.queued"}], source="api")
            with pytest.raises(ConflictingEvents):
                ingest_events(
                    events=[
                        {**unanswered_call(lead, "CA1")[0], "call_sid": "CA1", "data": {"x": 1}}
                    ],
                    source="exotel",
                )
    finally:
        events_rejected.disconnect(on_rejected)

    assert (callbacks, changed) == ([], [])
    assert rejections == [("api", "invalid"), ("exotel", "conflict")]


def test_events_posted_through_the_api_feed_the_prometheus_counters_once(
    api_client, team, client, django_capture_on_commit_callbacks
):
    from prometheus_client.parser import text_string_to_metric_families

    from tests.factories import make_ingest_user

    def scrape():
        text = client.get("/health/metrics").content.decode()
        return {
            (s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    campaign = str(team.campaign.pk)
    keys = {
        "initiated": ("calls_initiated_total", frozenset({("campaign", campaign)})),
        "qualified": (
            "calls_completed_total",
            frozenset({("campaign", campaign), ("outcome", "qualified")}),
        ),
        "llm": ("llm_request_duration_seconds_count", frozenset()),
        "stt": ("stt_request_duration_seconds_count", frozenset()),
    }
    agent = api_client(make_ingest_user())
    body = answered_call(make_lead(team.campaign), "CA1")
    before = scrape()

    for _ in range(2):  # the second post is all duplicates: nothing more is counted
        with django_capture_on_commit_callbacks(execute=True):
            agent.post("/api/call-events", body, format="json")

    after = scrape()
    assert {name: after.get(key, 0) - before.get(key, 0) for name, key in keys.items()} == {
        "initiated": 1,
        "qualified": 1,
        "llm": 3,
        "stt": 3,
    }
