"""A batch costs the same statements whatever its size: one per table, never one per call; a
batch that moves the rollups adds one more, the shared lock of its campaigns
(analytics/rollups/locks.py). The log's rows go in one statement per
services.LOG_ROWS_PER_STATEMENT events, at most five for the largest batch."""

import math
import re

import pytest

from tests.factories import make_ingest_user
from tests.voiceagent.ingestion.call_scripts import calls_of_new_leads, unanswered_call
from voiceagent.ingestion.services import LOG_ROWS_PER_STATEMENT
from voiceagent.models import CallSession, ScheduledCall

pytestmark = pytest.mark.django_db

URL = "/api/call-events"


@pytest.fixture
def agent(api_client):
    return api_client(make_ingest_user("agent"))


@pytest.fixture(params=[0, 600], ids=["connections closed", "persistent connections"])
def planning(request, monkeypatch):
    """The statements a batch adds where connections persist: there, its statements are
    prepared, and it asks for their generic plans (voiceagent.prepared.plan_generically)."""
    from django.db import connection

    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", request.param)
    return 1 if request.param else 0


def log_statements(events):
    return math.ceil(len(events) / LOG_ROWS_PER_STATEMENT)


def unanswered_calls(campaign, n_calls):
    """n_calls unanswered calls (queued, initiated, ringing, completed: 4 events each)."""
    return calls_of_new_leads(campaign, n_calls, unanswered_call, f"U{n_calls}")


@pytest.mark.parametrize("n_calls", [10, 100])
def test_a_batch_of_new_calls_takes_the_same_queries_for_10_calls_as_for_100(
    agent, team, n_calls, django_assert_num_queries, planning
):
    batch = unanswered_calls(team.campaign, n_calls)

    # No scoring statement: an unanswered call changes nothing a lead's score reads. The new
    # calls' ids are drawn with the locks (their turns and follow-ups are written before them).
    # 40 events: one statement of the log's rows; 400: four.
    with django_assert_num_queries(16 + log_statements(batch) + planning):
        response = agent.post(URL, batch, format="json")

    assert response.json() == {"accepted": 4 * n_calls, "duplicates": 0}
    assert CallSession.objects.filter(attempt_number=1, status="no_answer").count() == n_calls
    assert ScheduledCall.objects.filter(reason="retry", status="pending").count() == n_calls


@pytest.mark.parametrize("n_calls", [10, 100])
def test_ending_calls_of_an_earlier_batch_takes_the_same_queries_for_10_calls_as_for_100(
    agent, team, n_calls, django_assert_num_queries, planning
):
    events = unanswered_calls(team.campaign, n_calls)
    agent.post(URL, [e for e in events if e["type"] != "call.completed"], format="json")

    ending = [e for e in events if e["type"] == "call.completed"]
    with django_assert_num_queries(17 + planning):  # no scoring statement either
        response = agent.post(URL, ending, format="json")

    assert response.json() == {"accepted": n_calls, "duplicates": 0}
    assert CallSession.objects.filter(attempt_number=1, status="no_answer").count() == n_calls
    assert ScheduledCall.objects.filter(reason="retry", status="pending").count() == n_calls


def test_a_resent_batch_is_answered_from_the_log_without_a_lock(
    agent, team, django_assert_num_queries
):
    """Every batch reads the log for its event_ids first: resent whole, it is answered from that
    read, with nothing locked, nothing written and nothing run twice."""
    batch = unanswered_calls(team.campaign, 10)
    agent.post(URL, batch, format="json")

    with django_assert_num_queries(5) as captured:
        response = agent.post(URL, batch, format="json")

    assert response.json() == {"accepted": 0, "duplicates": 40}
    statements = [query["sql"] for query in captured.captured_queries]
    assert [re.search(r'FROM "(\w+)"', sql).group(1) for sql in statements[:2]] == [
        "auth_user",
        "auth_permission",
    ]
    assert statements[2].startswith("SAVEPOINT") and statements[4].startswith("RELEASE")
    assert 'FROM "voiceagent_callevent"' in statements[3]
