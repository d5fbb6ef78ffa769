"""Reads of the campaign report: its periods and every figure it prints, from the selectors the
dashboard and the analytics API use (so the same period gives the same numbers everywhere)."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from analytics import charts, page_selectors, selectors
from analytics.periods import (
    Period,
    local_today,
    local_zone,
)
from reports.models import ReportFrequency


def campaign_report(*, campaign, period, now=None):
    """Everything the PDF prints: headline metrics (as /analytics/campaigns/{id}/metrics),
    the daily series, funnel, outcomes, objections, best hours and AI latency, with charts."""
    now = now or timezone.now()
    metrics = selectors.campaign_metrics(campaign=campaign, period=period, now=now)
    daily_stats = selectors.daily_stats(campaigns=campaign, period=period)
    funnel = selectors.campaign_funnel(
        campaign=campaign, period=period, valid_leads=metrics["valid_leads"]
    )
    hours = selectors.best_hours(campaign=campaign, period=period)
    latency = page_selectors.latency_distribution(campaign=campaign, period=period)
    return {
        "campaign": campaign,
        "period": period,
        "generated_at": now.astimezone(local_zone()),
        "TIME_ZONE": settings.TIME_ZONE,
        "metrics": metrics,
        "daily_stats": daily_stats,
        "trend_chart": charts.daily_trend(daily_stats),
        "funnel": funnel,
        "funnel_chart": charts.funnel(funnel["steps"]),
        "objections": selectors.objection_breakdown(campaign=campaign, period=period),
        "hours": hours,
        "hours_chart": charts.best_hours(hours["slots"]),
        "latency": latency,
        "latency_chart": charts.latency_histogram(latency),
    }


def last_finished_period(frequency, *, now=None):
    """The period a schedule reports at `now`: yesterday (daily) or the previous Monday–Sunday
    (weekly), calendar days in settings.TIME_ZONE."""
    today = local_today(now)
    if frequency == ReportFrequency.DAILY:
        yesterday = today - timedelta(days=1)
        return Period(first=yesterday, last=yesterday)
    this_monday = today - timedelta(days=today.weekday())
    return Period(first=this_monday - timedelta(days=7), last=this_monday - timedelta(days=1))


def due_at(period, hour):
    """When the report of `period` is due: `hour` o'clock local on the day after it ends."""
    return datetime.combine(period.last + timedelta(days=1), time(hour), tzinfo=local_zone())
