"""call.error events and the usage a call.turn may carry, through POST /api/call-events: stored
per call, listed in the conversation, counted in errors_total in a real scrape, and priced."""

import json
from decimal import Decimal

import pytest

from tests.factories import make_ingest_user, make_lead
from tests.monitoring.helpers import parse_exposition, sample
from tests.voiceagent.ingestion.call_scripts import CallScript
from voiceagent.models import CallError, CallEvent, CallSession, ConversationTurn

pytestmark = pytest.mark.django_db

URL = "/api/call-events"
COMPONENTS = ["llm", "stt", "tts", "telephony"]


@pytest.fixture
def agent(api_client):
    return api_client(make_ingest_user("agent"))


@pytest.fixture
def member_client(team, api_client):
    return api_client(team.member)


@pytest.fixture
def lead(team):
    return make_lead(team.campaign, "Priya Sharma")


def post(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def errored_call(lead, call_sid):
    script = CallScript(lead, call_sid).dialled().add("call.answered", 10)
    script.turn(12, 1, "agent", "Namaste!", "greeting", llm_input_tokens=1200,
                llm_output_tokens=300, tts_characters=500)  # fmt: skip
    script.turn(20, 2, "lead", "Haan ji.", "greeting", stt_ms=200)
    script.add("call.error", 21, {"component": "llm", "message": "timeout after 8 s",
                                  "code": "504"})  # fmt: skip
    script.add("call.error", 22, {"component": "stt", "message": "stream closed"})
    script.turn(30, 3, "agent", "Shall we talk budget?", "discovery", llm_input_tokens=800,
                llm_output_tokens=200, tts_characters=250)  # fmt: skip
    script.add("call.completed", 71, {"outcome": "qualified", "duration_seconds": 61})
    return script.events


def test_errors_are_stored_per_call_and_listed_in_the_conversation(agent, lead, member_client):
    assert post(agent, errored_call(lead, "CAERR")).status_code == 202
    call = CallSession.objects.get(call_sid="CAERR")
    assert list(call.errors.values_list("component", "message", "code")) == [
        ("llm", "timeout after 8 s", "504"),
        ("stt", "stream closed", ""),
    ]
    body = member_client.get("/analytics/conversations/CAERR").json()
    assert body["errors"] == [
        {
            "component": "llm",
            "message": "timeout after 8 s",
            "code": "504",
            "occurred_at": "2025-01-15T11:00:21+05:30",
        },
        {
            "component": "stt",
            "message": "stream closed",
            "code": "",
            "occurred_at": "2025-01-15T11:00:22+05:30",
        },
    ]
    assert [turn["llm_input_tokens"] for turn in body["transcript"]] == [1200, None, 800]


def test_cost_of_a_61_second_call_bills_two_telephony_minutes(agent, lead, member_client, settings):
    settings.PRICE_TELEPHONY_PER_MINUTE = Decimal("0.60")
    settings.PRICE_STT_PER_MINUTE = Decimal("0.50")
    settings.PRICE_LLM_INPUT_PER_1K = Decimal("0.0126")
    settings.PRICE_LLM_OUTPUT_PER_1K = Decimal("0.0504")
    settings.PRICE_TTS_PER_1K_CHARS = Decimal("18.48")
    post(agent, errored_call(lead, "CACOST"))
    # telephony 2 × 0.60 = 1.20; STT 61 s × 0.50 / 60 = 0.508333; LLM 2000 × 0.0126 / 1000
    # = 0.0252 and 500 × 0.0504 / 1000 = 0.0252; TTS 750 × 18.48 / 1000 = 13.86 → 15.618733
    body = member_client.get("/analytics/conversations/CACOST").json()
    assert body["cost_inr"] == 15.62


def test_resending_an_error_stores_it_once(agent, lead):
    events = errored_call(lead, "CATWICE")
    post(agent, events)
    assert post(agent, events).json() == {"accepted": 0, "duplicates": len(events)}
    assert CallError.objects.filter(call__call_sid="CATWICE").count() == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"message": "boom"}, "data.component", "This field is required."),
        ({"component": "gpu", "message": "boom"}, "data.component", "Unknown value 'gpu'"),
        ({"component": "llm"}, "data.message", "This field is required."),
        ({"component": "llm", "message": "  "}, "data.message", "Must not be empty."),
        ({"component": "llm", "message": "x", "code": 504}, "data.code", "Must be a string."),
        ({"component": "llm", "message": "x", "code": "c" * 65}, "data.code", "65 characters"),
    ],
)
def test_a_bad_error_event_is_a_400_naming_the_field_and_nothing_is_stored(
    agent, lead, data, field, message
):
    events = CallScript(lead, "CABAD").dialled().add("call.error", 5, data).events
    response = post(agent, events)
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert (problem["index"], problem["field"]) == (3, field)
    assert message in problem["message"]
    assert (CallEvent.objects.count(), CallSession.objects.count(), CallError.objects.count()) == (
        0,
        0,
        0,
    )


def test_bad_usage_in_a_turn_is_a_400(agent, lead):
    events = CallScript(lead, "CAUSE").turn(5, 1, "agent", "Hi", "", llm_input_tokens=-3).events
    response = post(agent, events)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "data.llm_input_tokens"
    assert ConversationTurn.objects.count() == 0


@pytest.mark.parametrize("component", COMPONENTS)
def test_errors_total_rises_by_one_per_error_of_its_component_in_a_scrape(
    agent, lead, client, component, django_capture_on_commit_callbacks
):
    before = parse_exposition(client.get("/health/metrics").content.decode())
    script = CallScript(lead, f"CAM{component}").dialled()
    script.add("call.error", 5, {"component": component, "message": "failed"})
    script.add("call.error", 6, {"component": component, "message": "failed again"})
    with django_capture_on_commit_callbacks(execute=True):
        assert post(agent, script.events).status_code == 202
        post(agent, script.events)  # duplicates count nothing
    after = parse_exposition(client.get("/health/metrics").content.decode())
    for name in COMPONENTS:
        labels = {"type": "ai_error", "component": name}
        rise = sample(after, "errors_total", **labels) - sample(before, "errors_total", **labels)
        assert rise == (2 if name == component else 0)
