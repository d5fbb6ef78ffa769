"""calls_queued (glossary): queued calls plus pending scheduled calls due now, of running
campaigns only; the API, the realtime document and the live counters agree."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import live
from analytics.selectors import live_counts, live_counts_by_campaign
from tests.factories import make_call, make_campaign, make_lead, make_scheduled_call
from voiceagent.models import (
    CallSession,
    CallStatus,
    Campaign,
    CampaignStatus,
    LeadStatus,
    ScheduledCall,
    ScheduledCallStatus,
)

pytestmark = pytest.mark.django_db


def build_queue(campaign):
    """One queued call, two due follow-ups; and what is never in the queue: a follow-up due
    later, one already dispatched, a canceled one and a call in progress."""
    lead = make_lead(campaign)
    now = timezone.now()
    make_call(lead, status=CallStatus.QUEUED, answered=False)
    make_call(lead, status=CallStatus.IN_PROGRESS, answered=False)
    make_scheduled_call(lead, scheduled_for=now - timedelta(minutes=1))
    make_scheduled_call(lead, scheduled_for=now - timedelta(days=2))
    make_scheduled_call(lead, scheduled_for=now + timedelta(hours=1))
    make_scheduled_call(lead, status=ScheduledCallStatus.DISPATCHED)
    make_scheduled_call(lead, status=ScheduledCallStatus.CANCELED)


def set_status(campaign, status):
    campaign.status = status
    campaign.save(update_fields=["status"])


def queued_figures(campaign, get_json):
    metrics = get_json(f"/analytics/campaigns/{campaign.pk}/metrics")
    realtime = get_json("/dashboard/realtime")
    system = get_json("/analytics/system")
    pushed = live.counters([campaign.pk])
    return (
        metrics["calls_queued"],
        realtime["calls_queued"],
        system["calls_queued"],
        pushed[campaign.pk]["calls_queued"],
        sum(row["calls_queued"] for row in realtime["campaigns"]),
    )


def test_a_running_campaigns_queued_calls_and_due_follow_ups_are_queued(team, get_json):
    build_queue(team.campaign)

    assert queued_figures(team.campaign, get_json) == (3, 3, 3, 3, 3)


def test_pausing_a_campaign_takes_its_calls_out_of_the_queue_and_resuming_brings_them_back(
    team, get_json
):
    build_queue(team.campaign)

    set_status(team.campaign, CampaignStatus.PAUSED)
    assert queued_figures(team.campaign, get_json) == (0, 0, 0, 0, 0)

    set_status(team.campaign, CampaignStatus.RUNNING)
    assert queued_figures(team.campaign, get_json) == (3, 3, 3, 3, 3)


@pytest.mark.parametrize("status", [CampaignStatus.DRAFT, CampaignStatus.COMPLETED])
def test_draft_and_completed_campaigns_have_nothing_queued(team, get_json, status):
    build_queue(team.campaign)
    build_queue(make_campaign("Other running one", members=[team.member]))

    set_status(team.campaign, status)

    assert queued_figures(team.campaign, get_json) == (0, 3, 3, 0, 3)


def test_live_counts_of_several_campaigns_are_the_sum_of_each_campaigns_counts(
    team, django_assert_max_num_queries
):
    build_queue(team.campaign)
    build_queue(team.other_campaign)
    paused = make_campaign("Paused one", status=CampaignStatus.PAUSED)
    build_queue(paused)
    # A closed lead's pending follow-up is in nobody's queue.
    make_scheduled_call(make_lead(team.campaign, status=LeadStatus.NOT_INTERESTED))
    campaigns = Campaign.objects.filter(
        pk__in=[team.campaign.pk, team.other_campaign.pk, paused.pk]
    )

    by_campaign = live_counts_by_campaign(campaigns=campaigns)
    with django_assert_max_num_queries(2):
        together = live_counts(campaigns=campaigns)

    assert by_campaign == {
        team.campaign.pk: {"calls_in_progress": 1, "calls_queued": 3},
        team.other_campaign.pk: {"calls_in_progress": 1, "calls_queued": 3},
        paused.pk: {"calls_in_progress": 1, "calls_queued": 0},
    }
    assert together == {"calls_in_progress": 3, "calls_queued": 6}


def test_one_statement_counts_what_the_glossarys_queryset_methods_select(
    team, django_assert_num_queries
):
    """Every campaign status, every call status, follow-ups pending, done or canceled, due or
    not, of open, closed and do-not-call leads: the live counts' one statement counts exactly
    CallSession.objects.in_progress() and .queued() and ScheduledCall.objects.queued(now)."""
    now = timezone.now()
    for campaign_status in CampaignStatus.values:
        campaign = make_campaign(status=campaign_status, members=[team.member])
        for lead_fields in ({}, {"status": LeadStatus.QUALIFIED}, {"is_dnc": True}):
            lead = make_lead(campaign, **lead_fields)
            for call_status in CallStatus.values:
                make_call(lead, status=call_status, answered=False)
            for follow_up_status in ScheduledCallStatus.values:
                for minutes in (-5, 5):
                    make_scheduled_call(lead, status=follow_up_status,
                                        scheduled_for=now + timedelta(minutes=minutes))  # fmt: skip
    campaigns = Campaign.objects.filter(members=team.member)

    with django_assert_num_queries(1):
        counted = live_counts_by_campaign(campaigns=campaigns, now=now)

    expected = {}
    for campaign in campaigns:
        in_progress = CallSession.objects.in_progress().filter(campaign=campaign).count()
        queued = (
            CallSession.objects.queued().filter(campaign=campaign).count()
            + ScheduledCall.objects.queued(now).filter(campaign=campaign).count()
        )
        if in_progress or queued:
            expected[campaign.pk] = {"calls_in_progress": in_progress, "calls_queued": queued}
    assert counted == expected
    assert sorted(row["calls_queued"] for row in counted.values()) == [0, 0, 0, 4]


@pytest.mark.parametrize(
    ("scope", "index"),
    [("every campaign", "scheduled_due_idx"), ("one campaign", "scheduled_campaign_due_idx")],
)
def test_due_follow_ups_are_found_by_the_due_index_not_by_reading_every_pending_one(
    team, scope, index
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lead = make_lead(team.campaign)
    for _ in range(200):  # most follow-ups are done, as the statistics last saw them
        make_scheduled_call(lead, status=ScheduledCallStatus.DONE)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE voiceagent_scheduledcall")
    for hours in range(1, 41):  # retries planned for later since: pending, not due
        make_scheduled_call(lead, scheduled_for=timezone.now() + timedelta(hours=hours))
    make_scheduled_call(lead)  # due five minutes ago
    campaigns = (
        Campaign.objects.all()
        if scope == "every campaign"
        else Campaign.objects.filter(pk__in=[team.campaign.pk])  # as a live push reads them
    )
    with CaptureQueriesContext(connection) as captured:
        counts = live_counts_by_campaign(campaigns=campaigns)
    (statement,) = [q["sql"] for q in captured.captured_queries]

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # as on a table too big to scan
        cursor.execute(f"EXPLAIN {statement}")
        plan = "\n".join(line for (line,) in cursor.fetchall())

    assert counts[team.campaign.pk]["calls_queued"] == 1
    # Pending and due in one index range: the follow-ups planned for later are never read.
    assert f"{index} on voiceagent_scheduledcall" in plan
    assert "scheduled_for <=" in plan.split(index, 1)[1].split("->", 1)[0]
