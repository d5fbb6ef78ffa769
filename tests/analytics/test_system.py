"""GET /analytics/system: totals over the user's campaigns, 30-day rates, cached components."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from analytics.periods import start_of_day
from monitoring.components import COMPONENTS, store_status
from tests.factories import (
    make_call,
    make_campaign,
    make_lead,
    make_manager,
    make_scheduled_call,
)
from voiceagent.models import CallStatus, CampaignStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_statuses():
    cache.delete_many([f"monitoring:component:{name}" for name in COMPONENTS])
    yield
    cache.delete_many([f"monitoring:component:{name}" for name in COMPONENTS])


def test_every_field_counts_only_the_users_campaigns(team, get_json):
    paused = make_campaign("Paused one", status=CampaignStatus.PAUSED, members=[team.member])
    lead, other = make_lead(team.campaign), make_lead(paused)
    make_lead(paused, is_dnc=True)
    today = start_of_day(timezone.localdate())
    make_call(lead, initiated_at=today + timedelta(minutes=1), outcome="qualified")
    make_call(lead, initiated_at=today + timedelta(minutes=2), status=CallStatus.CANCELED)
    make_call(other, initiated_at=today - timedelta(days=29), outcome="not_interested")
    make_call(other, initiated_at=today - timedelta(days=29), outcome="voicemail")
    make_call(other, initiated_at=today - timedelta(days=30), outcome="qualified")  # too old
    make_call(other, status=CallStatus.RINGING, answered=False)
    make_call(other, status=CallStatus.QUEUED, answered=False)  # paused: not in the queue
    make_scheduled_call(lead)
    outsiders = make_lead(team.other_campaign)
    make_call(outsiders, initiated_at=today + timedelta(minutes=1), outcome="qualified")
    make_call(outsiders, status=CallStatus.IN_PROGRESS, answered=False)
    store_status("database", "healthy")
    store_status("openai", "not_configured")

    body = get_json("/analytics/system")

    assert body == {
        "total_campaigns": 2,
        "active_campaigns": 1,
        "total_leads": 3,
        "calls_today": 1,
        "calls_in_progress": 1,
        "calls_queued": 1,
        "calls_made": 3,
        "calls_answered": 2,
        "answer_rate": 66.67,
        "qualification_rate": 50.0,
        "rates_days": 30,
        "period": {
            "from": str(timezone.localdate() - timedelta(days=29)),
            "to": str(timezone.localdate()),
            "label": "Last 30 days",
        },
        "components": {
            "database": "healthy",
            "redis": "unknown",
            "worker": "unknown",
            "scheduler": "unknown",
            "exotel": "unknown",
            "deepgram": "unknown",
            "openai": "not_configured",
            "elevenlabs": "unknown",
        },
    }


def test_staff_see_every_campaign(team, get_json, api_client):
    make_call(make_lead(team.other_campaign), outcome="qualified")

    body = get_json("/analytics/system", client=api_client(team.staff))

    assert (body["total_campaigns"], body["total_leads"], body["qualification_rate"]) == (
        2,
        1,
        100.0,
    )


def test_a_user_without_campaigns_gets_zeros(api_client, get_json):
    body = get_json("/analytics/system", client=api_client(make_manager("newcomer")))

    assert {key: body[key] for key in body if key != "components"} == {
        "total_campaigns": 0,
        "active_campaigns": 0,
        "total_leads": 0,
        "calls_today": 0,
        "calls_in_progress": 0,
        "calls_queued": 0,
        "calls_made": 0,
        "calls_answered": 0,
        "answer_rate": 0.0,
        "qualification_rate": 0.0,
        "rates_days": 30,
        "period": {
            "from": str(timezone.localdate() - timedelta(days=29)),
            "to": str(timezone.localdate()),
            "label": "Last 30 days",
        },
    }
