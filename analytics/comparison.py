"""Period comparison (`compare=previous`): the same figures for the preceding period of equal
length (analytics.periods.previous_period) and how much each moved (docs/metrics.md,
"Period comparison"). Counts change by their difference, rates in percentage points, seconds,
milliseconds and rupees by their difference, all rounded to 2 decimals; nested figures (the
latency of each AI step) field by field; no change at all (None) when the previous period has no
calls."""

from decimal import Decimal

from django.utils import timezone

from analytics import selectors
from analytics.aggregates import rate, rounded
from analytics.costs import rupees
from analytics.periods import Period, describe_period, previous_period

# The figures of a campaign's metrics that depend on the period (lead and live counts are now).
CAMPAIGN_FIELDS = (
    "calls_made",
    "calls_answered",
    "calls_qualified",
    "calls_not_interested",
    "calls_callback",
    "calls_no_answer",
    "calls_failed",
    "calls_voicemail",
    "answer_rate",
    "qualification_rate",
    "conversion_rate",
    "avg_call_duration",
    "total_call_time",
    "cost_inr",
    "cost_per_answered_call_inr",
    "cost_per_qualified_lead_inr",
    "latency",
)
# Totals of a daily series (daily stats, the overview).
TOTAL_FIELDS = (
    "calls_made",
    "calls_answered",
    "calls_qualified",
    "answer_rate",
    "qualification_rate",
    "total_call_time",
)
# The system figures over its rate period.
SYSTEM_FIELDS = ("calls_made", "answer_rate", "qualification_rate")


# Figures whose rise is bad news (a card shows their ▲ in the "bad" colour).
LOWER_IS_BETTER = frozenset(
    {
        "calls_not_interested",
        "calls_no_answer",
        "calls_failed",
        "calls_voicemail",
        "cost_inr",
        "cost_per_answered_call_inr",
        "cost_per_qualified_lead_inr",
    }
)
RATE_FIELDS = frozenset({"answer_rate", "qualification_rate", "conversion_rate"})
SECONDS_FIELDS = frozenset({"avg_call_duration", "total_call_time"})


def unit_of(field):
    """How a change of `field` is said: "pts" (rates), "₹", "s" (seconds) or "" (a count)."""
    if field in RATE_FIELDS:
        return "pts"
    if field.endswith("_inr"):
        return "₹"
    if field in SECONDS_FIELDS:
        return "s"
    return ""


def difference(current, previous):
    if current is None or previous is None:
        return None
    if isinstance(current, dict):  # nested figures (latency) change field by field
        return {key: difference(value, previous[key]) for key, value in current.items()}
    if isinstance(current, Decimal) or isinstance(previous, Decimal):
        return rupees(Decimal(current) - Decimal(previous))
    if isinstance(current, int) and isinstance(previous, int):
        return current - previous
    return rounded(current - previous)


def change(current, previous, fields):
    """{field: difference} of `fields`, or None when the previous period has no calls."""
    if not previous.get("calls_made"):
        return None
    return {field: difference(current[field], previous[field]) for field in fields}


def pick(figures, fields):
    return {field: figures[field] for field in fields}


def series_totals(stats):
    """Totals of a daily series: summed counts, rates of the sums (glossary rules)."""
    totals = {
        field: sum(day[field] for day in stats)
        for field in ("calls_made", "calls_answered", "calls_qualified", "total_call_time")
    }
    totals["answer_rate"] = rate(totals["calls_answered"], totals["calls_made"])
    totals["qualification_rate"] = rate(totals["calls_qualified"], totals["calls_answered"])
    return totals


# --- the documents of each endpoint with `compare=previous` --------------------------------------
# Each calls the endpoint's own selector a second time, for the previous period: no SQL of its own.


def campaign_metrics(*, campaign, period, now=None):
    current = selectors.campaign_metrics(campaign=campaign, period=period, now=now)
    before = selectors.campaign_metrics(campaign=campaign, period=previous_period(period), now=now)
    return {
        **current,
        "previous": {**pick(before, CAMPAIGN_FIELDS), "period": before["period"]},
        "change": change(current, before, CAMPAIGN_FIELDS),
    }


def daily_report(*, campaigns, period, campaign_id=None, now=None):
    report = selectors.daily_report(
        campaigns=campaigns, period=period, campaign_id=campaign_id, now=now
    )
    before = selectors.daily_report(
        campaigns=campaigns, period=previous_period(period), campaign_id=campaign_id, now=now
    )
    report["totals"] = series_totals(report["stats"])
    before_totals = series_totals(before["stats"])
    report["previous"] = {
        "period": before["period"],
        "stats": before["stats"],
        "totals": before_totals,
    }
    report["change"] = change(report["totals"], before_totals, TOTAL_FIELDS)
    return report


def system_metrics(*, campaigns, now=None):
    now = now or timezone.now()
    period = Period.last_days(selectors.SYSTEM_RATE_DAYS, now=now)
    current = selectors.system_metrics(campaigns=campaigns, now=now, period=period)
    before = selectors.system_metrics(campaigns=campaigns, now=now, period=previous_period(period))
    return {
        **current,
        "previous": {**pick(before, SYSTEM_FIELDS), "period": before["period"]},
        "change": change(current, before, SYSTEM_FIELDS),
    }


def dashboard_overview(*, campaigns, period, now=None):
    overview = selectors.dashboard_overview(campaigns=campaigns, period=period, now=now)
    earlier = previous_period(period)
    before = series_totals(selectors.daily_stats(campaigns=campaigns, period=earlier))
    overview["totals"] = series_totals(overview["daily_stats"])
    overview["previous"] = {**before, "period": describe_period(earlier, now=now)}
    overview["change"] = change(overview["totals"], before, TOTAL_FIELDS)
    return overview
