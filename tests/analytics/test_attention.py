"""GET /analytics/calls/attention: every reason on crafted calls, order, filters, pages, access."""

from datetime import timedelta

import pytest

from tests import factories
from tests.analytics.conftest import ist
from voiceagent.models import CallError, CallStatus

URL = "/analytics/calls/attention"
pytestmark = pytest.mark.django_db


def answered_call(campaign, name, started, *, ended_by="agent", duration=60, **fields):
    lead = factories.make_lead(campaign, name)
    return factories.make_call(
        lead, initiated_at=started, duration=duration, ended_by=ended_by, **fields
    )


def turn(call, sequence, seconds, **latencies):
    return factories.make_turn(
        call, sequence, started_at=call.answered_at + timedelta(seconds=seconds), **latencies
    )


@pytest.fixture
def crafted(team):
    """One call per reason, plus a calm call that needs no attention."""
    campaign = team.campaign
    calm = answered_call(campaign, "Calm", ist(2025, 3, 3, 10))
    turn(calm, 1, 1, stt_ms=200, llm_ms=900, tts_ms=300)
    turn(calm, 2, 9, stt_ms=200, llm_ms=2000, tts_ms=800)  # 3000 ms: not over the limit

    slow = answered_call(campaign, "Slow", ist(2025, 3, 3, 11), duration=120)
    turn(slow, 1, 1, stt_ms=300, llm_ms=2500, tts_ms=400)  # 3200 ms, 115 s before the end
    turn(slow, 2, 5, llm_ms=700)

    errored = answered_call(campaign, "Errored", ist(2025, 3, 3, 12))
    CallError.objects.create(
        call=errored, component="stt", message="stream closed", occurred_at=errored.answered_at
    )

    failed = factories.make_call(
        factories.make_lead(campaign, "Failed"),
        status=CallStatus.FAILED,
        initiated_at=ist(2025, 3, 3, 13),
    )

    hung_up = answered_call(campaign, "Hung up", ist(2025, 3, 3, 14), ended_by="lead", duration=26)
    turn(hung_up, 1, 2, llm_ms=2100, tts_ms=1000)  # 3100 ms, 24 s before the end: too early
    turn(hung_up, 2, 12, stt_ms=500, llm_ms=4000)  # 4500 ms, 14 s before the end

    silent = answered_call(campaign, "Silent", ist(2025, 3, 3, 15))
    turn(silent, 1, 1)
    turn(silent, 2, 11)  # exactly 10 s: not over
    turn(silent, 3, 21.5)  # 10.5 s: a long silence

    return {
        "calm": calm,
        "slow": slow,
        "errored": errored,
        "failed": failed,
        "hung_up": hung_up,
        "silent": silent,
    }


def test_each_crafted_call_has_exactly_its_reasons_newest_first(crafted, get_json):
    body = get_json(URL)
    assert body["count"] == 5
    assert body["period"] == {"from": None, "to": None, "label": "All time"}
    assert [(c["lead_name"], c["reasons"], c["worst_turn_ms"]) for c in body["calls"]] == [
        ("Silent", ["long_silence"], None),
        ("Hung up", ["slow_turn", "hung_up_after_slow_turn"], 4500),
        ("Failed", ["failed"], None),
        ("Errored", ["ai_error"], None),
        ("Slow", ["slow_turn"], 3200),
    ]
    first = body["calls"][0]
    assert first["call_sid"] == crafted["silent"].call_sid
    assert first["campaign_id"] == crafted["silent"].campaign_id
    assert first["outcome"] == ""
    assert first["started_at"] == "2025-03-03T15:00:00+05:30"


@pytest.mark.parametrize(
    ("reason", "leads"),
    [
        ("slow_turn", ["Hung up", "Slow"]),
        ("ai_error", ["Errored"]),
        ("failed", ["Failed"]),
        ("hung_up_after_slow_turn", ["Hung up"]),
        ("long_silence", ["Silent"]),
    ],
)
def test_reason_filter_lists_only_calls_with_that_reason(crafted, get_json, reason, leads):
    body = get_json(f"{URL}?reason={reason}")
    assert [call["lead_name"] for call in body["calls"]] == leads
    assert body["count"] == len(leads)


def test_slow_turn_limit_comes_from_settings(crafted, get_json, settings):
    settings.SLOW_TURN_MS = 4000
    body = get_json(f"{URL}?reason=slow_turn")
    assert [call["lead_name"] for call in body["calls"]] == ["Hung up"]


def test_period_and_pages(crafted, team, get_json):
    answered_call(team.campaign, "Later", ist(2025, 3, 5, 10)).turns.create(
        sequence=1, speaker="agent", text="x", started_at=ist(2025, 3, 5, 10, 1), llm_ms=5000
    )
    body = get_json(f"{URL}?from=2025-03-03&to=2025-03-03&page=2&page_size=2")
    assert body["count"] == 5
    assert body["period"] == {"from": "2025-03-03", "to": "2025-03-03", "label": "3 Mar 2025"}
    assert [call["lead_name"] for call in body["calls"]] == ["Failed", "Errored"]
    assert get_json(f"{URL}?from=2025-03-05&to=2025-03-05")["count"] == 1


def test_another_teams_calls_are_never_listed(crafted, team, get_json, api_client):
    outsider = api_client(team.outsider)
    assert get_json(URL, client=outsider)["count"] == 0
    response = outsider.get(f"{URL}?campaign_id={team.campaign.pk}")
    assert response.status_code == 404


def test_bad_reason_is_a_400_naming_it(team, member_client):
    response = member_client.get(f"{URL}?reason=boring")
    assert response.status_code == 400
    assert "reason" in response.json()["detail"]


def test_needs_a_login(client, db):
    assert client.get(URL).status_code in (401, 403)


def test_query_count_is_fixed(crafted, member_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert member_client.get(URL).status_code == 200
