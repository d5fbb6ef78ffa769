"""call_state.absorb dispatches on EventType: every type has a handler, an unknown one raises."""

from datetime import UTC, datetime

import pytest

from voiceagent.ingestion import call_state
from voiceagent.ingestion.schema import AGENT_TYPES, DATA_CLEANERS, Event, EventType
from voiceagent.models import CallSession

AT = datetime(2025, 1, 15, 5, 30, tzinfo=UTC)


def event(event_type, data=None):
    return Event(
        index=0, event_id="E1", type=event_type, occurred_at=AT, call_sid="CA1", campaign_id=1,
        lead_id=1, data=data or {}, payload={}, payload_json="{}",
    )  # fmt: skip


def fresh_call():
    return CallSession(ingest_state={}, stage_first_reached={}, qualification={})


def test_every_event_type_has_an_absorber_and_a_data_cleaner():
    assert set(call_state.ABSORB) == set(EventType)
    assert set(DATA_CLEANERS) == set(EventType)


def test_agents_may_post_every_type_but_exotels():
    assert [str(t) for t in AGENT_TYPES] == [
        "call.queued", "call.initiated", "call.ringing", "call.answered", "call.stage_changed",
        "call.turn", "call.objection", "call.qualification", "call.completed", "call.failed",
        "call.error",
    ]  # fmt: skip
    assert EventType.EXOTEL_STATUS == "exotel.status"


def test_an_unknown_type_raises_instead_of_doing_nothing():
    with pytest.raises(ValueError, match="'call.answerd' is not a valid EventType"):
        call_state.absorb(fresh_call(), event("call.answerd"))


def test_a_type_without_a_handler_raises(monkeypatch):
    monkeypatch.delitem(call_state.ABSORB, EventType.ANSWERED)

    with pytest.raises(KeyError):
        call_state.absorb(fresh_call(), event(EventType.ANSWERED))


def test_a_type_given_as_its_wire_string_is_absorbed_like_the_member():
    by_string, by_member = fresh_call(), fresh_call()

    call_state.absorb(by_string, event("call.answered"))
    call_state.absorb(by_member, event(EventType.ANSWERED))

    assert by_string.answered_at == by_member.answered_at == AT
    assert (
        by_string.ingest_state
        == by_member.ingest_state
        == {
            "first": "2025-01-15T05:30:00.000000+00:00",
            "rank": 3,
        }
    )


# Data of each type, valid for schema.clean_event (exotel.status: an ending status).
DATA_OF_EACH_TYPE = {
    EventType.QUEUED: {},
    EventType.INITIATED: {"script_variant": "b"},
    EventType.RINGING: {},
    EventType.ANSWERED: {},
    EventType.STAGE_CHANGED: {"stage": "discovery"},
    EventType.TURN: {"sequence": 1, "speaker": "agent", "text": "Namaste", "stage": "greeting"},
    EventType.OBJECTION: {"category": "price", "text": "Too costly"},
    EventType.QUALIFICATION: {"purpose": "buy"},
    EventType.COMPLETED: {"outcome": "qualified", "duration_seconds": 60},
    EventType.FAILED: {"error": "SIP 503"},
    EventType.ERROR: {"component": "llm", "message": "Timeout"},
    EventType.EXOTEL_STATUS: {"status": "no_answer"},
}


@pytest.mark.parametrize("event_type", list(EventType))
def test_only_the_ending_types_end_a_call(event_type):
    """Ingestion reads the stored rollup details only of calls that had ended or get an event
    of ENDING_TYPES in the batch: no other type may add an end report."""
    from voiceagent.ingestion.schema import clean_event

    raw = {
        "event_id": "E1", "type": str(event_type), "occurred_at": AT.isoformat(),
        "call_sid": "CA1", "campaign_id": 1, "lead_id": 1, "data": DATA_OF_EACH_TYPE[event_type],
    }  # fmt: skip
    cleaned, problems = clean_event(raw, 0, source="exotel")
    assert problems == []
    call = fresh_call()

    call_state.absorb(call, cleaned)
    call_state.resolve(call)

    ended = bool(call.ingest_state.get("ends"))
    assert ended == (event_type in call_state.ENDING_TYPES)
    assert (call.ended_at is not None) == ended
