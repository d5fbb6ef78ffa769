"""What one call adds to the rollup tables: the one definition of every rolled-up figure.

`contribution(call, turns, objections)` returns {Model: {key: {counter: amount}}}; the tables hold
the sum of the contributions of all calls, so a call that changes moves its share (writer.apply
adds new − old). Only finished calls contribute (docs/metrics.md: canceled and live calls never
count); a call is placed in the 15-minute UTC bucket of its initiated_at, and its turns'
latency histograms (each step's log-spaced bins, and the turn's total in LATENCY_BUCKETS) on
the local calendar day (settings.TIME_ZONE) of its initiated_at.

The set-based rebuild (rebuild.py, recount.py) gives the same sums in PostgreSQL. Each rule it
needs has its SQL twin beside the Python rule here (finished_sql, bucket_sql, day_sql,
answered_sql, outcome_sql, reached_sql, total_latency_bin_sql of total_latency_sql and
latency_bucket_sql; histogram.bin_sql, costs.billed_minutes_sql), and tests/analytics/test_rollups.py asserts every pair agrees.
"""

from bisect import bisect_right
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from analytics.costs import USAGE_FIELDS, billed_minutes
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
from analytics.periods import local_zone
from analytics.rollups import histogram
from voiceagent.models import FINISHED_STATUSES, CallOutcome, Stage

BUCKET = timedelta(minutes=15)
ANY_CATEGORY = ""  # the ObjectionRollup row of a call's objections whatever their category
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the bucket of calls without initiated_at
LATENCY_FIELDS = ("stt_ms", "llm_ms", "tts_ms")
# Each latency field with its CallRollup counters: the sum of its values and its turns reporting it.
LATENCY_COUNTERS = tuple((field, f"{field}_total", f"{field}_turns") for field in LATENCY_FIELDS)
# LatencyRollup's component of a turn's total AI latency (stt + llm + tts), whose bin is the
# index of its bucket among LATENCY_BUCKETS (not a log-spaced bin): the campaign page's
# "AI latency distribution" counts, exactly.
TOTAL_LATENCY = "total"
# Upper bounds (ms, exclusive) of the total latency buckets a manager reads: fast, fine, slow,
# too slow; the last bucket (index len(LATENCY_BUCKETS)) has no upper bound.
LATENCY_BUCKETS = (500, 1000, 1500, 2000, 3000)
# What contribution() reads of a call, a turn and an objection.
CALL_FIELDS = (
    "pk", "campaign_id", "lead_id", "status", "outcome", "initiated_at", "answered_at",
    "duration_seconds", "stage_first_reached",
)  # fmt: skip
TURN_FIELDS = (*LATENCY_FIELDS, *USAGE_FIELDS)
STAGES = list(Stage.values)
OUTCOME_COUNTERS = {
    CallOutcome.QUALIFIED: "calls_qualified",
    CallOutcome.NOT_INTERESTED: "calls_not_interested",
    CallOutcome.CALLBACK_REQUESTED: "calls_callback",
    CallOutcome.NO_ANSWER: "calls_no_answer",
    CallOutcome.FAILED: "calls_failed",
    CallOutcome.VOICEMAIL: "calls_voicemail",
}
_missing = {f"reached_{stage}" for stage in STAGES} - {
    field.name for field in LeadFunnelRollup._meta.concrete_fields
}
if _missing:  # a new stage needs its funnel column
    raise RuntimeError(f"LeadFunnelRollup has no column for {sorted(_missing)}")


def sql_literal(value):
    """A constant of the code as an SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def finished_sql(call):
    """The glossary's finished call (CallSession.objects.finished()) in SQL, of the call table
    alias `call`."""
    return f"{call}.status IN ({', '.join(sql_literal(s) for s in FINISHED_STATUSES)})"


def bucket_of(initiated_at):
    """Start of the 15-minute UTC bucket of an instant (the epoch for None); bucket_sql() is the
    same rule in PostgreSQL."""
    if initiated_at is None:
        return EPOCH
    since = initiated_at - EPOCH
    seconds = since.days * 86400 + since.seconds  # whole seconds, floored (no float rounding)
    return EPOCH + timedelta(seconds=seconds - seconds % int(BUCKET.total_seconds()))


def bucket_sql(initiated_at):
    """bucket_of() in PostgreSQL of the timestamptz SQL expression `initiated_at` (its epoch is
    an exact numeric, floored like the whole seconds above)."""
    seconds = int(BUCKET.total_seconds())
    return (
        f"coalesce(to_timestamp(floor(extract(epoch FROM {initiated_at}) / {seconds}) * {seconds}),"
        f" {sql_literal(EPOCH.isoformat())}::timestamptz)"
    )


def day_of(initiated_at):
    """The calendar day in settings.TIME_ZONE of an instant (the epoch's local day for None):
    LatencyRollup's key. day_sql() is the same rule in PostgreSQL."""
    return (EPOCH if initiated_at is None else initiated_at).astimezone(local_zone()).date()


def day_sql(initiated_at):
    """day_of() in PostgreSQL of the timestamptz SQL expression `initiated_at`, in the
    settings.TIME_ZONE of the moment it is called."""
    return (
        f"(coalesce({initiated_at}, {sql_literal(EPOCH.isoformat())}::timestamptz)"
        f" AT TIME ZONE {sql_literal(local_zone().key)})::date"
    )


def week_hour_of(initiated_at):
    """(ISO weekday, hour) in settings.TIME_ZONE of an instant (the epoch's for None):
    WeekHourRollup's key. week_hour_sql() is the same rule in PostgreSQL."""
    local = (EPOCH if initiated_at is None else initiated_at).astimezone(local_zone())
    return local.isoweekday(), local.hour


def week_hour_sql(initiated_at):
    """week_hour_of() in PostgreSQL: two SQL expressions (weekday, hour) of the timestamptz SQL
    expression `initiated_at`."""
    local = (
        f"(coalesce({initiated_at}, {sql_literal(EPOCH.isoformat())}::timestamptz)"
        f" AT TIME ZONE {sql_literal(local_zone().key)})"
    )
    return f"extract(isodow FROM {local})::int", f"extract(hour FROM {local})::int"


def is_answered(call):
    """Glossary: finished, answered_at set, not a voicemail (CallSession.objects.answered());
    answered_sql() is the same rule in SQL."""
    return (
        call["status"] in FINISHED_STATUSES
        and call["answered_at"] is not None
        and call["outcome"] != CallOutcome.VOICEMAIL
    )


def answered_sql(call):
    """is_answered() in SQL, of the call table alias `call`."""
    return (
        f"({finished_sql(call)} AND {call}.answered_at IS NOT NULL"
        f" AND {call}.outcome IS DISTINCT FROM {sql_literal(CallOutcome.VOICEMAIL)})"
    )


def outcome_sql(call, outcome):
    """contribution()'s test of an outcome (OUTCOME_COUNTERS, qualified) in SQL."""
    return f"{call}.outcome = {sql_literal(outcome)}"


def reached_sql(stage_first_reached, stage):
    """contribution()'s "reached this stage or a later one" of a call's stage_first_reached
    (the jsonb SQL expression) in SQL: a key of this stage or of any stage after it."""
    later = STAGES[STAGES.index(stage) :]
    return f"{stage_first_reached} ?| ARRAY[{', '.join(sql_literal(s) for s in later)}]"


def total_latency_bin(turn):
    """The index in LATENCY_BUCKETS of the bucket of a turn's total AI latency (its stt, llm and
    tts ms, a missing one counting 0): 0 below 500 ms, 1 from 500 ms, ... 5 from 3,000 ms; None
    for a turn that reported none of them. total_latency_bin_sql() is the same rule in SQL."""
    reported = [turn[field] for field in LATENCY_FIELDS if turn[field] is not None]
    if not reported:
        return None
    return bisect_right(LATENCY_BUCKETS, sum(reported))


def total_latency_sql(turn):
    """A turn's total AI latency in ms (bigint, so no sum overflows) in PostgreSQL, of the turn
    table alias `turn`; NULL for a turn that reported none of its steps."""
    fields = [f"{turn}.{field}" for field in LATENCY_FIELDS]
    total = " + ".join(f"coalesce({field}::bigint, 0)" for field in fields)
    return f"CASE WHEN coalesce({', '.join(fields)}) IS NOT NULL THEN {total} END"


def latency_bucket_sql(milliseconds):
    """The index in LATENCY_BUCKETS of a total in ms (the bigint SQL expression `milliseconds`):
    width_bucket counts the bounds at or below it, as bisect_right does."""
    bounds = ", ".join(str(bound) for bound in LATENCY_BUCKETS)
    return f"width_bucket({milliseconds}, ARRAY[{bounds}]::bigint[])"


def total_latency_bin_sql(turn):
    """total_latency_bin() in PostgreSQL, of the turn table alias `turn` (NULL stays NULL)."""
    return latency_bucket_sql(total_latency_sql(turn))


def contribution(call, turns=(), objections=()):
    """The call's counters: `call` a dict of CALL_FIELDS, `turns` dicts of TURN_FIELDS, and
    `objections` the categories of its objections. Empty for a call that is not finished."""
    if call["status"] not in FINISHED_STATUSES:
        return {}
    answered = is_answered(call)
    qualified = call["outcome"] == CallOutcome.QUALIFIED
    duration = call["duration_seconds"]
    campaign, bucket = call["campaign_id"], bucket_of(call["initiated_at"])
    day = day_of(call["initiated_at"])
    counters = {
        "calls_made": 1,
        "calls_answered": int(answered),
        "answered_duration": (duration or 0) if answered else 0,
        "answered_durations": int(answered and duration is not None),
        "total_call_time": duration or 0,
        "billed_minutes": billed_minutes(duration),
    }
    if call["outcome"] in OUTCOME_COUNTERS:
        counters[OUTCOME_COUNTERS[call["outcome"]]] = 1
    latency = defaultdict(int)
    for turn in turns:
        for field in USAGE_FIELDS:
            counters[field] = counters.get(field, 0) + (turn[field] or 0)
        for field, total_counter, turns_counter in LATENCY_COUNTERS:
            value = turn[field]
            if value is not None:
                counters[total_counter] = counters.get(total_counter, 0) + value
                counters[turns_counter] = counters.get(turns_counter, 0) + 1
                latency[(campaign, day, field, histogram.bin_of(value))] += 1
        total_bin = total_latency_bin(turn)
        if total_bin is not None:
            latency[(campaign, day, TOTAL_LATENCY, total_bin)] += 1
    by_category = defaultdict(int)
    for category in objections:
        by_category[category] += 1
    if objections:
        by_category[ANY_CATEGORY] = len(objections)
    weekday, hour = week_hour_of(call["initiated_at"])
    reached = call["stage_first_reached"] or {}
    funnel = {"dialed": 1, "answered": int(answered), "qualified": int(qualified)}
    for index, stage in enumerate(STAGES):  # reached_sql() is this test in SQL
        funnel[f"reached_{stage}"] = int(answered and any(s in reached for s in STAGES[index:]))
    return {
        CallRollup: {(campaign, bucket): counters},
        CallDayRollup: {(campaign, day): dict(counters)},
        ObjectionRollup: {
            (campaign, bucket, category): {
                "objections": count,
                "calls": 1,
                "calls_qualified": int(qualified),
            }
            for category, count in by_category.items()
        },
        LatencyRollup: {key: {"turns": count} for key, count in latency.items()},
        LeadFunnelRollup: {(campaign, call["lead_id"]): funnel},
        # All time, what the rows above hold per bucket or day:
        AllTimeLatencyRollup: _all_time_latency(latency),
        AllTimeObjectionRollup: {
            (campaign, category): {
                "objections": count,
                "calls": 1,
                "calls_qualified": int(qualified),
            }
            for category, count in by_category.items()
        },
        WeekHourRollup: {
            (campaign, weekday, hour): {
                "calls_made": 1,
                "calls_answered": int(answered),
                "calls_qualified": int(qualified),
            }
        },
    }


def _all_time_latency(latency):
    """LatencyRollup's {(campaign, day, component, bin): turns} without the day."""
    merged = defaultdict(int)
    for (campaign, _day, component, bin_index), count in latency.items():
        merged[(campaign, component, bin_index)] += count
    return {key: {"turns": count} for key, count in merged.items()}


def stored_inputs(call_ids):
    """{call pk: (call, turns, objections)} read from the database: contribution()'s arguments
    for those calls as stored now. Three queries at most (turns and objections are read for
    finished calls only: the others contribute nothing)."""
    from voiceagent.models import CallSession

    calls = {
        row["pk"]: row for row in CallSession.objects.filter(pk__in=call_ids).values(*CALL_FIELDS)
    }
    turns, objections = stored_details(
        [pk for pk, row in calls.items() if row["status"] in FINISHED_STATUSES]
    )
    return {pk: (row, turns[pk], objections[pk]) for pk, row in calls.items()}


def stored_details(call_ids):
    """({call pk: [turn dicts]}, {call pk: [objection categories]}) of these calls, as stored;
    one query (turns and objections side by side)."""
    from django.db.models import CharField, IntegerField, Value

    from voiceagent.models import ConversationTurn, Objection

    if not call_ids:
        return details_from_rows([])
    no_number = Value(None, output_field=IntegerField())
    turn_rows = (
        ConversationTurn.objects.filter(call_id__in=call_ids)
        .order_by()
        .values_list("call_id", *TURN_FIELDS, Value(None, output_field=CharField()))
    )
    objection_rows = (
        Objection.objects.filter(call_id__in=call_ids)
        .order_by()
        .values_list("call_id", *[no_number] * len(TURN_FIELDS), "category")
    )
    return details_from_rows(turn_rows.union(objection_rows, all=True))


def details_from_rows(rows):
    """stored_details' answer from rows (call pk, *TURN_FIELDS, category): a turn's with no
    category, an objection's with its category (and no turn fields)."""
    turns, objections = defaultdict(list), defaultdict(list)
    for call_id, *values, category in rows:
        if category is None:
            turns[call_id].append(dict(zip(TURN_FIELDS, values, strict=True)))
        else:
            objections[call_id].append(category)
    return turns, objections
