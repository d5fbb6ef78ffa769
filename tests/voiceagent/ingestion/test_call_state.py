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
