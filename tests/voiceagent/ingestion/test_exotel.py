"""POST /webhooks/exotel/status: the secret, the mapping of each status, idempotency, bad input."""

import base64
from datetime import UTC, datetime

import pytest

from tests.factories import make_lead
from tests.voiceagent.ingestion.call_scripts import CallScript, answered_call, at
from voiceagent.events import call_changed
from voiceagent.ingestion.services import events_rejected, ingest_events
from voiceagent.models import CallEvent, CallSession, ScheduledCall

pytestmark = pytest.mark.django_db

SECRET = "s3cret-exotel-callback"
URL = f"/webhooks/exotel/status?secret={SECRET}"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.EXOTEL_WEBHOOK_SECRET = SECRET


@pytest.fixture
def lead(team):
    return make_lead(team.campaign)


@pytest.fixture
def dialled(lead):
    """A call the agent reported up to ringing (Exotel's callback comes for known calls)."""
    ingest_events(events=CallScript(lead, "EX1").dialled().events, source="api")
    return CallSession.objects.get(call_sid="EX1")


def callback(**fields):
    return {
        "CallSid": "EX1",
        "Status": "completed",
        "DateUpdated": "2025-01-15 11:01:05",
        "RecordingUrl": "",
        **fields,
    }


def utc(hour, minute, second):
    return datetime(2025, 1, 15, hour, minute, second, tzinfo=UTC)


EXOTEL_STATUSES = {
    "completed": ("completed", "", "", 41),
    "busy": ("busy", "no_answer", "system", 0),
    "no-answer": ("no_answer", "no_answer", "system", 0),
    "failed": ("failed", "failed", "system", 0),
    "canceled": ("canceled", "", "system", 0),
}


@pytest.mark.parametrize("exotel_status", EXOTEL_STATUSES)
def test_each_exotel_status_maps_onto_the_call(client, dialled, exotel_status):
    status, outcome, ended_by, duration = EXOTEL_STATUSES[exotel_status]
    fields = callback(
        Status=exotel_status, EndTime="2025-01-15 11:01:00", StartTime="2025-01-15 11:00:02"
    )
    if exotel_status == "completed":
        fields.update(ConversationDuration="41", RecordingUrl="https://exotel.example/EX1.mp3")

    response = client.post(URL, fields)

    assert (response.status_code, response.json()) == (200, {"accepted": 1, "duplicates": 0})
    call = CallSession.objects.get(call_sid="EX1")
    assert (call.status, call.outcome, call.ended_by, call.duration_seconds) == (
        status,
        outcome,
        ended_by,
        duration,
    )
    assert call.ended_at == utc(5, 31, 0)  # EndTime read in Asia/Kolkata
    logged = CallEvent.objects.get(source="exotel")
    assert (logged.event_id, logged.type) == (f"exotel:EX1:{status}", "exotel.status")


def test_completed_with_a_conversation_sets_answered_and_recording(client, dialled):
    client.post(
        URL,
        callback(
            EndTime="2025-01-15 11:01:00",
            ConversationDuration="41",
            RecordingUrl="https://exotel.example/EX1.mp3",
        ),
    )

    call = CallSession.objects.get(call_sid="EX1")
    assert (call.answered_at, call.recording_url) == (
        utc(5, 30, 19),
        "https://exotel.example/EX1.mp3",
    )


def test_older_flows_duration_fields_are_read_too(client, dialled):
    client.post(URL, callback(DialCallDuration="12"))

    assert CallSession.objects.get(call_sid="EX1").duration_seconds == 12


def test_without_end_time_the_call_ends_at_date_updated(client, dialled):
    client.post(URL, callback(Status="no-answer"))

    assert CallSession.objects.get(call_sid="EX1").ended_at == utc(5, 31, 5)


def test_no_answer_schedules_the_same_retry_as_the_agents_report(client, dialled):
    client.post(URL, callback(Status="no-answer", EndTime="2025-01-15 11:00:40"))

    follow_up = ScheduledCall.objects.get()
    assert (follow_up.reason, follow_up.status, follow_up.scheduled_for) == (
        "retry",
        "pending",
        utc(7, 30, 40),
    )


def test_agents_end_report_wins_over_exotels(client, lead):
    ingest_events(events=answered_call(lead, "EX1"), source="api")

    client.post(
        URL,
        callback(
            EndTime="2025-01-15 11:01:02",
            ConversationDuration="49",
            RecordingUrl="https://exotel.example/x.mp3",
        ),
    )

    call = CallSession.objects.get(call_sid="EX1")
    assert (call.status, call.outcome, call.duration_seconds, call.ended_at) == (
        "completed",
        "qualified",
        50,
        at(60),
    )
    assert call.recording_url == "https://recordings.example.in/EX1.mp3"


def test_exotel_end_first_then_the_agents_report_fills_the_outcome(client, lead):
    events = answered_call(lead, "EX1")
    ingest_events(events=events[:-1], source="api")
    client.post(URL, callback(EndTime="2025-01-15 11:01:02", ConversationDuration="49"))
    assert CallSession.objects.get(call_sid="EX1").outcome == ""

    ingest_events(events=events[-1:], source="api")

    call = CallSession.objects.get(call_sid="EX1")
    assert (call.status, call.outcome, call.duration_seconds) == ("completed", "qualified", 50)


def test_answered_event_marks_the_call_in_progress(client, dialled):
    client.post(
        URL, callback(EventType="answered", Status="in-progress", DateUpdated="2025-01-15 11:00:09")
    )

    call = CallSession.objects.get(call_sid="EX1")
    assert (call.status, call.answered_at) == ("in_progress", utc(5, 30, 9))


def test_json_callback_is_accepted_like_a_form(client, dialled):
    response = client.post(
        URL,
        callback(Status="busy", Legs=[{"OnCallDuration": 0, "Status": "busy"}]),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert CallSession.objects.get(call_sid="EX1").status == "busy"
    assert CallEvent.objects.get(source="exotel").payload["data"]["exotel"]["Legs"] == [
        {"OnCallDuration": 0, "Status": "busy"}
    ]


def test_retried_callback_is_a_duplicate(client, dialled):
    client.post(URL, callback(Status="busy"))

    response = client.post(URL + "&again=1", callback(Status="busy"))

    assert (response.status_code, response.json()) == (200, {"accepted": 0, "duplicates": 1})
    assert CallEvent.objects.filter(source="exotel").count() == 1


def test_same_status_with_other_fields_is_a_409_and_the_first_is_kept(client, dialled):
    client.post(URL, callback(Status="busy"))

    response = client.post(URL, callback(Status="busy", DateUpdated="2025-01-15 11:09:00"))

    assert response.status_code == 409
    assert response.json()["conflicts"][0]["event_id"] == "exotel:EX1:busy"
    assert CallSession.objects.get(call_sid="EX1").ended_at == utc(5, 31, 5)


def test_callback_is_announced_as_one_domain_event(
    client, dialled, django_capture_on_commit_callbacks
):
    seen = []
    receiver = lambda sender, call, changes, **kw: seen.append(changes)  # noqa: E731
    call_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(URL, callback(Status="failed"))
    finally:
        call_changed.disconnect(receiver)

    assert seen == [{"type": "exotel.status", "status": "failed", "ended": True}]


@pytest.mark.parametrize("path", ["/webhooks/exotel/status", "/webhooks/exotel/status/"])
def test_both_paths_answer_without_redirect(client, dialled, path):
    assert client.post(f"{path}?secret={SECRET}", callback()).status_code == 200


def test_secret_as_the_basic_auth_password_is_accepted(client, dialled):
    credentials = base64.b64encode(f"exotel:{SECRET}".encode()).decode()

    response = client.post(
        "/webhooks/exotel/status", callback(), HTTP_AUTHORIZATION=f"Basic {credentials}"
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/webhooks/exotel/status", {}),
        ("/webhooks/exotel/status?secret=wrong", {}),
        ("/webhooks/exotel/status?secret=", {}),
        (
            "/webhooks/exotel/status",
            {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"exotel:nope").decode()},
        ),
        ("/webhooks/exotel/status", {"HTTP_AUTHORIZATION": "Basic !!not-base64"}),
    ],
)
def test_missing_or_wrong_secret_is_403_and_stores_nothing(client, dialled, path, headers):
    response = client.post(path, callback(), **headers)

    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Missing or wrong webhook secret."},
    )
    assert CallEvent.objects.filter(source="exotel").count() == 0


def test_no_configured_secret_refuses_every_callback(client, dialled, settings):
    settings.EXOTEL_WEBHOOK_SECRET = ""

    assert client.post("/webhooks/exotel/status?secret=", callback()).status_code == 403


def test_unknown_call_sid_is_404_so_that_exotel_retries(client, dialled):
    response = client.post(URL, callback(CallSid="NEVER-REPORTED"))

    assert response.status_code == 404
    assert response.json()["detail"] == (
        "Unknown CallSid 'NEVER-REPORTED': the agent has not reported this call yet "
        "(Exotel retries this callback)."
    )
    assert CallSession.objects.filter(call_sid="NEVER-REPORTED").exists() is False


def test_unknown_call_sid_is_signalled_as_a_rejection(client, dialled):
    seen = []
    receiver = lambda sender, source, reason, **kw: seen.append((source, reason))  # noqa: E731
    events_rejected.connect(receiver)
    try:
        client.post(URL, callback(CallSid="NEVER-REPORTED"))
    finally:
        events_rejected.disconnect(receiver)

    assert seen == [("exotel", "unknown_call")]


def test_custom_field_identifies_a_call_not_reported_yet(client, lead):
    custom = f'{{"campaign_id": {lead.campaign_id}, "lead_id": {lead.pk}}}'

    response = client.post(URL, callback(CallSid="EX9", Status="busy", CustomField=custom))

    assert response.status_code == 200
    call = CallSession.objects.get(call_sid="EX9")
    assert (call.lead_id, call.status, call.initiated_at) == (lead.pk, "busy", utc(5, 31, 5))


@pytest.mark.parametrize(
    "fields, field, message",
    [
        (
            {"Status": "exploded"},
            "Status",
            "Unknown status 'exploded'; expected completed, busy, no-answer, failed or canceled.",
        ),
        ({"CallSid": ""}, "CallSid", "This field is required."),
        ({"Status": ""}, "Status", "This field is required."),
        ({"DateUpdated": "", "EndTime": ""}, "DateUpdated", "This field is required."),
        (
            {"EndTime": "15/01/2025 11:00"},
            "EndTime",
            "'15/01/2025 11:00' is not a YYYY-MM-DD HH:mm:ss time.",
        ),
        (
            {"ConversationDuration": "-3"},
            "ConversationDuration",
            "'-3' is not a number of seconds.",
        ),
    ],
)
def test_unusable_callback_is_400_naming_the_field(client, dialled, fields, field, message):
    response = client.post(URL, callback(**fields))

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Invalid input: {field}: {message}",
        "errors": [{"index": None, "field": field, "message": message}],
    }
    assert CallEvent.objects.filter(source="exotel").count() == 0


def test_bad_recording_url_is_400_from_the_service_validation(client, dialled):
    response = client.post(URL, callback(RecordingUrl="ftp://nope"))

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 0, "field": "data.recording_url", "message": "Must be an http(s) URL."}
    ]


def test_malformed_json_body_is_400(client, dialled):
    response = client.post(URL, "{nope", content_type="application/json")

    message = "Malformed JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)."
    assert (response.status_code, response.json()) == (
        400,
        {"detail": message, "errors": [{"index": None, "field": "body", "message": message}]},
    )


def test_an_oversize_json_callback_is_the_same_400_as_a_malformed_one(client, dialled, settings):
    settings.API_MAX_JSON_BYTES = 1000
    response = client.post(URL, callback(Padding="x" * 2000), content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The JSON body is over 1000 bytes.",
        "errors": [
            {"index": None, "field": "body", "message": "The JSON body is over 1000 bytes."}
        ],
    }
    assert CallEvent.objects.filter(source="exotel").count() == 0


def test_a_form_callback_over_djangos_limit_is_a_400_naming_the_body(client, dialled, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(URL, callback(Padding="x" * 2000))

    message = "The callback body is too large; Exotel sends a few short fields."
    assert response.status_code == 400
    assert response.json() == {
        "detail": message,
        "errors": [{"index": None, "field": "body", "message": message}],
    }
