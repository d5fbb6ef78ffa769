"""GET /analytics/campaigns/{id}/metrics: the glossary's numbers for one campaign."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.periods import start_of_day
from tests.analytics.conftest import ist
from tests.factories import make_call, make_campaign, make_lead, make_scheduled_call
from voiceagent.models import CallStatus, ScheduledCallStatus

pytestmark = pytest.mark.django_db
# The latency of a period without turns: nothing measured, so no average and no percentile.
NO_LATENCY = {
    field: {"avg": None, "p95": None, "samples": 0} for field in ("stt_ms", "llm_ms", "tts_ms")
}


def build_campaign_with_every_kind_of_call(campaign):
    """5 leads (3 valid, 1 DNC, 1 without phone) and one call of each kind."""
    l1, l2, l5 = make_lead(campaign), make_lead(campaign), make_lead(campaign)
    make_lead(campaign, is_dnc=True, dnc_reason="asked")
    make_lead(campaign, phone="")
    make_call(l1, outcome="qualified", duration=100)
    make_call(l2, outcome="not_interested", duration=50)
    make_call(l1, outcome="qualified", duration=71)  # the same lead qualifies twice
    make_call(l2, outcome="callback_requested", duration=40)
    make_call(l5, outcome="voicemail", duration=20)  # a machine answered: not an answer
    make_call(l5, status=CallStatus.BUSY, outcome="no_answer")
    make_call(l2, status=CallStatus.NO_ANSWER, outcome="no_answer")
    make_call(l2, status=CallStatus.FAILED, outcome="failed")
    make_call(l1, status=CallStatus.CANCELED, duration_seconds=15)  # never counts
    make_call(l1, status=CallStatus.IN_PROGRESS, answered=False)
    make_call(l5, status=CallStatus.RINGING, answered=False)
    make_call(l2, status=CallStatus.QUEUED, answered=False)
    now = timezone.now()
    make_scheduled_call(l2, scheduled_for=now - timedelta(minutes=1))  # due: queued
    make_scheduled_call(l1, scheduled_for=now + timedelta(hours=1))  # not yet due
    make_scheduled_call(l5, scheduled_for=now - timedelta(hours=1), status=ScheduledCallStatus.DONE)
    return l1, l2, l5


def test_every_field_follows_the_glossary(team, get_json):
    build_campaign_with_every_kind_of_call(team.campaign)
    other_lead = make_lead(team.other_campaign)
    make_call(other_lead, outcome="qualified")  # another campaign: not counted

    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics")

    assert body == {
        "campaign_id": team.campaign.pk,
        "campaign_name": "Powai launch",
        "campaign_status": "running",
        "total_leads": 5,
        "valid_leads": 3,
        "dnc_filtered_leads": 1,
        "calls_made": 8,
        "calls_answered": 4,
        "calls_qualified": 2,
        "calls_not_interested": 1,
        "calls_callback": 1,
        "calls_no_answer": 2,
        "calls_failed": 1,
        "calls_voicemail": 1,
        "calls_in_progress": 2,
        "calls_queued": 2,
        "answer_rate": 50.0,
        "qualification_rate": 50.0,
        "conversion_rate": 33.33,
        "avg_call_duration": 65.25,
        "total_call_time": 281,
        # Default prices (docs/metrics.md, Cost): 7 started minutes × ₹0.60 + 281 s of STT at
        # ₹0.50 a minute = ₹6.54; 4 answered calls; one lead qualified (twice).
        "cost_inr": 6.54,
        "cost_per_answered_call_inr": 1.64,
        "cost_per_qualified_lead_inr": 6.54,
        "latency": NO_LATENCY,
        "from": None,
        "to": None,
        "period": {"from": None, "to": None, "label": "All time"},
    }


def test_rates_are_rounded_half_up_to_two_decimals(team, get_json):
    leads = [make_lead(team.campaign) for _ in range(3)]
    make_call(leads[0], outcome="qualified", duration=10)
    make_call(leads[1], outcome="not_interested", duration=11)
    make_call(leads[2], status=CallStatus.NO_ANSWER, outcome="no_answer")

    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics")

    assert body["answer_rate"] == 66.67  # 2 / 3
    assert body["qualification_rate"] == 50.0  # 1 / 2
    assert body["conversion_rate"] == 33.33  # 1 lead / 3 valid leads
    assert body["avg_call_duration"] == 10.5


def test_a_campaign_without_leads_or_calls_is_all_zeros(team, get_json):
    empty = make_campaign("Empty", members=[team.member])

    body = get_json(f"/analytics/campaigns/{empty.pk}/metrics")

    assert {key: value for key, value in body.items() if key not in ("campaign_id",)} == {
        "campaign_name": "Empty",
        "campaign_status": "running",
        "total_leads": 0,
        "valid_leads": 0,
        "dnc_filtered_leads": 0,
        "calls_made": 0,
        "calls_answered": 0,
        "calls_qualified": 0,
        "calls_not_interested": 0,
        "calls_callback": 0,
        "calls_no_answer": 0,
        "calls_failed": 0,
        "calls_voicemail": 0,
        "calls_in_progress": 0,
        "calls_queued": 0,
        "answer_rate": 0.0,
        "qualification_rate": 0.0,
        "conversion_rate": 0.0,
        "avg_call_duration": 0.0,
        "total_call_time": 0,
        "cost_inr": 0.0,
        "cost_per_answered_call_inr": None,
        "cost_per_qualified_lead_inr": None,
        "latency": NO_LATENCY,
        "from": None,
        "to": None,
        "period": {"from": None, "to": None, "label": "All time"},
    }


def test_only_canceled_and_voicemail_calls_give_zero_rates(team, get_json):
    lead = make_lead(team.campaign)
    make_call(lead, status=CallStatus.CANCELED)
    make_call(lead, outcome="voicemail", duration=30)

    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics")

    assert (body["calls_made"], body["calls_answered"], body["calls_voicemail"]) == (1, 0, 1)
    assert (body["answer_rate"], body["qualification_rate"]) == (0.0, 0.0)
    assert (body["avg_call_duration"], body["total_call_time"]) == (0.0, 30)


def test_from_to_counts_calls_of_those_local_days_only(team, get_json):
    lead = make_lead(team.campaign)
    make_call(lead, initiated_at=ist(2025, 3, 9, 23, 59), outcome="qualified", duration=40)
    make_call(lead, initiated_at=ist(2025, 3, 10, 0, 1), outcome="qualified", duration=60)
    make_call(lead, initiated_at=ist(2025, 3, 11, 23, 59), outcome="not_interested", duration=30)
    make_call(lead, initiated_at=ist(2025, 3, 12, 0, 1), outcome="not_interested", duration=90)

    body = get_json(
        f"/analytics/campaigns/{team.campaign.pk}/metrics?from=2025-03-10&to=2025-03-11"
    )

    assert (body["from"], body["to"]) == ("2025-03-10", "2025-03-11")
    assert (body["calls_made"], body["calls_qualified"], body["calls_not_interested"]) == (2, 1, 1)
    assert (body["total_call_time"], body["avg_call_duration"]) == (90, 45.0)
    assert (body["total_leads"], body["conversion_rate"]) == (1, 100.0)


def test_days_counts_the_last_days_including_today(team, get_json):
    lead = make_lead(team.campaign)
    midnight = start_of_day(timezone.localdate())
    make_call(lead, initiated_at=midnight + timedelta(minutes=1), outcome="qualified")
    make_call(lead, initiated_at=midnight - timedelta(days=3), outcome="qualified")

    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics?days=1")

    today = timezone.localdate()
    assert (body["from"], body["to"]) == (today.isoformat(), today.isoformat())
    assert body["calls_made"] == 1


def test_a_non_member_gets_404(team, api_client):
    response = api_client(team.outsider).get(f"/analytics/campaigns/{team.campaign.pk}/metrics")

    assert response.status_code == 404
    assert response.json() == {"detail": "No campaign with that id."}


def test_staff_see_any_campaign(team, api_client):
    response = api_client(team.staff).get(f"/analytics/campaigns/{team.other_campaign.pk}/metrics")

    assert response.status_code == 200
    assert response.json()["campaign_name"] == "Whitefield villas"


def test_an_unknown_campaign_is_404(get_json):
    assert get_json("/analytics/campaigns/987654/metrics", status=404) == {
        "detail": "No campaign with that id."
    }


def test_without_login_it_is_refused(team, client):
    response = client.get(f"/analytics/campaigns/{team.campaign.pk}/metrics")

    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}
