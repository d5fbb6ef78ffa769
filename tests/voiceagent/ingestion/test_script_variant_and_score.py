"""call.initiated's script_variant is stored on the call; each batch re-scores its leads."""

import json

import pytest

from tests.factories import make_ingest_user, make_lead
from tests.voiceagent.ingestion.call_scripts import CallScript, answered_call
from voiceagent.ingestion.services import ingest_events
from voiceagent.models import CallEvent, CallSession, Lead

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


def with_variant(events, variant):
    for event in events:
        if event["type"] == "call.initiated":
            event["data"] = {"script_variant": variant}
    return events


def test_script_variant_of_call_initiated_is_stored_on_the_call(agent, lead):
    response = post(agent, with_variant(answered_call(lead, "CA1"), "warm-open"))

    assert response.status_code == 202
    assert CallSession.objects.get(call_sid="CA1").script_variant == "warm-open"


def test_a_call_initiated_without_a_variant_ran_the_default_script(agent, lead):
    post(agent, answered_call(lead, "CA1"))

    assert CallSession.objects.get(call_sid="CA1").script_variant == "default"


def test_the_first_call_initiated_names_the_variant_whatever_the_arrival_order(lead):
    script = CallScript(lead, "CA1").add("call.queued", 0)
    script.add("call.initiated", 2, {"script_variant": "warm-open"})
    script.add("call.initiated", 3, {"script_variant": "late-retry"})
    late_first = [script.events[2], script.events[0]]
    ingest_events(events=late_first)
    assert CallSession.objects.get(call_sid="CA1").script_variant == "late-retry"

    ingest_events(events=[script.events[1]])

    assert CallSession.objects.get(call_sid="CA1").script_variant == "warm-open"


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("x" * 65, "Is 65 characters long; the limit is 64 characters."),
        ("  ", "Must not be empty."),
        (7, "Must be a string."),
    ],
)
def test_a_bad_script_variant_is_a_400_naming_the_field(agent, lead, variant, message):
    response = post(agent, with_variant(answered_call(lead, "CA1"), variant))

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Invalid input: [1].data.script_variant: {message}",
        "errors": [{"index": 1, "field": "data.script_variant", "message": message}],
    }
    assert (CallEvent.objects.count(), CallSession.objects.count()) == (0, 0)


def test_each_batch_rescores_the_leads_of_its_calls(agent, lead):
    events = answered_call(lead, "CA1")
    post(agent, events[:-1])  # in progress: qualification collected, not answered... yet
    lead.refresh_from_db()
    # The call answered (in progress) already: high 30 + 3 months 12 + buy 10 + answered 5
    # - one objection 4; talk time counts once the call reports its duration.
    assert (lead.score, lead.score_reasons) == (
        53,
        "high interest (+30); buying within 3 months (+12); wants to buy (+10)",
    )

    post(agent, events[-1:])  # completed after 50 s: no talk-time points below a minute

    assert Lead.objects.get(pk=lead.pk).score == 53
