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
    # The lead's stored calls are read, with the log, the stored turns the batch might resend,
    # and the stored details of calls that may count in the rollups (all sent with the locks,
    # whether or not the call changes what they serve); no score is.
    with django_assert_num_queries(16) as captured:
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

    # Sent with the locks whatever the batch holds: the log, the stored details of calls that
    # may count in the rollups and whether anyone subscribed to notifications.
    with django_assert_num_queries(15) as captured:
        response = post(agent, CallScript(lead, "CA3").add("call.queued", 0).events)

    assert response.json() == {"accepted": 1, "duplicates": 0}
    assert score_statements(captured) == []
    assert Lead.objects.get(pk=lead.pk).score == 0


def test_a_call_dialled_ringing_and_changing_stage_does_not_rescore(agent, team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lead = make_lead(team.campaign, "Priya Sharma")
    post(agent, CallScript(lead, "CA4").add("call.queued", 0).events)
    dialling = (
        CallScript(lead, "CA4")
        .add("call.initiated", 2, event_id="CA4-initiated")
        .add("call.ringing", 4, event_id="CA4-ringing")
        .add("call.stage_changed", 5, {"stage": "greeting"}, event_id="CA4-stage")
    )

    with CaptureQueriesContext(connection) as captured:
        response = post(agent, dialling.events)

    assert response.json() == {"accepted": 3, "duplicates": 0}
    assert score_statements(captured) == []


@pytest.mark.parametrize(
    ("change", "rescored"),
    [
        ({"status": "initiated"}, False),
        ({"status": "ringing", "ended_by": "lead"}, False),
        ({"current_stage": "discovery"}, False),
        ({"status": "in_progress", "answered_at": "answer"}, True),
        ({"answered_at": "answer", "outcome": "voicemail"}, False),
        ({"outcome": "callback_requested"}, True),
        ({"qualification": {"timeline": "3 months"}}, True),
        ({"qualification": {"budget": "80 lakh"}}, False),  # a key no score reads
        ({"status": "canceled"}, True),
    ],
)
def test_what_changes_a_calls_score_facts(change, rescored):
    from django.utils import timezone

    from voiceagent.campaigns import scoring
    from voiceagent.models import CallSession

    fresh = CallSession(status="queued", outcome="", qualification={})
    assert scoring.call_score_facts(fresh) == scoring.UNSCORED_CALL
    changed = CallSession(status="queued", outcome="", qualification={})
    for field, value in change.items():
        setattr(changed, field, timezone.now() if value == "answer" else value)

    assert (scoring.call_score_facts(changed) != scoring.UNSCORED_CALL) is rescored


def test_an_answered_call_talking_longer_is_rescored_a_voicemail_is_not():
    from django.utils import timezone

    from voiceagent.campaigns import scoring
    from voiceagent.models import CallSession

    answered = CallSession(status="completed", outcome="qualified", answered_at=timezone.now())
    longer = CallSession(
        status="completed", outcome="qualified", answered_at=answered.answered_at,
        duration_seconds=200,
    )  # fmt: skip
    voicemail = CallSession(status="completed", outcome="voicemail", answered_at=timezone.now())
    longer_voicemail = CallSession(
        status="completed", outcome="voicemail", answered_at=voicemail.answered_at,
        duration_seconds=200,
    )  # fmt: skip

    assert scoring.call_score_facts(answered) != scoring.call_score_facts(longer)
    assert scoring.call_score_facts(voicemail) == scoring.call_score_facts(longer_voicemail)


def test_scores_after_batches_in_any_order_are_those_a_full_recompute_gives(agent, team):
    import random

    from tests.voiceagent.ingestion.call_scripts import unanswered_call, voicemail_call
    from voiceagent.campaigns.scoring import recompute_lead_scores

    leads = [make_lead(team.campaign, f"Lead {n}") for n in range(4)]
    events = [
        *answered_call(leads[0], "CA-S1"),
        *answered_call(leads[0], "CA-S2", outcome="callback_requested", start=600),
        *answered_call(leads[1], "CA-S3", outcome="not_interested"),
        *voicemail_call(leads[2], "CA-S4"),
        *unanswered_call(leads[3], "CA-S5"),
        *answered_call(leads[3], "CA-S6", start=900),
    ]
    random.Random(5).shuffle(events)
    for start in range(0, len(events), 7):
        assert post(agent, events[start : start + 7]).status_code == 202
    scored = dict(
        Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("pk", "score")
    )

    # Nothing left for a full recompute to write: every lead's score is already its own.
    assert recompute_lead_scores(lead_ids=[lead.pk for lead in leads], changed_only=True) == 0
    assert scored == {leads[0].pk: 62, leads[1].pk: 53, leads[2].pk: 0, leads[3].pk: 53}
