"""Reads behind the database-truth gauges (active_calls, queued_calls, campaign_status).

Each is one indexed query, run at scrape time, so the gauges never drift from the database.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from analytics.aggregates import condition
from voiceagent.models import (
    IN_PROGRESS_STATUSES,
    CallSession,
    CallStatus,
    Campaign,
    CampaignStatus,
    ScheduledCall,
)


@dataclass(frozen=True)
class CampaignState:
    id: int
    name: str
    status: str


def calls_in_progress_and_queued():
    """(calls_in_progress, queued call sessions of running campaigns): one query on the status
    index; `CallSession.objects.queued()` holds the rule."""
    counts = CallSession.objects.filter(
        status__in=(*IN_PROGRESS_STATUSES, CallStatus.QUEUED)
    ).aggregate(
        in_progress=Count("id", filter=Q(status__in=IN_PROGRESS_STATUSES)),
        queued=Count("id", filter=condition(CallSession.objects.queued())),
    )
    return counts["in_progress"], counts["queued"]


def scheduled_calls_due(*, now=None):
    """Pending ScheduledCalls due now or earlier, of running campaigns (the other half of the
    glossary's calls_queued)."""
    return ScheduledCall.objects.queued(now or timezone.now()).count()


def monitored_campaigns(*, now=None):
    """Campaigns that get a campaign_status series: every one not completed, and completed ones
    for METRICS_COMPLETED_CAMPAIGN_DAYS (so the drop to 0 is seen), which keeps the label set
    bounded as campaigns accumulate."""
    since = (now or timezone.now()) - timedelta(days=settings.METRICS_COMPLETED_CAMPAIGN_DAYS)
    rows = (
        Campaign.objects.filter(
            ~Q(status=CampaignStatus.COMPLETED)
            | Q(completed_at__gte=since)
            | Q(completed_at__isnull=True, updated_at__gte=since)
        )
        .order_by("id")
        .values_list("id", "name", "status")
    )
    return [CampaignState(id=id_, name=name, status=status) for id_, name, status in rows]
