"""Helpers of the analytics tests: times in Asia/Kolkata and a token client per team member."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from analytics import live

IST = ZoneInfo("Asia/Kolkata")

# Every path of this API, with its parameters named as in the URL patterns and the schema.
API_PATHS = [
    "/analytics/campaigns/{campaign_id}/metrics",
    "/analytics/campaigns/{campaign_id}/funnel",
    "/analytics/campaigns/{campaign_id}/best-hours",
    "/analytics/campaigns/{campaign_id}/objections",
    "/analytics/campaigns/{campaign_id}/variants",
    "/analytics/campaigns/{campaign_id}/score-calibration",
    "/analytics/daily-stats",
    "/analytics/conversations/{call_sid}",
    "/analytics/system",
    "/analytics/leads/activity",
    "/analytics/calls/attention",
    "/dashboard/overview",
    "/dashboard/realtime",
    "/dashboard/campaigns/{campaign_id}/summary",
]


def ist(year, month, day, hour=12, minute=0):
    """An aware datetime on the wall clock of Asia/Kolkata (settings.TIME_ZONE)."""
    return datetime(year, month, day, hour, minute, tzinfo=IST)


@pytest.fixture
def member_client(team, api_client):
    return api_client(team.member)


@pytest.fixture
def get_json(member_client):
    """GET as the member; asserts the status and returns the JSON body."""

    def get(url, status=200, client=None):
        response = (client or member_client).get(url)
        assert response.status_code == status, response.content
        return response.json()

    return get


@pytest.fixture
def fresh_live_state(settings):
    """No counters of an earlier test held back by the throttle or still due in the pusher (a
    throttled push of theirs would hold this test's first counts back and coalesce them); the
    look for follow-ups falling due stays out of the way unless a test asks for it."""
    settings.LIVE_DUE_CHECK_SECONDS = 60
    live.pusher._take()
    cache.delete_many(["live:counters-throttle", live.DUE_CHECK_LOCK, live.DUE_CHECKED_UNTIL])
