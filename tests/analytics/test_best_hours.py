"""GET /analytics/campaigns/{id}/best-hours: rates by weekday × hour in Asia/Kolkata."""

import pytest

from tests.analytics.conftest import ist
from tests.factories import make_call, make_lead
from voiceagent.models import CallStatus

pytestmark = pytest.mark.django_db


def slot(weekday, name, hour, made, answered, qualified, answer_rate, qualification_rate):
    return {
        "weekday": weekday,
        "weekday_name": name,
        "hour": hour,
        "calls_made": made,
        "calls_answered": answered,
        "calls_qualified": qualified,
        "answer_rate": answer_rate,
        "qualification_rate": qualification_rate,
    }


def build_week(campaign):
    lead = make_lead(campaign)
    monday_10 = ist(2025, 3, 10, 10, 5)  # 2025-03-10 is a Monday
    make_call(lead, initiated_at=monday_10, outcome="qualified")
    make_call(lead, initiated_at=monday_10, outcome="not_interested")
    make_call(lead, initiated_at=monday_10, status=CallStatus.NO_ANSWER, outcome="no_answer")
    make_call(lead, initiated_at=monday_10, status=CallStatus.CANCELED)
    # 00:15 on Tuesday in Kolkata is still Monday 18:45 in UTC: it belongs to Tuesday 00h.
    make_call(lead, initiated_at=ist(2025, 3, 11, 0, 15), outcome="qualified")
    make_call(lead, initiated_at=ist(2025, 3, 16, 23, 59), status=CallStatus.BUSY,
              outcome="no_answer")  # fmt: skip


def test_every_slot_is_listed_with_its_rates(team, get_json):
    build_week(team.campaign)

    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/best-hours?min_calls=1")

    assert len(body["slots"]) == 168
    assert (body["slots"][0]["weekday_name"], body["slots"][0]["hour"]) == ("Monday", 0)
    busy = {(s["weekday"], s["hour"]): s for s in body["slots"] if s["calls_made"]}
    assert busy == {
        (1, 10): slot(1, "Monday", 10, 3, 2, 1, 66.67, 50.0),
        (2, 0): slot(2, "Tuesday", 0, 1, 1, 1, 100.0, 100.0),
        (7, 23): slot(7, "Sunday", 23, 1, 0, 0, 0.0, 0.0),
    }
    assert body["best"] == [busy[2, 0], busy[1, 10], busy[7, 23]]
    assert (body["timezone"], body["min_calls"], body["from"], body["to"]) == (
        "Asia/Kolkata",
        1,
        None,
        None,
    )


def test_best_only_ranks_slots_with_enough_calls(team, get_json):
    build_week(team.campaign)

    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/best-hours")  # min_calls 5

    assert body["best"] == []
    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/best-hours?min_calls=2")
    assert [(s["weekday"], s["hour"]) for s in body["best"]] == [(1, 10)]


def test_from_to_keeps_the_days_asked_for(team, get_json):
    build_week(team.campaign)

    body = get_json(
        f"/analytics/campaigns/{team.campaign.pk}/best-hours?from=2025-03-11&to=2025-03-11"
    )

    assert [(s["weekday"], s["hour"]) for s in body["slots"] if s["calls_made"]] == [(2, 0)]


def test_a_non_member_gets_404(team, get_json):
    assert get_json(f"/analytics/campaigns/{team.other_campaign.pk}/best-hours", status=404) == {
        "detail": "No campaign with that id."
    }
