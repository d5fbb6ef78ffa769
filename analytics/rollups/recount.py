"""One campaign's rollup rows recounted from raw rows in PostgreSQL, set-based.

recounts() gives one SELECT per rollup table whose rows are exactly the sums of contribution()
over the campaign's finished calls: it is built from the SQL twins of contribution()'s rules
(contribution.finished_sql, bucket_sql, day_sql, answered_sql, outcome_sql, reached_sql,
total_latency_sql, latency_bucket_sql, histogram.bin_sql, costs.billed_minutes_sql), so each
rule is written once per language, side by side. rebuild.py inserts these rows (rebuild) or
compares them with the stored ones (verify).
"""

from dataclasses import dataclass

from django.db import connection

from analytics.costs import USAGE_FIELDS, billed_minutes_sql
from analytics.models import (
    AllTimeLatencyRollup,
    AllTimeObjectionRollup,
    CallDayRollup,
    CallRollup,
    LatencyRollup,
    LeadFunnelRollup,
    ObjectionRollup,
    WeekHourRollup,
)
from analytics.periods import start_of_day
from analytics.rollups import histogram
from analytics.rollups.contribution import (
    ANY_CATEGORY,
    LATENCY_FIELDS,
    OUTCOME_COUNTERS,
    STAGES,
    TOTAL_LATENCY,
    answered_sql,
    bucket_sql,
    day_sql,
    finished_sql,
    latency_bucket_sql,
    outcome_sql,
    reached_sql,
    sql_literal,
    total_latency_sql,
    week_hour_sql,
)
from analytics.rollups.writer import counter_fields
from voiceagent.models import CallOutcome, CallSession, ConversationTurn, Objection


@dataclass(frozen=True)
class Recount:
    """SELECT of a rollup table's rows: key columns then counters, in the model's field order."""

    model: type
    sql: str
    params: dict

    @property
    def table(self):
        return quote(self.model._meta.db_table)

    @property
    def key_columns(self):
        return [quote(self.model._meta.get_field(name).column) for name in key_names(self.model)]

    @property
    def counter_columns(self):
        return [quote(field.column) for field in counter_fields(self.model)]


def quote(name):
    return connection.ops.quote_name(name)


def key_names(model):
    return model._meta.pk.field_names


def _calls(since):
    """The campaign's finished calls (initiated from the instant of the parameter named `since`
    on, when given), with their bucket, local day, local weekday and hour and whether they were
    answered."""
    initiated = f"AND c.initiated_at >= %({since})s" if since else ""
    weekday, hour = week_hour_sql("c.initiated_at")
    return f"""calls AS NOT MATERIALIZED (
        SELECT c.id, c.lead_id, c.outcome, c.duration_seconds, c.stage_first_reached,
               {bucket_sql("c.initiated_at")} AS bucket, {day_sql("c.initiated_at")} AS day,
               {weekday} AS weekday, {hour} AS hour,
               {answered_sql("c")} AS answered
        FROM {quote(CallSession._meta.db_table)} c
        WHERE c.campaign_id = %(campaign)s AND {finished_sql("c")} {initiated}
    )"""


def _select(model, keys, counters):
    """The SELECT list of `model`: `keys` and `counters` map field names to SQL expressions."""
    names = [*key_names(model), *(field.name for field in counter_fields(model))]
    missing = set(names) - set(keys) - set(counters)
    if missing:  # a new rollup column needs its SQL here, beside its sibling counters
        raise RuntimeError(f"No SQL recount of {model.__name__}.{sorted(missing)}")
    expressions = {**keys, **{name: f"({sql})::bigint" for name, sql in counters.items()}}
    return ",\n       ".join(
        f"{expressions[name]} AS {quote(model._meta.get_field(name).column)}" for name in names
    )


def _call_rollup(since, model=CallRollup, time_key="bucket"):
    """CallRollup's rows, or CallDayRollup's (model and its time_key: "day")."""
    turns = quote(ConversationTurn._meta.db_table)
    usage = {field: f"coalesce(sum(t.{field}), 0)" for field in USAGE_FIELDS}
    for field in LATENCY_FIELDS:
        usage[f"{field}_total"] = f"coalesce(sum(t.{field}), 0)"
        usage[f"{field}_turns"] = f"count(t.{field})"
    counters = {
        "calls_made": "count(*)",
        "calls_answered": "count(*) FILTER (WHERE calls.answered)",
        **{
            counter: f"count(*) FILTER (WHERE {outcome_sql('calls', outcome)})"
            for outcome, counter in OUTCOME_COUNTERS.items()
        },
        "answered_duration": "coalesce(sum(calls.duration_seconds) FILTER (WHERE calls.answered), 0)",
        "answered_durations": "count(calls.duration_seconds) FILTER (WHERE calls.answered)",
        "total_call_time": "coalesce(sum(calls.duration_seconds), 0)",
        "billed_minutes": f"coalesce(sum({billed_minutes_sql('calls.duration_seconds')}), 0)",
        **{name: f"coalesce(sum(usage.{quote(name)}), 0)" for name in usage},
    }
    keys = {"campaign": "%(campaign)s", time_key: f"calls.{time_key}"}
    return f"""WITH {_calls(since)},
    usage AS (
        SELECT t.call_id, {", ".join(f"{sql} AS {quote(name)}" for name, sql in usage.items())}
        FROM calls JOIN {turns} t ON t.call_id = calls.id
        GROUP BY t.call_id
    )
    SELECT {_select(model, keys, counters)}
    FROM calls LEFT JOIN usage ON usage.call_id = calls.id
    GROUP BY calls.{time_key}"""


def _objection_rollup(since, model=ObjectionRollup):
    """Per category, and across categories (ANY_CATEGORY, each call once) by ROLLUP; per bucket,
    or all time (AllTimeObjectionRollup; HAVING drops the grand total ROLLUP makes of no rows)."""
    objections = quote(Objection._meta.db_table)
    bucketed = model is ObjectionRollup
    keys = {
        "campaign": "%(campaign)s",
        "bucket": "calls.bucket",
        "category": f"coalesce(per_call.category, {sql_literal(ANY_CATEGORY)})",
    }
    if not bucketed:
        del keys["bucket"]
    counters = {
        "objections": "sum(per_call.objections)",
        "calls": "count(DISTINCT per_call.call_id)",
        "calls_qualified": (
            "count(DISTINCT per_call.call_id) "
            f"FILTER (WHERE {outcome_sql('calls', CallOutcome.QUALIFIED)})"
        ),
    }
    return f"""WITH {_calls(since)},
    per_call AS (
        SELECT o.call_id, o.category, count(*) AS objections
        FROM calls JOIN {objections} o ON o.call_id = calls.id
        GROUP BY o.call_id, o.category
    )
    SELECT {_select(model, keys, counters)}
    FROM per_call JOIN calls ON calls.id = per_call.call_id
    GROUP BY {"calls.bucket, " if bucketed else ""}ROLLUP (per_call.category)
    HAVING count(*) > 0"""


def _latency_rollup(since, model=LatencyRollup):
    """Per local day (contribution.day_of), not per bucket, or all time (AllTimeLatencyRollup):
    each step's log-spaced bin, and the turn's total in LATENCY_BUCKETS (TOTAL_LATENCY); a step
    or total the turn lacks has no bin. Turns are first counted per distinct time, so each bin
    is computed once per time, not once per turn."""
    turns = quote(ConversationTurn._meta.db_table)
    components = ", ".join(
        [
            *(f"({sql_literal(field)}, t.{field}::bigint)" for field in LATENCY_FIELDS),
            f"({sql_literal(TOTAL_LATENCY)}, {total_latency_sql('t')})",
        ]
    )
    milliseconds = "per_time.milliseconds"
    keys = {
        "campaign": "%(campaign)s",
        "day": "per_time.day",
        "component": "per_time.component",
        "bin": (
            f"CASE WHEN per_time.component = {sql_literal(TOTAL_LATENCY)}"
            f" THEN {latency_bucket_sql(milliseconds)} ELSE {histogram.bin_sql(milliseconds)} END"
        ),
    }
    if model is not LatencyRollup:
        del keys["day"]
    return f"""WITH {_calls(since)},
    per_time AS (
        SELECT calls.day, latency.component, latency.milliseconds, count(*) AS turns
        FROM calls JOIN {turns} t ON t.call_id = calls.id
        CROSS JOIN LATERAL (VALUES {components}) AS latency (component, milliseconds)
        WHERE latency.milliseconds IS NOT NULL
        GROUP BY 1, 2, 3
    )
    SELECT {_select(model, keys, {"turns": "sum(per_time.turns)"})}
    FROM per_time
    GROUP BY {", ".join(str(n) for n in range(1, len(keys) + 1))}"""


def _week_hour_rollup():
    """All time, per local weekday and hour (contribution.week_hour_of)."""
    counters = {
        "calls_made": "count(*)",
        "calls_answered": "count(*) FILTER (WHERE calls.answered)",
        "calls_qualified": f"count(*) FILTER (WHERE {outcome_sql('calls', CallOutcome.QUALIFIED)})",
    }
    keys = {"campaign": "%(campaign)s", "weekday": "calls.weekday", "hour": "calls.hour"}
    return f"""WITH {_calls(None)}
    SELECT {_select(WeekHourRollup, keys, counters)}
    FROM calls
    GROUP BY calls.weekday, calls.hour"""


def _lead_funnel_rollup():
    """All time: the per-lead funnel has no buckets."""
    counters = {
        "dialed": "count(*)",
        "answered": "count(*) FILTER (WHERE calls.answered)",
        **{
            f"reached_{stage}": (
                "count(*) FILTER (WHERE calls.answered AND "
                f"{reached_sql('calls.stage_first_reached', stage)})"
            )
            for stage in STAGES
        },
        "qualified": f"count(*) FILTER (WHERE {outcome_sql('calls', CallOutcome.QUALIFIED)})",
    }
    keys = {"campaign": "%(campaign)s", "lead": "calls.lead_id"}
    return f"""WITH {_calls(None)}
    SELECT {_select(LeadFunnelRollup, keys, counters)}
    FROM calls
    GROUP BY calls.lead_id"""


# The parameter of recounts() holding the first key rebuilt, per time key of a rollup table.
SINCE_PARAMETERS = {"bucket": "since", "day": "since_day"}


def recounts(campaign_id, since=None, since_day=None):
    """The Recount of each rollup table for the campaign; `since` (the start of a bucket) limits
    the bucketed tables to calls initiated from then on, `since_day` (a local date) the tables
    keyed by day to calls of that day on; the funnel and the other all-time tables are always
    all time."""
    params = {
        "campaign": campaign_id,
        "since": since,
        "since_day": since_day,
        "since_day_starts": start_of_day(since_day) if since_day is not None else None,
    }
    after_bucket = "since" if since is not None else None
    after_day = "since_day_starts" if since_day is not None else None
    return [
        Recount(CallRollup, _call_rollup(after_bucket), params),
        Recount(CallDayRollup, _call_rollup(after_day, CallDayRollup, "day"), params),
        Recount(ObjectionRollup, _objection_rollup(after_bucket), params),
        Recount(LatencyRollup, _latency_rollup(after_day), params),
        # All time whatever `since`:
        Recount(AllTimeLatencyRollup, _latency_rollup(None, AllTimeLatencyRollup), params),
        Recount(AllTimeObjectionRollup, _objection_rollup(None, AllTimeObjectionRollup), params),
        Recount(WeekHourRollup, _week_hour_rollup(), params),
        Recount(LeadFunnelRollup, _lead_funnel_rollup(), params),
    ]
