"""Each endpoint runs a fixed number of queries, whatever the number of campaigns, leads, calls
or turns: counted at two data sizes, equal, and pinned (one of them is the token lookup)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    make_call,
    make_campaign,
    make_lead,
    make_objection,
    make_scheduled_call,
    make_turn,
)
from voiceagent.models import CallStatus

pytestmark = pytest.mark.django_db

# Endpoints showing phones read the manager's permissions once (2 queries) to mask them.
ENDPOINTS = {
    "/analytics/campaigns/{campaign}/metrics": 7,
    "/analytics/campaigns/{campaign}/metrics?days=30": 7,
    "/analytics/campaigns/{campaign}/funnel": 3,
    "/analytics/campaigns/{campaign}/best-hours": 3,
    "/analytics/campaigns/{campaign}/objections": 3,
    "/analytics/daily-stats": 2,
    "/analytics/daily-stats?campaign_id={campaign}&days=30": 2,
    "/analytics/conversations/{call_sid}": 7,
    "/analytics/system": 5,
    "/analytics/leads/activity": 4,
    "/analytics/leads/activity?campaign_id={campaign}&status=contacted": 4,
    "/dashboard/overview": 8,
    "/dashboard/realtime": 3,
    "/dashboard/campaigns/{campaign}/summary": 11,
}


def populate(member, *, campaigns, leads, calls, turns):
    """Campaigns of `member`, each with leads that have finished and live calls, turns,
    objections and scheduled calls. Returns the first campaign and one call of it."""
    now = timezone.now()
    first = call = None
    for _ in range(campaigns):
        campaign = make_campaign(members=[member])
        first = first or campaign
        for _ in range(leads):
            lead = make_lead(campaign, status="contacted", last_call_at=now, call_attempts=calls)
            make_scheduled_call(lead, scheduled_for=now - timedelta(minutes=1))
            make_call(
                lead, status=CallStatus.IN_PROGRESS, answered=False, current_stage="discovery"
            )
            for number in range(calls):
                finished = make_call(lead, outcome="qualified" if number % 2 else "not_interested",
                                     stage_first_reached={"greeting": now.isoformat()})  # fmt: skip
                make_objection(finished, "price")
                for sequence in range(1, turns + 1):
                    make_turn(finished, sequence, stt_ms=100 * sequence, llm_ms=300, tts_ms=90)
                call = call if campaign != first else (call or finished)
    return first, call


def count_queries(client, url, pinned, django_assert_max_num_queries):
    with django_assert_max_num_queries(pinned) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url, pinned", ENDPOINTS.items())
def test_query_count_does_not_grow_with_data(
    url, pinned, team, member_client, django_assert_max_num_queries
):
    campaign, call = populate(team.member, campaigns=1, leads=1, calls=1, turns=1)
    values = {"campaign": campaign.pk, "call_sid": call.call_sid}
    small = count_queries(
        member_client, url.format(**values), pinned, django_assert_max_num_queries
    )

    populate(team.member, campaigns=3, leads=3, calls=3, turns=4)
    for number in range(2, 6):  # more of everything in the campaign and the call under test
        make_turn(call, number, stt_ms=50 * number)
        make_call(make_lead(campaign), outcome="qualified")
    large = count_queries(
        member_client, url.format(**values), pinned, django_assert_max_num_queries
    )

    assert small == large == pinned
