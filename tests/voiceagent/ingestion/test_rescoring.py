"""A batch re-scores only the leads whose calls changed what a score reads (or got objections)."""

import json

import pytest

from tests.factories import make_ingest_user, make_lead
from tests.voiceagent.ingestion.call_scripts import CallScript, answered_call
from voiceagent.models import Lead

pytestmark = pytest.mark.django_db
URL = "/api/call-events"
SCORE_STATEMENT = "UPDATE voiceagent_lead SET score"


@pytest.fixture
def agent(api_client):
    return api_client(make_ingest_user("agent"))


def post(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def score_statements(captured):
    return [q["sql"] for q in captured.captured_queries if SCORE_STATEMENT in q["sql"]]


def test_turns_alone_leave_the_score_unread_and_unchanged(agent, team, django_assert_num_queries):
    lead = make_lead(team.campaign, "Priya Sharma")
    events = answered_call(lead, "CA1")
    post(agent, [e for e in events if e["type"] != "call.turn"][:-1])
    lead.refresh_from_db()
    before = (lead.score, lead.score_reasons)

    turns = [e for e in events if e["type"] == "call.turn"]
    with django_assert_num_queries(12) as captured:
        response = post(agent, turns)

    assert response.json() == {"accepted": 6, "duplicates": 0}
    assert score_statements(captured) == []
    assert before == (53, "high interest (+30); buying within 3 months (+12); wants to buy (+10)")
    lead.refresh_from_db()
    assert (lead.score, lead.score_reasons) == before


def test_an_objection_alone_rescores_its_lead(agent, team, django_capture_on_commit_callbacks):
    lead = make_lead(team.campaign, "Priya Sharma")
    script = CallScript(lead, "CA2").dialled().add("call.answered", 10)
    post(agent, script.events)
    lead.refresh_from_db()
    assert lead.score == 5  # answered

    objection = CallScript(lead, "CA2").add(
        "call.objection", 20, {"category": "price", "text": "Too costly."}, event_id="CA2-obj"
    )
    response = post(agent, objection.events)

    assert response.json() == {"accepted": 1, "duplicates": 0}
    assert Lead.objects.get(pk=lead.pk).score == 1  # answered 5, one objection -4


def test_a_new_call_only_queued_does_not_rescore(agent, team, django_assert_num_queries):
    lead = make_lead(team.campaign, "Priya Sharma")

    with django_assert_num_queries(12) as captured:
        response = post(agent, CallScript(lead, "CA3").add("call.queued", 0).events)

    assert response.json() == {"accepted": 1, "duplicates": 0}
    assert score_statements(captured) == []
    assert Lead.objects.get(pk=lead.pk).score == 0
