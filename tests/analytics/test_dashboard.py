"""GET /dashboard/overview, /dashboard/realtime and /dashboard/campaigns/{id}/summary."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from analytics.periods import start_of_day
from tests.analytics.conftest import ist
from tests.factories import make_call, make_campaign, make_lead, make_scheduled_call
from voiceagent.models import CallStatus, Campaign

pytestmark = pytest.mark.django_db


def test_overview_has_system_recent_campaigns_and_the_daily_series(team, get_json):
    second = make_campaign("Thane towers", status="paused", members=[team.member])
    Campaign.objects.filter(pk=second.pk).update(created_at=team.campaign.created_at + timedelta(1))
    today = start_of_day(timezone.localdate()) + timedelta(minutes=1)
    lead = make_lead(team.campaign)
    make_call(lead, initiated_at=today, outcome="qualified", duration=30)
    make_call(lead, initiated_at=today, status=CallStatus.NO_ANSWER, outcome="no_answer")
    make_call(make_lead(team.other_campaign), initiated_at=today, outcome="qualified")

    body = get_json("/dashboard/overview?days=2")

    yesterday, now = timezone.localdate() - timedelta(days=1), timezone.localdate()
    period = {"from": yesterday.isoformat(), "to": now.isoformat(), "label": "Last 2 days"}
    assert body["period"] == period
    assert body["system"]["total_campaigns"] == 2
    assert (body["system"]["calls_today"], body["system"]["answer_rate"]) == (2, 50.0)
    assert body["recent_campaigns"] == [
        {"id": second.pk, "name": "Thane towers", "status": "paused", "calls_made": 0,
         "calls_answered": 0, "calls_qualified": 0, "answer_rate": 0.0,
         "qualification_rate": 0.0, "period": period},
        {"id": team.campaign.pk, "name": "Powai launch", "status": "running", "calls_made": 2,
         "calls_answered": 1, "calls_qualified": 1, "answer_rate": 50.0,
         "qualification_rate": 100.0, "period": period},
    ]  # fmt: skip
    assert body["daily_stats"] == [
        {"date": yesterday.isoformat(), "calls_made": 0, "calls_answered": 0,
         "calls_qualified": 0, "answer_rate": 0.0, "qualification_rate": 0.0,
         "avg_call_duration": 0.0, "total_call_time": 0},
        {"date": now.isoformat(), "calls_made": 2, "calls_answered": 1, "calls_qualified": 1,
         "answer_rate": 50.0, "qualification_rate": 100.0, "avg_call_duration": 30.0,
         "total_call_time": 30},
    ]  # fmt: skip
    assert body["timezone"] == "Asia/Kolkata"
    assert abs(parse_datetime(body["generated_at"]) - timezone.now()) < timedelta(seconds=30)


def test_realtime_lists_calls_in_progress_oldest_first(team, get_json):
    lead = make_lead(team.campaign, "Ravi")
    now = timezone.now()
    ringing = make_call(
        lead,
        status=CallStatus.RINGING,
        answered=False,
        call_sid="CA-ring",
        initiated_at=now - timedelta(seconds=20),
    )
    talking = make_call(
        lead,
        status=CallStatus.IN_PROGRESS,
        answered=False,
        call_sid="CA-talk",
        initiated_at=now - timedelta(seconds=100),
        answered_at=now - timedelta(seconds=90),
        current_stage="discovery",
    )
    make_call(lead, status=CallStatus.QUEUED, answered=False)
    make_call(lead, outcome="qualified")  # ended: not active
    make_call(make_lead(team.other_campaign), status=CallStatus.IN_PROGRESS, answered=False)
    make_scheduled_call(lead, scheduled_for=now - timedelta(minutes=1))  # fmt: skip

    body = get_json("/dashboard/realtime")

    assert (body["calls_in_progress"], body["calls_queued"]) == (2, 2)
    common = {"campaign_id": team.campaign.pk, "campaign_name": "Powai launch",
              "lead_id": lead.pk, "lead_name": "Ravi", "outcome": None}  # fmt: skip
    calls = body["active_calls"]
    durations = [call.pop("duration_seconds") for call in calls]
    assert calls == [
        {"call_sid": "CA-talk", **common, "stage": "discovery", "status": "in_progress",
         "started_at": timezone.localtime(talking.initiated_at).isoformat()},
        {"call_sid": "CA-ring", **common, "stage": None, "status": "ringing",
         "started_at": timezone.localtime(ringing.initiated_at).isoformat()},
    ]  # fmt: skip
    # Counted from the call's start (initiated 100 s ago), not from the answer 90 s ago.
    as_of = parse_datetime(body["timestamp"])
    assert durations == [
        int((as_of - talking.initiated_at).total_seconds()),
        int((as_of - ringing.initiated_at).total_seconds()),
    ]
    assert durations[0] >= 100
    assert abs(parse_datetime(body["timestamp"]) - timezone.now()) < timedelta(seconds=30)


def test_realtime_limit_caps_the_list_not_the_count(team, get_json):
    lead = make_lead(team.campaign)
    for _ in range(3):
        make_call(lead, status=CallStatus.IN_PROGRESS, answered=False)

    body = get_json("/dashboard/realtime?limit=2")

    assert (body["calls_in_progress"], len(body["active_calls"])) == (3, 2)


def test_campaign_summary_bundles_metrics_daily_stats_and_recent_activity(team, get_json):
    lead = make_lead(team.campaign, "Meera", last_call_at=ist(2025, 3, 10), call_attempts=1,
                     last_outcome="qualified", status="qualified")  # fmt: skip
    make_call(lead, outcome="qualified", duration=42)

    make_call(lead, outcome="not_interested", initiated_at=timezone.now() - timedelta(days=3))

    body = get_json(f"/dashboard/campaigns/{team.campaign.pk}/summary?days=3&limit=5")

    today = timezone.localdate()
    assert body["period"] == {
        "from": (today - timedelta(days=2)).isoformat(),
        "to": today.isoformat(),
        "label": "Last 3 days",
    }
    assert body["metrics"] == get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics?days=3")
    assert (body["metrics"]["calls_made"], body["metrics"]["period"]) == (1, body["period"])
    assert (
        body["daily_stats"]
        == get_json(f"/analytics/daily-stats?campaign_id={team.campaign.pk}&days=3")["stats"]
    )
    assert body["recent_activity"] == get_json(
        f"/analytics/leads/activity?campaign_id={team.campaign.pk}&limit=5"
    )
    assert [lead["name"] for lead in body["recent_activity"]] == ["Meera"]


def test_campaign_summary_of_another_team_is_404(team, get_json):
    assert get_json(f"/dashboard/campaigns/{team.other_campaign.pk}/summary", status=404) == {
        "detail": "No campaign with that id."
    }
