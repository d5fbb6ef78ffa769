"""Metric reads for the API, pages and exports: every figure of the glossary (docs/metrics.md).

Selectors take campaigns already limited to what the user may see (one `Campaign`, or a queryset
from `visible_campaigns(user)`), aggregate in the database with a fixed number of queries whatever
the amount of data, and return plain dicts. Calls are placed in time by `initiated_at`, days are
calendar days in settings.TIME_ZONE, and `period` (an `analytics.periods.Period`) limits calls to
those days; None means all time. Every document with call counts says which days it covers in a
`period` object ({from, to, label}, made by `analytics.periods.describe_period`).
"""

from datetime import datetime
from decimal import Decimal
from functools import cache

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from analytics import costs
from analytics.aggregates import condition, percentile_cont, rate, rounded
from analytics.models import (
    AllTimeLatencyRollup,
    AllTimeObjectionRollup,
    CallDayRollup,
    CallRollup,
    FunnelTotals,
    LatencyRollup,
    LeadTotals,
    ObjectionRollup,
    WeekHourRollup,
)
from analytics.periods import (
    Period,
    default_period,
    describe_period,
    local_today,
    local_zone,
)
from analytics.rollups import histogram
from analytics.rollups.contribution import ANY_CATEGORY, LATENCY_FIELDS, TOTAL_LATENCY
from monitoring.components import component_statuses
from voiceagent import fixed_statements
from voiceagent.access import call_not_found, campaign_not_found
from voiceagent.models import (
    CLOSED_LEAD_STATUSES,
    IN_PROGRESS_STATUSES,
    CallError,
    CallOutcome,
    CallSession,
    CallStatus,
    Campaign,
    CampaignStatus,
    ConversationTurn,
    Lead,
    LeadStatus,
    Objection,
    ObjectionCategory,
    ScheduledCall,
    ScheduledCallStatus,
    Stage,
)
from voiceagent.prepared import prepared_cursor

SYSTEM_RATE_DAYS = 30
LATENCY_PERCENTILE = 0.95
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LIVE_COUNT_FIELDS = ("calls_in_progress", "calls_queued")


# --- scoping -------------------------------------------------------------------------------------


def _of_campaigns(queryset, campaigns):
    """Rows of one campaign or of a queryset of campaigns (filtered by campaign_id, so that the
    (campaign, ...) indexes serve it). An unfiltered queryset (staff) needs no filter at all."""
    if isinstance(campaigns, Campaign):
        return queryset.filter(campaign=campaigns)
    if campaigns.query.where or campaigns.query.is_sliced:
        return queryset.filter(campaign__in=campaigns)
    return queryset


def _finished_calls(campaigns, period=None):
    calls = _of_campaigns(CallSession.objects.finished(), campaigns)
    if period is not None:
        calls = calls.filter(**period.filter_kwargs())
    return calls


def _answered():
    return condition(CallSession.objects.answered())


def _outcome(outcome):
    return Q(outcome=outcome)


def _rollups(model, campaigns, period=None):
    """Rollup rows (analytics.models) of the campaigns, within `period` when given: its bounds
    are local midnights, which fall on the rows' 15-minute UTC buckets, so the days are exact;
    CallDayRollup's and LatencyRollup's rows are local days, read from the period's first to
    its last."""
    rows = _of_campaigns(model.objects.all(), campaigns)
    if period is not None and model in (CallDayRollup, LatencyRollup):
        rows = rows.filter(**period.day_filter_kwargs())
    elif period is not None:
        rows = rows.filter(**period.filter_kwargs("bucket"))
    return rows


# Figures of finished calls by glossary name, as sums of the rollups' counters (see
# analytics/rollups/contribution.py for what each call adds).
ROLLUP_COUNTS = (
    "calls_made", "calls_answered", "calls_voicemail", "calls_qualified", "calls_not_interested",
    "calls_callback", "calls_no_answer", "calls_failed", "total_call_time",
)  # fmt: skip
ROLLUP_SUMS = (
    *ROLLUP_COUNTS, "answered_duration", "answered_durations", "billed_minutes",
    *costs.USAGE_FIELDS,
)  # fmt: skip
# Each latency's sum of milliseconds and number of turns that reported it (exact averages).
LATENCY_SUMS = tuple(f"{field}_{part}" for field in LATENCY_FIELDS for part in ("total", "turns"))


# Raw aggregates over finished calls, for figures the rollups do not split by (script variant).
RAW_CALL_TOTALS = {
    "calls_made": lambda: Count("pk"),
    "calls_answered": lambda: Count("pk", filter=_answered()),
    "calls_qualified": lambda: Count("pk", filter=_outcome(CallOutcome.QUALIFIED)),
}


def _call_totals(*names):
    return {name: RAW_CALL_TOTALS[name]() for name in names}


def _sums(*names):
    """Sum of each counter, for `aggregate()`."""
    return {name: Sum(name, default=0) for name in names}


def _grouped_sums(rows, groups, names):
    """Sums of the counters per group (dicts named like the counters): `annotate()` may not
    reuse a column's name, so the sums are aliased and renamed."""
    summed = (
        rows.values(*groups)
        .order_by()
        .annotate(**{f"sum_{name}": Sum(name, default=0) for name in names})
    )
    return [{key.removeprefix("sum_"): value for key, value in row.items()} for row in summed]


def _all_time_sums(model, campaign, groups, names):
    """`_grouped_sums` of an all-time rollup table (`model`, whose primary key is the campaign
    and `groups`: one row per group) for one Campaign: its rows as they are, read by one fixed
    statement, prepared. Building the ORM's GROUP BY query cost more than running it (an
    all-time objections read took 1.4–1.8 ms through the ORM, most of it Python)."""
    database = router.db_for_read(model)
    quote = connections[database].ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in [*groups, *names])
    campaign_column = quote(model._meta.get_field("campaign").column)
    with prepared_cursor(database) as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {campaign_column} = %s",
            [campaign.pk],
        )
        return [dict(zip([*groups, *names], row, strict=True)) for row in cursor.fetchall()]


def _with_average_duration(row):
    """avg_call_duration (mean duration of answered calls; None without any) from the sums."""
    total, count = row.pop("answered_duration"), row.pop("answered_durations")
    row["avg_call_duration"] = Decimal(total) / Decimal(count) if count else None
    return row


def _with_rates(row):
    """Adds answer_rate and qualification_rate, rounds avg_call_duration (glossary rules)."""
    row["answer_rate"] = rate(row["calls_answered"], row["calls_made"])
    row["qualification_rate"] = rate(row["calls_qualified"], row["calls_answered"])
    if "avg_call_duration" in row:
        row["avg_call_duration"] = rounded(row["avg_call_duration"])
    return row


def leads_qualified(*, campaigns, period=None):
    """Distinct leads with a qualified finished call in `period`: all time from the campaigns'
    FunnelTotals; for a period from the calls themselves (qualified calls only)."""
    if period is None:
        return _of_campaigns(FunnelTotals.objects.all(), campaigns).aggregate(
            qualified=Sum("qualified", default=0)
        )["qualified"]
    return (
        _finished_calls(campaigns, period)
        .filter(outcome=CallOutcome.QUALIFIED)
        .order_by()
        .values("lead_id")
        .distinct()
        .count()
    )


def _period_fields(period, now=None):
    """`from` and `to` (kept for older clients) and the `period` object."""
    described = describe_period(period, now=now)
    return {"from": described["from"], "to": described["to"], "period": described}


# --- counts shared by several endpoints ----------------------------------------------------------


LEAD_COUNTS = ("total_leads", "valid_leads", "dnc_filtered_leads")


def lead_counts(*, campaigns):
    """total_leads, valid_leads (Lead.objects.valid()) and dnc_filtered_leads now: the sums of
    the campaigns' LeadTotals, which triggers keep equal to their leads (one row per campaign,
    whatever the number of leads)."""
    return _of_campaigns(LeadTotals.objects.all(), campaigns).aggregate(**_sums(*LEAD_COUNTS))


def live_counts(*, campaigns, now=None):
    """calls_in_progress and calls_queued of these campaigns together: the sum of
    live_counts_by_campaign, so the pages' totals and the live pushes' counters add up."""
    by_campaign = live_counts_by_campaign(campaigns=campaigns, now=now).values()
    return {field: sum(counts[field] for counts in by_campaign) for field in LIVE_COUNT_FIELDS}


def live_counts_by_campaign(*, campaigns, now=None):
    """{campaign_id: {calls_in_progress, calls_queued}} for the campaigns with a call in progress
    or queued (absent = zeros): calls_in_progress, and calls_queued = queued calls + pending
    ScheduledCalls due by now, of running campaigns only (CallSession/ScheduledCall `.queued()`).
    The one rule of the live counts: live_counts, the pages and the live pushes read it.

    One fixed statement, every poll of /dashboard/realtime and every live push reading it:
    building the two grouped queries with the ORM cost more than running them. It spells out
    the glossary's QuerySet methods (CallSession.objects.in_progress() and .queued(),
    ScheduledCall.objects.queued(now)) from the same constants;
    tests/analytics/test_calls_queued.py holds it to their counts. Only live rows are read: the
    (campaign, status), (status) and due follow-ups' indexes find them directly."""
    now = now or timezone.now()
    database = router.db_for_read(CallSession)
    # As the ORM writes a datetime for this database (SQLite compares text: naive UTC).
    adapt_datetime = connections[database].ops.adapt_datetimefield_value
    quote = connections[database].ops.quote_name
    calls, scheduled = quote(CallSession._meta.db_table), quote(ScheduledCall._meta.db_table)
    campaign, leads = quote(Campaign._meta.db_table), quote(Lead._meta.db_table)
    calls_scope, calls_params = _campaign_condition(campaigns, "c.campaign_id")
    due_scope, due_params = _campaign_condition(campaigns, "s.campaign_id")
    running = f"(SELECT k.id FROM {campaign} k WHERE k.status = %s)"
    open_leads = (
        f"(SELECT l.id FROM {leads} l WHERE NOT l.is_dnc "
        f"AND l.status NOT IN ({_placeholders(CLOSED_LEAD_STATUSES)}))"
    )
    sql = (
        "SELECT c.campaign_id, "
        f"SUM(CASE WHEN c.status IN ({_placeholders(IN_PROGRESS_STATUSES)}) THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN c.status = %s AND c.campaign_id IN {running} THEN 1 ELSE 0 END) "
        f"FROM {calls} c WHERE c.status IN ({_placeholders(LIVE_CALL_STATUSES)}) "
        f"AND {calls_scope} GROUP BY c.campaign_id "
        "UNION ALL "
        f"SELECT s.campaign_id, 0, COUNT(*) FROM {scheduled} s "
        f"WHERE s.status = %s AND s.scheduled_for <= %s AND s.campaign_id IN {running} "
        f"AND s.lead_id IN {open_leads} AND {due_scope} GROUP BY s.campaign_id"
    )
    params = [
        *IN_PROGRESS_STATUSES, CallStatus.QUEUED, CampaignStatus.RUNNING, *LIVE_CALL_STATUSES,
        *calls_params, ScheduledCallStatus.PENDING, adapt_datetime(now), CampaignStatus.RUNNING,
        *CLOSED_LEAD_STATUSES, *due_params,
    ]  # fmt: skip
    with connections[database].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    counts = {}
    for campaign_id, in_progress, queued in rows:
        entry = counts.setdefault(campaign_id, {"calls_in_progress": 0, "calls_queued": 0})
        entry["calls_in_progress"] += in_progress
        entry["calls_queued"] += queued
    return {
        campaign_id: entry
        for campaign_id, entry in counts.items()
        if entry["calls_in_progress"] or entry["calls_queued"]
    }


# Calls in the live counts: in progress, or queued.
LIVE_CALL_STATUSES = (CallStatus.QUEUED, *IN_PROGRESS_STATUSES)


def _placeholders(values):
    return ", ".join(["%s"] * len(values))


def _campaign_condition(campaigns, column):
    """(sql, params) of "`column` is one of `campaigns`" (a Campaign or a queryset of them);
    always true for an unfiltered queryset (staff: every campaign)."""
    if isinstance(campaigns, Campaign):
        return f"{column} = %s", [campaigns.pk]
    return _campaigns_subquery(campaigns, column) or ("1 = 1", [])


def campaigns_with_follow_ups_fallen_due(*, since, now):
    """Ids of the campaigns with a follow-up that fell due in (since, now] and is in the queue
    now: their calls_queued grew with nothing written (the scheduled_due_idx index finds them)."""
    return set(
        ScheduledCall.objects.queued(now)
        .filter(scheduled_for__gt=since)
        .order_by()
        .values_list("campaign_id", flat=True)
        .distinct()
    )


# --- campaign metrics and daily series -----------------------------------------------------------


def campaign_metrics(*, campaign, period=None, now=None):
    """The campaign's glossary fields and AI latency. Call counts and latency cover `period`;
    leads and live counts are now."""
    calls = _with_average_duration(
        _rollups(CallDayRollup, campaign, period).aggregate(**_sums(*ROLLUP_SUMS, *LATENCY_SUMS))
    )
    latency = rollup_latency(
        sums={field: calls.pop(field) for field in LATENCY_SUMS},
        histograms=latency_histograms(campaigns=campaign, period=period),
    )
    qualified_leads = leads_qualified(campaigns=campaign, period=period)
    spent = costs.cost_metrics(
        usage={field: calls.pop(field) for field in costs.USAGE_FIELDS},
        billed_minutes=calls.pop("billed_minutes"),
        total_call_time=calls["total_call_time"],
        calls_answered=calls["calls_answered"],
        leads_qualified=qualified_leads,
    )
    leads = lead_counts(campaigns=campaign)
    conversion_rate = rate(qualified_leads, leads["valid_leads"])
    return {
        **spent,
        "campaign_id": campaign.pk,
        "campaign_name": campaign.name,
        "campaign_status": campaign.status,
        **leads,
        **_with_rates(calls),
        **live_counts(campaigns=campaign, now=now),
        "conversion_rate": conversion_rate,
        "latency": latency,
        **_period_fields(period, now),
    }


def latency_histograms(*, campaigns, period=None):
    """{latency field: {bin: turns}} of the finished calls' turns in `period`, merged from the
    LatencyRollup rows of its local days (one query over about a hundred bins per field and
    day, whatever the number of turns)."""
    merged = {field: {} for field in LATENCY_FIELDS}
    if period is None:  # all time: the campaigns' histograms summed over every day already
        stored = _of_campaigns(AllTimeLatencyRollup.objects.all(), campaigns)
    else:
        stored = _rollups(LatencyRollup, campaigns, period)
    rows = _grouped_sums(
        stored.filter(component__in=LATENCY_FIELDS), ["component", "bin"], ["turns"]
    )
    for row in rows:
        if row["turns"]:
            merged[row["component"]][row["bin"]] = row["turns"]
    return merged


def total_latency_counts(*, campaigns, period=None):
    """{index in LATENCY_BUCKETS: turns} of the finished calls' turns in `period` by their total
    AI latency (stt + llm + tts), read from LatencyRollup's TOTAL_LATENCY rows of its local
    days; turns without any latency are in none. One query, whatever the number of turns."""
    rows = _grouped_sums(
        _rollups(LatencyRollup, campaigns, period).filter(component=TOTAL_LATENCY),
        ["bin"],
        ["turns"],
    )
    return {row["bin"]: row["turns"] for row in rows if row["turns"]}


def rollup_latency(*, sums, histograms):
    """The `latency` document of rolled-up turns, shaped like a conversation's: per field the
    exact average (sum / turns), the 95th percentile read from the histogram (within
    histogram.RELATIVE_ERROR of percentile_cont over the turns themselves) and the number of
    turns that reported it; avg and p95 are None without any."""
    summary = {}
    for field in LATENCY_FIELDS:
        samples = sums[f"{field}_turns"]
        average = Decimal(sums[f"{field}_total"]) / samples if samples else None
        p95 = histogram.percentile(histograms[field], LATENCY_PERCENTILE)
        summary[field] = latency_figure(average=average, p95=p95, samples=samples)
    return summary


def latency_figure(*, average, p95, samples):
    """One step's {avg, p95, samples}, rounded half up; avg and p95 are None without samples
    (a step no turn reported has no latency, not a latency of 0 ms), for a conversation and a
    campaign alike."""
    if not samples:
        return {"avg": None, "p95": None, "samples": 0}
    return {"avg": rounded(average), "p95": rounded(p95), "samples": samples}


DAILY_SUMS = ("calls_made", "calls_answered", "calls_qualified", "total_call_time")


def _sums_by_day(campaigns, period, names, campaign_id=None):
    """Sums of CallDayRollup's counters `names` per local day of `period` (dicts with `day`),
    as `_grouped_sums` gives them, in one fixed statement: building the ORM's GROUP BY query
    costs more than running it, and the daily series is on every dashboard refresh. Only a
    member's visible campaigns are a subquery the ORM compiles.

    With `campaign_id`, only that one of the `campaigns` queryset counts, and the same
    statement checks it is among them (an outer join from the campaign): Http404 unless it is.
    """
    database = router.db_for_read(CallDayRollup)
    quote = connections[database].ops.quote_name
    rollup, campaign = quote(CallDayRollup._meta.db_table), quote(Campaign._meta.db_table)
    days, params = "r.day BETWEEN %s AND %s", [period.first, period.last]
    checked = campaign_id is not None and not isinstance(campaigns, Campaign)
    if isinstance(campaigns, Campaign):
        campaign_id = campaigns.pk
    if campaign_id is not None:
        source = f"{campaign} c LEFT JOIN {rollup} r ON r.campaign_id = c.id AND {days}"
        where, column = "c.id = %s", "c.id"
        params.append(campaign_id)
    else:
        source, where, column = f"{rollup} r", days, "r.campaign_id"
    visible = None if isinstance(campaigns, Campaign) else _campaigns_subquery(campaigns, column)
    if visible is not None:
        where, params = f"{where} AND {visible[0]}", [*params, *visible[1]]
    # As bigint: a sum of bigints is numeric, which the driver would parse into Decimals.
    sums = ", ".join(f"CAST(COALESCE(SUM(r.{quote(name)}), 0) AS BIGINT)" for name in names)
    with prepared_cursor(database) as cursor:
        cursor.execute(f"SELECT r.day, {sums} FROM {source} WHERE {where} GROUP BY r.day", params)
        rows = cursor.fetchall()
    if checked and not rows:
        raise campaign_not_found()
    return [
        {"day": _day(day), **dict(zip(names, values, strict=True))}
        for day, *values in rows
        if day is not None  # the campaign's row of the outer join when it has no days
    ]


_day = DateField().to_python  # SQLite answers days as text


def _campaigns_subquery(campaigns, column):
    """(sql, params) of "`column` is one of these campaigns" for a filtered queryset of
    campaigns, or None for an unfiltered one (staff: every campaign, no condition needed)."""
    if not (campaigns.query.where or campaigns.query.is_sliced):
        return None
    try:
        # Unordered: an ORDER BY (Campaign's default) keeps the planner from flattening it.
        subquery, params = campaigns.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # none() (an inactive user's): no campaign, as `campaign__in` reads it
        return "1 = 0", []
    return f"{column} IN ({subquery})", params


def daily_stats(*, campaigns, period, campaign_id=None):
    """One row per calendar day of `period`, oldest first, days without calls as zeros. With
    `campaign_id`, of that one of the `campaigns` queryset only (Http404 unless among them)."""
    rows = _sums_by_day(
        campaigns,
        period,
        [*DAILY_SUMS, "answered_duration", "answered_durations"],
        campaign_id=campaign_id,
    )
    by_date = {row.pop("day"): _with_average_duration(row) for row in rows}
    empty = {
        "calls_made": 0,
        "calls_answered": 0,
        "calls_qualified": 0,
        "avg_call_duration": None,
        "total_call_time": 0,
    }
    return [_with_rates({"date": day, **by_date.get(day, empty)}) for day in period.dates()]


def daily_report(*, campaigns, period, campaign_id=None, now=None):
    """The /analytics/daily-stats document: the series with what it covers; with `campaign_id`,
    of that one of the `campaigns` queryset (Http404 unless among them)."""
    return {
        "campaign_id": campaign_id,
        "days": period.days,
        "timezone": str(local_zone()),
        **_period_fields(period, now),
        "stats": daily_stats(campaigns=campaigns, period=period, campaign_id=campaign_id),
    }


# --- system-wide ---------------------------------------------------------------------------------


def system_metrics(*, campaigns, now=None, period=None):
    """Totals over the visible campaigns; calls made and rates over `period` (default: the last
    30 days, today included); calls_today = calls made today; components from the cached checks
    (never a network call)."""
    now = now or timezone.now()
    period = period or Period.last_days(SYSTEM_RATE_DAYS, now=now)
    campaign_totals = campaigns.aggregate(
        total_campaigns=Count("pk"),
        active_campaigns=Count("pk", filter=condition(Campaign.objects.active())),
    )
    total_leads = lead_counts(campaigns=campaigns)["total_leads"]
    # calls_today first: a later Sum("calls_made") would read the aggregate of that name.
    calls = _rollups(CallDayRollup, campaigns, period).aggregate(
        calls_today=Sum("calls_made", filter=Q(day=local_today(now)), default=0),
        **_sums("calls_made", "calls_answered", "calls_qualified"),
    )
    return {
        **campaign_totals,
        "total_leads": total_leads,
        "calls_today": calls["calls_today"],
        **live_counts(campaigns=campaigns, now=now),
        "calls_made": calls["calls_made"],
        "calls_answered": calls["calls_answered"],
        "answer_rate": rate(calls["calls_answered"], calls["calls_made"]),
        "qualification_rate": rate(calls["calls_qualified"], calls["calls_answered"]),
        "rates_days": period.days,
        "period": describe_period(period, now=now),
        "components": component_statuses(),
    }


def recent_campaigns(*, campaigns, period=None, limit=10, now=None):
    """The newest campaigns with their call counts and rates over `period` (default: the default
    period, as on the campaign page and in the admin), each row saying so (two queries)."""
    period = period or default_period(now)
    described = describe_period(period, now=now)
    recent = list(campaigns.order_by("-created_at", "-id").values("id", "name", "status")[:limit])
    totals = {
        row.pop("campaign_id"): row
        for row in _grouped_sums(
            CallDayRollup.objects.filter(
                campaign_id__in=[campaign["id"] for campaign in recent],
                **period.day_filter_kwargs(),
            ),
            ["campaign_id"],
            ["calls_made", "calls_answered", "calls_qualified"],
        )
    }
    zeros = {"calls_made": 0, "calls_answered": 0, "calls_qualified": 0}
    return [
        _with_rates({**campaign, **totals.get(campaign["id"], zeros), "period": described})
        for campaign in recent
    ]


# --- leads ---------------------------------------------------------------------------------------


def _follow_up_columns(quote, lead_id):
    """[(name, SQL, params, model field)] of the columns a lead's row carries beside it, for the
    lead whose id is the SQL `lead_id`: next_reason and next_scheduled_for (its earliest pending
    ScheduledCall), in_progress_call_sid and in_progress_since (its latest call in progress,
    shown beside "Last call", which is the last finished call). The one definition of both, for
    the pages' ORM queries and the API's fixed statement alike."""
    next_call = (
        f"FROM {quote(ScheduledCall._meta.db_table)} s WHERE s.lead_id = {lead_id} "
        "AND s.status = %s ORDER BY s.scheduled_for, s.id LIMIT 1"
    )
    live_call = (
        f"FROM {quote(CallSession._meta.db_table)} c WHERE c.lead_id = {lead_id} "
        f"AND c.status IN ({_placeholders(IN_PROGRESS_STATUSES)}) "
        "ORDER BY c.initiated_at DESC NULLS LAST, c.id DESC LIMIT 1"
    )
    pending, live = [ScheduledCallStatus.PENDING], list(IN_PROGRESS_STATUSES)
    columns = []
    for name, alias, model, field_name, source, params in (
        ("next_reason", "s", ScheduledCall, "reason", next_call, pending),
        ("next_scheduled_for", "s", ScheduledCall, "scheduled_for", next_call, pending),
        ("in_progress_call_sid", "c", CallSession, "call_sid", live_call, live),
        ("in_progress_since", "c", CallSession, "initiated_at", live_call, live),
    ):
        field = model._meta.get_field(field_name)
        columns.append((name, f"(SELECT {alias}.{quote(field.column)} {source})", params, field))
    return columns


def recent_leads_with_next_action(leads):
    """`leads` (a Lead queryset) most recently called first (never-called last), annotated in
    the same query with the columns of `_follow_up_columns`."""
    quote = connections[leads.db].ops.quote_name
    lead_id = f"{quote(Lead._meta.db_table)}.{quote(Lead._meta.pk.column)}"
    return leads.annotate(
        **{
            name: RawSQL(sql, params, output_field=type(field)())
            for name, sql, params, field in _follow_up_columns(quote, lead_id)
        }
    ).order_by(F("last_call_at").desc(nulls_last=True), "-id")


LEAD_ACTIVITY_FIELDS = (
    "id", "name", "phone", "city", "campaign_id", "status", "is_dnc", "call_attempts",
    "last_call_at", "last_outcome", "score", "score_reasons",
)  # fmt: skip
# As recent_leads_with_next_action orders them (the lead_campaign_recent_idx index's order).
RECENT_FIRST = "l.last_call_at DESC NULLS LAST, l.id DESC"


def lead_activity(*, campaigns, status=None, limit=50, campaign_id=None):
    """Leads most recently called first (never-called last), with their next action (the
    earliest pending ScheduledCall, reason and time, or None) and their call in progress (or
    None), of one campaign (`campaigns` a Campaign, or `campaign_id` among the `campaigns`
    queryset: Http404 unless it is) or of every campaign of the queryset.

    One fixed statement: building it with the ORM cost twice what running it does. For one
    campaign it reads the campaign's row joined to its page of leads, so that the same statement
    says whether the campaign is among `campaigns` (no row: Http404) and names it.
    """
    database = router.db_for_read(Lead)
    quote = connections[database].ops.quote_name
    columns = [("l", Lead._meta.get_field(name)) for name in LEAD_ACTIVITY_FIELDS]
    follow_ups = _follow_up_columns(quote, "l.id")
    select = ", ".join(
        [
            fixed_statements.column_list(quote, columns),
            *(f"{sql} AS {name}" for name, sql, _, _ in follow_ups),
        ]
    )
    params = [value for _, _, values, _ in follow_ups for value in values]
    filters, filter_params = (["l.status = %s"], [status]) if status else ([], [])
    leads, campaign = quote(Lead._meta.db_table), quote(Campaign._meta.db_table)
    if isinstance(campaigns, Campaign):
        campaign_id, visible = campaigns.pk, None
    else:
        visible = _campaigns_subquery(campaigns, "l.campaign_id" if campaign_id is None else "k.id")
    if campaign_id is None:
        if visible is not None:
            filters, filter_params = [*filters, visible[0]], [*filter_params, *visible[1]]
        sql = (
            f"SELECT {select}, k.{quote('name')} FROM {leads} l "
            f"INNER JOIN {campaign} k ON k.id = l.campaign_id "
            f"WHERE {' AND '.join(filters) or '1 = 1'} ORDER BY {RECENT_FIRST} LIMIT %s"
        )
        params += [*filter_params, limit]
    else:
        # The page of leads by the (campaign, recent) index, then its one campaign row.
        page = (
            f"SELECT {select} FROM {leads} l "
            f"WHERE {' AND '.join(['l.campaign_id = %s', *filters])} "
            f"ORDER BY {RECENT_FIRST} LIMIT %s"
        )
        sql = (
            f"SELECT l.*, k.{quote('name')} FROM {campaign} k "
            f"LEFT JOIN ({page}) l ON l.campaign_id = k.id WHERE k.id = %s"
        )
        params += [campaign_id, *filter_params, limit, campaign_id]
        if visible is not None:
            sql, params = f"{sql} AND {visible[0]}", [*params, *visible[1]]
        sql = f"{sql} ORDER BY {RECENT_FIRST}"
    fields = [
        *(field for _, field in columns),
        *(field for _, _, _, field in follow_ups),
        Campaign._meta.get_field("name"),
    ]
    rows = fixed_statements.fetch(database, sql, params, fields)
    if campaign_id is not None and not rows:
        raise campaign_not_found()
    # A campaign without (matching) leads is its row alone, the leads' columns null.
    return [_lead_activity_row(row) for row in rows if row[0] is not None]


def _lead_activity_row(row):
    *fields, reason, scheduled_for, live_sid, live_since, campaign_name = row
    lead = dict(zip(LEAD_ACTIVITY_FIELDS, fields, strict=True))
    lead["lead_id"] = lead.pop("id")
    lead["campaign_name"] = campaign_name
    lead["next_action"] = (
        {"reason": reason, "scheduled_for": scheduled_for} if reason is not None else None
    )
    lead["call_in_progress"] = (
        {"call_sid": live_sid, "started_at": live_since} if live_sid is not None else None
    )
    return lead


# --- one conversation ----------------------------------------------------------------------------


# The call's own fields in the document, as CallSession names them.
CALL_FIELDS = (
    "call_sid", "campaign_id", "attempt_number", "status", "outcome", "ended_by", "initiated_at",
    "answered_at", "ended_at", "duration_seconds", "current_stage", "recording_url", "error",
)  # fmt: skip
TURN_FIELDS = (
    "sequence",
    "speaker",
    "text",
    "stage",
    "started_at",
    *LATENCY_FIELDS,
    *costs.USAGE_FIELDS,
)


def conversation(*, campaigns, call_sid):
    """Everything about the call `call_sid` of `campaigns` (a queryset: visible_campaigns(user)):
    fields, its lead, exchanges, stages reached in order of first reach, objections,
    qualification data, AI latency and the transcript; Http404 (call_not_found) unless it is one
    of theirs.

    Four fixed statements whatever its length (the call with its campaign's name and its lead
    and the visibility check; its turns; objections; errors): building them with the ORM cost
    more than running them, and the latency is worked out from the turns the transcript reads.
    """
    call = _visible_call(campaigns, call_sid)
    turns = [
        dict(zip(("id", *TURN_FIELDS), row, strict=True))
        for row in _rows_of_call(ConversationTurn, ("id", *TURN_FIELDS), ("sequence",), call["id"])
    ]
    sequence_of_turn = {turn.pop("id"): turn["sequence"] for turn in turns}
    objections = [
        {
            "category": category,
            "text": text,
            "occurred_at": occurred_at,
            "turn_sequence": sequence_of_turn.get(turn_id),
        }
        for category, text, occurred_at, turn_id in _rows_of_call(
            Objection,
            ("category", "text", "occurred_at", "turn_id"),
            ("occurred_at", "id"),
            call["id"],
        )
    ]
    error_fields = ("component", "message", "code", "occurred_at")
    errors = _rows_of_call(CallError, error_fields, ("occurred_at", "id"), call["id"])
    return {
        **{name: call[name] for name in CALL_FIELDS},
        "campaign_name": call["campaign_name"],
        "lead": call["lead"],
        "errors": [dict(zip(error_fields, row, strict=True)) for row in errors],
        "cost_inr": costs.call_cost_inr(duration_seconds=call["duration_seconds"], turns=turns),
        "exchanges": len(turns),
        "stages_reached": stages_reached(
            stage_first_reached=call["stage_first_reached"], turns=turns
        ),
        "objections": objections,
        "qualification": call["qualification"] or {},
        "latency": latency_summary(turns=turns),
        "transcript": turns,
    }


def _visible_call(campaigns, call_sid):
    """The call's CALL_FIELDS, id, stage_first_reached, qualification, campaign_name and lead
    ({id, name, phone, city}), if it is one of `campaigns`; else Http404."""
    # PostgreSQL refuses NUL in text (a DataError, a 500): no stored sid holds one.
    if "\x00" in call_sid:
        raise call_not_found()
    database = router.db_for_read(CallSession)
    sql, fields = _call_statement(database)
    params = [call_sid]
    visible = _campaigns_subquery(campaigns, "c.campaign_id")
    if visible is not None:
        sql, params = f"{sql} AND {visible[0]}", [*params, *visible[1]]
    rows = fixed_statements.fetch(database, sql, params, fields)
    if not rows:
        raise call_not_found()
    *values, lead_id, name, phone, city = rows[0]
    names = ("id", *CALL_FIELDS, "stage_first_reached", "qualification", "campaign_name")
    call = dict(zip(names, values, strict=True))
    call["lead"] = {"id": lead_id, "name": name, "phone": phone, "city": city}
    return call


@cache
def _call_statement(database):
    """(sql, fields) of the call by its sid, with its campaign's name and its lead."""
    quote = connections[database].ops.quote_name
    call_fields = [
        CallSession._meta.get_field(name)
        for name in ("id", *CALL_FIELDS, "stage_first_reached", "qualification")
    ]
    columns = [
        *(("c", field) for field in call_fields),
        ("k", Campaign._meta.get_field("name")),
        *(("l", Lead._meta.get_field(name)) for name in ("id", "name", "phone", "city")),
    ]
    sql = (
        f"SELECT {fixed_statements.column_list(quote, columns)} "
        f"FROM {quote(CallSession._meta.db_table)} c "
        f"INNER JOIN {quote(Campaign._meta.db_table)} k ON k.id = c.campaign_id "
        f"INNER JOIN {quote(Lead._meta.db_table)} l ON l.id = c.lead_id "
        "WHERE c.call_sid = %s"
    )
    return sql, [field for _, field in columns]


def _rows_of_call(model, names, order, call_id):
    """`names` of the `model` rows of one call, in `order`, by one fixed statement."""
    database = router.db_for_read(model)
    sql, fields = _call_rows_statement(database, model, names, order)
    return fixed_statements.fetch(database, sql, [call_id], fields)


@cache
def _call_rows_statement(database, model, names, order):
    quote = connections[database].ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    ordering = ", ".join(quote(model._meta.get_field(name).column) for name in order)
    sql = (
        f"SELECT {fixed_statements.column_list(quote, [('t', field) for field in fields])} "
        f"FROM {quote(model._meta.db_table)} t WHERE t.call_id = %s ORDER BY {ordering}"
    )
    return sql, fields


def stages_reached(*, stage_first_reached, turns):
    """Distinct stages in order of first reach, from the call's stage changes
    (stage_first_reached) and from its turns' stages, whichever came first."""
    first_reached = {}
    for stage, at in (stage_first_reached or {}).items():
        first_reached[stage] = _as_datetime(at)
    for turn in turns:
        stage, at = turn["stage"], turn["started_at"]
        if stage and (stage not in first_reached or at < first_reached[stage]):
            first_reached[stage] = at
    return sorted(first_reached, key=lambda stage: (first_reached[stage], stage))


def _as_datetime(value):
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, local_zone())


def latency_summary(*, turns):
    """Average and 95th percentile of each AI latency over `turns` (dicts), with the number of
    turns that reported it; avg and p95 None without any. The average is exact and the
    percentile interpolated between ranks as PostgreSQL's percentile_cont does, so the figures
    are those an aggregate over the same turns gives."""
    summary = {}
    for field in LATENCY_FIELDS:
        values = [turn[field] for turn in turns if turn[field] is not None]
        summary[field] = latency_figure(
            average=Decimal(sum(values)) / len(values) if values else None,
            p95=percentile_cont(values, LATENCY_PERCENTILE),
            samples=len(values),
        )
    return summary


# --- beyond the spec: funnel, best hours, objections ---------------------------------------------


def campaign_funnel(*, campaign, period=None, valid_leads=None):
    """Leads → dialed → answered → each stage → qualified, counted in distinct leads.

    leads: valid leads; dialed: with a finished call; answered: with an answered call; a stage:
    with an answered call that reached it or a later stage (stages run greeting → closing, and
    objection handling may be skipped, so a funnel step never counts fewer leads than the next
    stage); qualified: with a qualified call. step_rate is the share of the previous step,
    overall_rate the share of the first. `valid_leads`, when the caller has counted them
    already (campaign_metrics), saves a pass over the leads.
    """
    if period is None:
        reached, counted_valid_leads = _funnel_from_rollups(campaign)
        valid_leads = counted_valid_leads if valid_leads is None else valid_leads
    else:
        reached = _funnel_from_calls(campaign, period)
    if valid_leads is None:
        valid_leads = lead_counts(campaigns=campaign)["valid_leads"]
    labels = {"leads": "Valid leads", "dialed": "Dialed", "answered": "Answered"}
    labels.update({stage: f"Reached {label.lower()}" for stage, label in Stage.choices})
    labels["qualified"] = "Qualified"
    steps, previous = [], valid_leads
    for name, count in [("leads", valid_leads), *reached.items()]:
        steps.append(
            {
                "step": name,
                "label": labels[name],
                "count": count,
                "step_rate": rate(count, previous),
                "overall_rate": rate(count, valid_leads),
            }
        )
        previous = count
    return {"campaign_id": campaign.pk, **_period_fields(period), "steps": steps}


def _funnel_from_rollups(campaign):
    """All time: the campaign's FunnelTotals, its per-lead funnel rows with each step above
    zero (a lead counted in each step it ever reached), and its valid leads (LeadTotals, as
    lead_counts reads them), in one fixed statement; a missing totals row counts zeros."""
    steps = ["dialed", "answered", *(f"reached_{stage}" for stage in Stage.values), "qualified"]
    database = router.db_for_read(FunnelTotals)
    quote = connections[database].ops.quote_name
    counts = ", ".join(f"COALESCE(f.{quote(step)}, 0)" for step in steps)
    with connections[database].cursor() as cursor:
        cursor.execute(
            f"SELECT {counts}, COALESCE(l.{quote('valid_leads')}, 0) "
            f"FROM {quote(Campaign._meta.db_table)} c "
            f"LEFT JOIN {quote(FunnelTotals._meta.db_table)} f ON f.campaign_id = c.id "
            f"LEFT JOIN {quote(LeadTotals._meta.db_table)} l ON l.campaign_id = c.id "
            "WHERE c.id = %s",
            [campaign.pk],
        )
        *counted, valid_leads = cursor.fetchone() or [0] * (len(steps) + 1)
    reached = {step.removeprefix("reached_"): n for step, n in zip(steps, counted, strict=True)}
    return reached, valid_leads


def _funnel_from_calls(campaign, period):
    """A period: distinct leads counted from the period's calls."""
    stages = list(Stage.values)
    answered = condition(CallSession.objects.answered())
    counts = {
        "dialed": Count("lead", distinct=True),
        "answered": Count("lead", distinct=True, filter=answered),
    }
    for index, stage in enumerate(stages):
        counts[stage] = Count(
            "lead",
            distinct=True,
            filter=condition(
                CallSession.objects.answered().filter(
                    stage_first_reached__has_any_keys=stages[index:]
                )
            ),
        )
    counts["qualified"] = Count("lead", distinct=True, filter=Q(outcome=CallOutcome.QUALIFIED))
    return _finished_calls(campaign, period).aggregate(**counts)


def best_hours(*, campaign, period=None, min_calls=5, top=3):
    """Answer and qualification rate for each weekday × hour (settings.TIME_ZONE), all 168
    slots, Monday 00h first; `best` = the `top` slots with at least `min_calls` calls made, by
    answer rate, then qualification rate, then calls made."""
    zone = local_zone()
    slot, sums = ["weekday", "hour"], ["calls_made", "calls_answered", "calls_qualified"]
    if period is None:  # all time: at most 168 rows
        rows = _all_time_sums(WeekHourRollup, campaign, slot, sums)
    else:
        slotted = _rollups(CallRollup, campaign, period).annotate(
            weekday=ExtractIsoWeekDay("bucket", tzinfo=zone),
            hour=ExtractHour("bucket", tzinfo=zone),
        )
        rows = _grouped_sums(slotted, slot, sums)
    by_slot = {(row.pop("weekday"), row.pop("hour")): row for row in rows}
    zeros = {"calls_made": 0, "calls_answered": 0, "calls_qualified": 0}
    slots = [
        _with_rates(
            {
                "weekday": weekday,
                "weekday_name": WEEKDAY_NAMES[weekday - 1],
                "hour": hour,
                **by_slot.get((weekday, hour), zeros),
            }
        )
        for weekday in range(1, 8)
        for hour in range(24)
    ]
    candidates = [slot for slot in slots if slot["calls_made"] >= min_calls]
    candidates.sort(
        key=lambda slot: (-slot["answer_rate"], -slot["qualification_rate"], -slot["calls_made"])
    )
    return {
        "campaign_id": campaign.pk,
        "timezone": str(zone),
        **_period_fields(period),
        "min_calls": min_calls,
        "best": candidates[:top],
        "slots": slots,
    }


OBJECTION_SUMS = ("objections", "calls", "calls_qualified")


def objection_breakdown(*, campaign, period=None):
    """Objections of the campaign's finished calls by category (every category, zeros
    included), with how many calls raised each and the share of those calls that still
    qualified. One pass over the calls joined to their objections."""
    by_category = {
        row.pop("category"): row
        for row in (
            _all_time_sums(AllTimeObjectionRollup, campaign, ["category"], OBJECTION_SUMS)
            if period is None
            else _grouped_sums(
                _rollups(ObjectionRollup, campaign, period), ["category"], OBJECTION_SUMS
            )
        )
    }
    zeros = {"objections": 0, "calls": 0, "calls_qualified": 0}
    every = by_category.get(ANY_CATEGORY, zeros)
    counted = {"calls": every["calls"], "calls_qualified": every["calls_qualified"]}
    for category in ObjectionCategory.values:
        for name, value in by_category.get(category, zeros).items():
            counted[f"{category}:{name}"] = value
    categories = []
    for category, label in ObjectionCategory.choices:
        calls, calls_qualified = (
            counted[f"{category}:calls"],
            counted[f"{category}:calls_qualified"],
        )
        categories.append(
            {
                "category": category,
                "label": label,
                "objections": counted[f"{category}:objections"],
                "calls": calls,
                "calls_qualified": calls_qualified,
                "qualified_share": rate(calls_qualified, calls),
                "share_of_calls": rate(calls, counted["calls"]),
            }
        )
    return {
        "campaign_id": campaign.pk,
        **_period_fields(period),
        "total_objections": sum(row["objections"] for row in categories),
        "calls_with_objections": counted["calls"],
        "calls_with_objections_qualified": counted["calls_qualified"],
        "qualified_share": rate(counted["calls_qualified"], counted["calls"]),
        "categories": categories,
    }


# --- script variants and lead scores ------------------------------------------------------------


def variant_totals(*, campaign, period=None):
    """calls_made, calls_answered and calls_qualified of each script variant of the campaign's
    finished calls in `period` (one query), variants without finished calls left out."""
    rows = (
        _finished_calls(campaign, period)
        .values("script_variant")
        .order_by()
        .annotate(**_call_totals("calls_made", "calls_answered", "calls_qualified"))
    )
    return [{"variant": row.pop("script_variant"), **row} for row in rows]


SCORE_DECILES = 10


def score_calibration(*, campaign):
    """Per score decile (0–9, 10–19, … 90–100) of the campaign's leads: leads, those with a
    qualified call, those with a site visit booked (a call's qualification `site_visit_booked`
    true; None when no call of the campaign reports it) and the qualified share. One query."""
    calls = CallSession.objects.finished().filter(lead=OuterRef("pk"))
    qualified = Exists(calls.filter(outcome=CallOutcome.QUALIFIED))
    visit = Exists(calls.filter(qualification__site_visit_booked=True))
    reported = Exists(calls.filter(qualification__has_key="site_visit_booked"))
    decile = Case(
        When(score__gte=100, then=Value(SCORE_DECILES - 1)),
        default=F("score") / 10,
        output_field=IntegerField(),
    )
    rows = {
        row.pop("decile"): row
        for row in Lead.objects.filter(campaign=campaign)
        .annotate(decile=decile, is_qualified=qualified, has_visit=visit, reports_visit=reported)
        .values("decile")
        .order_by()
        .annotate(
            leads=Count("pk"),
            qualified=Count("pk", filter=Q(is_qualified=True)),
            site_visits_booked=Count("pk", filter=Q(has_visit=True)),
            reporting=Count("pk", filter=Q(reports_visit=True)),
        )
    }
    known = any(row["reporting"] for row in rows.values())
    deciles = []
    for index in range(SCORE_DECILES):
        row = rows.get(index, {"leads": 0, "qualified": 0, "site_visits_booked": 0})
        deciles.append(
            {
                "decile": index + 1,
                "score_from": index * 10,
                "score_to": 100 if index == SCORE_DECILES - 1 else index * 10 + 9,
                "leads": row["leads"],
                "qualified": row["qualified"],
                "site_visits_booked": row["site_visits_booked"] if known else None,
                "qualified_rate": rate(row["qualified"], row["leads"]),
            }
        )
    return {"campaign_id": campaign.pk, "deciles": deciles}


def hot_leads(*, campaign, limit=10):
    """The campaign's best-scored leads still worth a call (not closed as not interested,
    unreachable or DNC, not erased), highest score first, then most recently called."""
    return list(
        Lead.objects.filter(campaign=campaign, score__gt=0, erased_at__isnull=True)
        .exclude(status__in=(LeadStatus.NOT_INTERESTED, LeadStatus.UNREACHABLE, LeadStatus.DNC))
        .exclude(is_dnc=True)
        .order_by("-score", F("last_call_at").desc(nulls_last=True), "-id")
        .values("id", "name", "phone", "status", "score", "score_reasons", "last_call_at")[:limit]
    )


# --- live ----------------------------------------------------------------------------------------


def active_calls(*, campaigns, now=None, limit=500):
    """Calls in progress, oldest first, shaped like the live updates' call objects
    (analytics.live.call_payload): started_at is when the call started (initiated, else queued,
    else answered), and duration_seconds counts from it to now, so the clock a manager watches
    does not restart when the lead picks up. One fixed statement (see live_counts_by_campaign)."""
    now = now or timezone.now()
    database = router.db_for_read(CallSession)
    quote = connections[database].ops.quote_name
    scope, scope_params = _campaign_condition(campaigns, "c.campaign_id")
    call = CallSession._meta.get_field
    columns = [("c", call(name)) for name in ACTIVE_CALL_FIELDS]
    started = ", ".join(f"c.{quote(call(name).column)}" for name in ACTIVE_CALL_START)
    sql = (
        f"SELECT {fixed_statements.column_list(quote, columns)}, COALESCE({started}), "
        f"c.{quote(call('current_stage').column)}, k.{quote('name')}, l.{quote('name')} "
        f"FROM {quote(CallSession._meta.db_table)} c "
        f"INNER JOIN {quote(Campaign._meta.db_table)} k ON k.id = c.campaign_id "
        f"INNER JOIN {quote(Lead._meta.db_table)} l ON l.id = c.lead_id "
        f"WHERE c.status IN ({_placeholders(IN_PROGRESS_STATUSES)}) AND {scope} "
        "ORDER BY c.initiated_at, c.id LIMIT %s"
    )
    fields = [
        *(field for _, field in columns),
        call("initiated_at"),
        call("current_stage"),
        Campaign._meta.get_field("name"),
        Lead._meta.get_field("name"),
    ]
    params = [*IN_PROGRESS_STATUSES, *scope_params, limit]
    names = (*ACTIVE_CALL_FIELDS, "started_at", "stage", "campaign_name", "lead_name")
    calls = []
    for row in fixed_statements.fetch(database, sql, params, fields):
        active = dict(zip(names, row, strict=True))
        active["stage"] = active["stage"] or None
        active["outcome"] = active["outcome"] or None
        active["duration_seconds"] = _seconds_since(active["started_at"], now)
        calls.append(active)
    return calls


ACTIVE_CALL_FIELDS = ("call_sid", "campaign_id", "lead_id", "status", "outcome")
# When a call started: initiated, else queued, else answered.
ACTIVE_CALL_START = ("initiated_at", "queued_at", "answered_at")


def _seconds_since(started_at, now):
    if started_at is None:
        return 0
    return max(0, int((now - started_at).total_seconds()))


def realtime(*, campaigns, now=None, limit=500):
    """Live counts (in total and per campaign, so that a page can apply the live pushes'
    per-campaign counters on top) and the active calls; `timestamp` is taken before the reads."""
    now = now or timezone.now()
    by_campaign = live_counts_by_campaign(campaigns=campaigns, now=now)
    return {
        "calls_in_progress": sum(row["calls_in_progress"] for row in by_campaign.values()),
        "calls_queued": sum(row["calls_queued"] for row in by_campaign.values()),
        "campaigns": [
            {"campaign_id": campaign_id, **counts}
            for campaign_id, counts in sorted(by_campaign.items())
        ],
        "active_calls": active_calls(campaigns=campaigns, now=now, limit=limit),
        "timestamp": now,
    }


# --- dashboard documents -------------------------------------------------------------------------


def dashboard_overview(*, campaigns, period, now=None):
    """System totals, the recent campaigns' figures and the daily series, both over `period`."""
    now = now or timezone.now()
    return {
        "period": describe_period(period, now=now),
        "system": system_metrics(campaigns=campaigns, now=now),
        "recent_campaigns": recent_campaigns(campaigns=campaigns, period=period, now=now),
        "daily_stats": daily_stats(campaigns=campaigns, period=period),
        "timezone": str(local_zone()),
        "generated_at": now,
    }


def campaign_summary(*, campaign, period, limit=10, now=None):
    """The campaign's metrics and daily series, both over `period`, and its recent leads."""
    return {
        "period": describe_period(period, now=now),
        "metrics": campaign_metrics(campaign=campaign, period=period, now=now),
        "daily_stats": daily_stats(campaigns=campaign, period=period),
        "recent_activity": lead_activity(campaigns=campaign, limit=limit),
    }
