"""GET /analytics/conversations/{call_sid}: one call's whole story."""

from datetime import timedelta

import pytest

from tests.analytics.conftest import ist
from tests.factories import make_call, make_lead, make_objection, make_turn

pytestmark = pytest.mark.django_db


def build_conversation(campaign):
    lead = make_lead(campaign, "Asha Rao", phone="+919811112222", city="Pune")
    start = ist(2025, 3, 10, 11, 0)
    call = make_call(
        lead,
        call_sid="CA-conv-1",
        initiated_at=start,
        outcome="qualified",
        duration=180,
        ended_by="lead",
        current_stage="closing",
        recording_url="https://recordings.example.com/CA-conv-1.mp3",
        qualification={"purpose": "buy", "timeline": "3 months", "interest_level": "high"},
        # Stage changes as ingestion records them; discovery is reached first by a turn below.
        stage_first_reached={
            "greeting": (start + timedelta(seconds=6)).isoformat(),
            "discovery": (start + timedelta(seconds=40)).isoformat(),
            "closing": (start + timedelta(seconds=90)).isoformat(),
        },
    )
    at = start + timedelta(seconds=5)
    make_turn(
        call, 1, text="Namaste!", stage="greeting", started_at=at, stt_ms=100, llm_ms=400, tts_ms=80
    )
    make_turn(
        call,
        2,
        speaker="lead",
        text="Hello",
        stage="discovery",
        started_at=at + timedelta(seconds=25),
        stt_ms=200,
    )
    price = make_turn(
        call,
        3,
        speaker="lead",
        text="Too costly",
        stage="objection_handling",
        started_at=at + timedelta(seconds=50),
        stt_ms=300,
        llm_ms=600,
    )
    make_turn(
        call,
        4,
        text="Let us book a visit",
        stage="closing",
        started_at=at + timedelta(seconds=95),
        stt_ms=400,
        llm_ms=500,
        tts_ms=120,
    )
    make_objection(call, "price", text="Too costly", turn=price, occurred_at=price.started_at)
    make_objection(call, "timing", text="Not this month", occurred_at=at + timedelta(seconds=60))
    return call


def test_every_field_of_a_conversation(team, get_json):
    call = build_conversation(team.campaign)

    body = get_json("/analytics/conversations/CA-conv-1")

    assert body == {
        "call_sid": "CA-conv-1",
        "campaign_id": team.campaign.pk,
        "campaign_name": "Powai launch",
        # The member is a manager: the phone is masked (voiceagent.personal_data.phones).
        "lead": {
            "id": call.lead_id,
            "name": "Asha Rao",
            "phone": "+91 98XXX XX222",
            "phone_display": "+91 98XXX XX222",
            "city": "Pune",
        },
        "attempt_number": 1,
        "status": "completed",
        "outcome": "qualified",
        "ended_by": "lead",
        "initiated_at": "2025-03-10T11:00:00+05:30",
        "answered_at": "2025-03-10T11:00:05+05:30",
        "ended_at": "2025-03-10T11:03:05+05:30",
        "duration_seconds": 180,
        "current_stage": "closing",
        "recording_url": "https://recordings.example.com/CA-conv-1.mp3",
        "error": "",
        "errors": [],
        # Default prices: 3 started minutes × ₹0.60 + 180 s of STT at ₹0.50 a minute.
        "cost_inr": 3.3,
        "exchanges": 4,
        "stages_reached": ["greeting", "discovery", "objection_handling", "closing"],
        "objections": [
            {
                "category": "price",
                "text": "Too costly",
                "occurred_at": "2025-03-10T11:00:55+05:30",
                "turn_sequence": 3,
            },
            {
                "category": "timing",
                "text": "Not this month",
                "occurred_at": "2025-03-10T11:01:05+05:30",
                "turn_sequence": None,
            },
        ],  # fmt: skip
        "qualification": {"purpose": "buy", "timeline": "3 months", "interest_level": "high"},
        "latency": {
            # stt 100, 200, 300, 400: p95 = 300 + 0.85 × 100 (continuous percentile).
            "stt_ms": {"avg": 250.0, "p95": 385.0, "samples": 4},
            "llm_ms": {"avg": 500.0, "p95": 590.0, "samples": 3},
            "tts_ms": {"avg": 100.0, "p95": 118.0, "samples": 2},
        },
        "transcript": [
            {
                "sequence": 1,
                "speaker": "agent",
                "text": "Namaste!",
                "stage": "greeting",
                "started_at": "2025-03-10T11:00:05+05:30",
                "stt_ms": 100,
                "llm_ms": 400,
                "tts_ms": 80,
                "llm_input_tokens": None,
                "llm_output_tokens": None,
                "tts_characters": None,
            },
            {
                "sequence": 2,
                "speaker": "lead",
                "text": "Hello",
                "stage": "discovery",
                "started_at": "2025-03-10T11:00:30+05:30",
                "stt_ms": 200,
                "llm_ms": None,
                "tts_ms": None,
                "llm_input_tokens": None,
                "llm_output_tokens": None,
                "tts_characters": None,
            },
            {
                "sequence": 3,
                "speaker": "lead",
                "text": "Too costly",
                "stage": "objection_handling",
                "started_at": "2025-03-10T11:00:55+05:30",
                "stt_ms": 300,
                "llm_ms": 600,
                "tts_ms": None,
                "llm_input_tokens": None,
                "llm_output_tokens": None,
                "tts_characters": None,
            },
            {
                "sequence": 4,
                "speaker": "agent",
                "text": "Let us book a visit",
                "stage": "closing",
                "started_at": "2025-03-10T11:01:40+05:30",
                "stt_ms": 400,
                "llm_ms": 500,
                "tts_ms": 120,
                "llm_input_tokens": None,
                "llm_output_tokens": None,
                "tts_characters": None,
            },
        ],  # fmt: skip
    }


def test_a_call_without_turns_has_no_latency_and_no_stages(team, get_json):
    make_call(
        make_lead(team.campaign), call_sid="CA-silent", status="no_answer", outcome="no_answer"
    )

    body = get_json("/analytics/conversations/CA-silent")

    assert (body["exchanges"], body["stages_reached"], body["transcript"]) == (0, [], [])
    assert body["latency"] == {
        name: {"avg": None, "p95": None, "samples": 0} for name in ("stt_ms", "llm_ms", "tts_ms")
    }


def test_a_step_no_turn_reported_is_null_in_the_conversation_as_in_campaign_metrics(team, get_json):
    call = make_call(make_lead(team.campaign), call_sid="CA-no-tts")
    make_turn(call, 1, stt_ms=200, llm_ms=600, tts_ms=None)
    make_turn(call, 2, stt_ms=301, llm_ms=None, tts_ms=None)

    conversation = get_json("/analytics/conversations/CA-no-tts")["latency"]
    campaign = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics")["latency"]

    assert conversation == {
        "stt_ms": {"avg": 250.5, "p95": 295.95, "samples": 2},
        "llm_ms": {"avg": 600.0, "p95": 600.0, "samples": 1},
        "tts_ms": {"avg": None, "p95": None, "samples": 0},
    }
    assert campaign["tts_ms"] == conversation["tts_ms"]


def test_stages_come_in_order_of_first_reach_not_of_the_stage_list(team, get_json):
    call = make_call(make_lead(team.campaign), call_sid="CA-order")
    make_turn(call, 1, stage="discovery", started_at=ist(2025, 3, 10, 11, 0))
    make_turn(call, 2, stage="greeting", started_at=ist(2025, 3, 10, 11, 1))
    make_turn(call, 3, stage="discovery", started_at=ist(2025, 3, 10, 11, 2))

    assert get_json("/analytics/conversations/CA-order")["stages_reached"] == [
        "discovery",
        "greeting",
    ]


def test_a_call_of_another_team_is_404(team, get_json):
    make_call(make_lead(team.other_campaign), call_sid="CA-theirs")

    assert get_json("/analytics/conversations/CA-theirs", status=404) == {
        "detail": "No call with that call_sid."
    }


@pytest.mark.parametrize("call_sid", ["CA%00x", "x" * 5000])
def test_an_impossible_call_sid_is_404_not_500(call_sid, get_json):
    assert get_json(f"/analytics/conversations/{call_sid}", status=404) == {
        "detail": "No call with that call_sid."
    }
