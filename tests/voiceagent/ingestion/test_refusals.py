"""What a batch refused for several reasons is told (every bad event named; a bad reference before
a conflict), and payload values that are not JSON, whichever path the events take."""

import datetime as dt
import json

import pytest

from tests.factories import make_ingest_user, make_lead
from tests.voiceagent.ingestion.call_scripts import unanswered_call
from voiceagent.ingestion.services import InvalidEvents, ingest_events
from voiceagent.models import CallEvent, CallSession

pytestmark = pytest.mark.django_db
URL = "/api/call-events"


@pytest.fixture
def agent(api_client):
    return api_client(make_ingest_user("agent"))


@pytest.fixture
def lead(team):
    return make_lead(team.campaign, "Priya Sharma")


def post(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_a_malformed_event_and_an_unknown_lead_in_one_batch_are_both_named(agent, lead):
    """Every bad event of a batch is named, structure and references alike (as before)."""
    events = unanswered_call(lead, "CA1")
    malformed = {**events[0], "occurred_at": "yesterday"}
    stranger = {**events[1], "lead_id": lead.pk + 1000}

    response = post(agent, [malformed, stranger, *events[2:]])

    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [
        (0, "occurred_at"),
        (1, "lead_id"),
    ]


def test_an_unknown_lead_beside_an_event_id_sent_twice_differently_is_400(agent, lead):
    """A batch that names an unknown lead is invalid (400) before its event_ids are compared
    (409), as before: the client must fix the reference first, whatever else it resends."""
    events = unanswered_call(lead, "CA1")
    changed = {**events[1], "event_id": events[0]["event_id"]}
    stranger = {**events[2], "lead_id": lead.pk + 1000}

    response = post(agent, [events[0], changed, stranger, events[3]])

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 2, "field": "lead_id", "message": f"Unknown lead {lead.pk + 1000}."}
    ]


@pytest.mark.parametrize(
    "value",
    [dt.datetime(2025, 1, 15, 11, 0), dt.date(2025, 1, 15), dt.time(11, 0)],
    ids=["datetime", "date", "time"],
)
def test_a_payload_value_that_is_not_json_is_refused_not_stored_as_text(lead, value):
    """A Python caller's payload holding a datetime/date/UUID was refused (400, naming the
    path); orjson writes them as strings, so the log would hold text the payload does not, and
    resending the very same dict would then be a conflict."""
    event = {**unanswered_call(lead, "CA1")[0], "data": {"note": value}}

    with pytest.raises(InvalidEvents) as raised:
        ingest_events(events=[event], source="api")

    assert raised.value.errors == [
        {"index": 0, "field": "data.note", "message": "is not a JSON value"}
    ]
    assert (CallEvent.objects.count(), CallSession.objects.count()) == (0, 0)


def test_the_same_dict_sent_twice_in_a_batch_is_one_event_and_one_duplicate(lead):
    event = unanswered_call(lead, "CA1")[0]

    result = ingest_events(events=[event, event], source="api")

    assert (result.accepted, result.duplicates) == (1, 1)
