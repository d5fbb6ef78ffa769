"""Rebuilding the rollups from raw rows, and checking them against raw rows.

Both go one campaign at a time. A rebuild replaces a campaign's rows in one transaction, so it is
idempotent and can be stopped and run again at any point (each campaign is left either as it was
or rebuilt); `since` limits it to the buckets from that instant on and to the rows kept per
local day (CallDayRollup, LatencyRollup) from its local day on (the per-lead funnel is all time
and is always rebuilt whole). The campaign's FunnelTotals and LeadTotals (totals.py) are
counted again too, and verified.

A rebuild holds its campaign's lock (analytics/rollups/locks.py) for its transaction: ingestion
of that campaign waits for it, ingestion of any other campaign goes on.

On PostgreSQL both are set-based: per table one INSERT … SELECT … GROUP BY (rebuild) or one
FULL JOIN of that SELECT with the stored rows (verify), the SELECTs of recount.py. Elsewhere
(SQLite, the embedded `make run`) they walk the campaign's calls in chunks by primary key
(memory bounded by the chunk) through contribution() itself, as ingestion does.
"""

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction

from analytics.models import (
    AllTimeLatencyRollup,
    AllTimeObjectionRollup,
    CallDayRollup,
    CallRollup,
    FunnelTotals,
    LatencyRollup,
    LeadFunnelRollup,
    LeadTotals,
    ObjectionRollup,
    WeekHourRollup,
)
from analytics.periods import start_of_day
from analytics.rollups.contribution import (
    CALL_FIELDS,
    EPOCH,
    bucket_of,
    contribution,
    day_of,
    stored_details,
)
from analytics.rollups.locks import lock_campaign_for_rebuild
from analytics.rollups.recount import SINCE_PARAMETERS, quote, recounts
from analytics.rollups.totals import (
    counted_funnel,
    counted_leads,
    recount_funnel,
    recount_leads,
    stored_totals,
)
from analytics.rollups.writer import counter_fields, difference, upsert_tables
from voiceagent.models import CallSession

CHUNK_CALLS = 2000
# keyed by time: bucket, or day
BUCKETED = (CallRollup, CallDayRollup, ObjectionRollup, LatencyRollup)
# All time: rebuilt whole, whatever `since` (the funnel last).
ALL_TIME = (AllTimeLatencyRollup, AllTimeObjectionRollup, WeekHourRollup, LeadFunnelRollup)
TABLES = (*BUCKETED, *ALL_TIME)
TIME_KEY = {
    CallRollup: "bucket",
    CallDayRollup: "day",
    ObjectionRollup: "bucket",
    LatencyRollup: "day",
}


@dataclass(frozen=True)
class Since:
    """Where a partial rebuild starts: the bucket holding an instant (CallRollup,
    ObjectionRollup) and its local day (CallDayRollup, LatencyRollup)."""

    bucket: object
    day: object

    @classmethod
    def of(cls, instant):
        """None for None, and for an instant whose bucket and day hold the epoch (every row)."""
        if instant is None:
            return None
        bucket, day = bucket_of(instant), day_of(instant)
        if bucket <= EPOCH or day <= day_of(None):
            return None  # the epoch's rows (calls without initiated_at) are rebuilt too
        return cls(bucket=bucket, day=day)

    def bound(self, model):
        """The first key `model`'s rows are rebuilt from."""
        return self.day if TIME_KEY[model] == "day" else self.bucket

    def first_call(self):
        """The earliest initiated_at a rebuilt row may hold a call of."""
        return min(self.bucket, start_of_day(self.day))


def _chunks(campaign_id, since=None, fields=CALL_FIELDS):
    """The campaign's finished calls (initiated from `since` on), CHUNK_CALLS at a time."""
    calls = CallSession.objects.finished().filter(campaign_id=campaign_id)
    if since is not None:
        calls = calls.filter(initiated_at__gte=since)
    last = 0
    while True:
        chunk = list(calls.filter(pk__gt=last).order_by("pk").values(*fields)[:CHUNK_CALLS])
        if not chunk:
            return
        yield chunk
        last = chunk[-1]["pk"]


def _bucket_totals(campaign_id, since):
    """Contributions of the campaign's calls to the bucketed tables (from `since`, a Since, on),
    chunk by chunk."""
    for chunk in _chunks(campaign_id, since.first_call() if since else None):
        turns, objections = stored_details([row["pk"] for row in chunk])
        moved = difference(
            ({}, contribution(row, turns[row["pk"]], objections[row["pk"]])) for row in chunk
        )
        yield {
            model: {
                key: counters
                for key, counters in rows.items()
                if since is None or key[1] >= since.bound(model)
            }
            for model, rows in moved.items()
            if model in BUCKETED
        }


def _all_time_totals(campaign_id):
    """Contributions of all the campaign's calls to the all-time tables, chunk by chunk."""
    for chunk in _chunks(campaign_id):
        turns, objections = stored_details([row["pk"] for row in chunk])
        moved = difference(
            ({}, contribution(row, turns[row["pk"]], objections[row["pk"]])) for row in chunk
        )
        yield {model: rows for model, rows in moved.items() if model in ALL_TIME}


def _stored(model, campaign_id, since=None):
    rows = model.objects.filter(campaign_id=campaign_id)
    if since is not None and model in BUCKETED:
        rows = rows.filter(**{f"{TIME_KEY[model]}__gte": since.bound(model)})
    return rows


def rebuild_campaign(campaign_id, *, since=None):
    """Replace the campaign's rollup rows with what its raw rows give (one transaction); with
    `since` (an instant), the buckets from the one holding it on and the rows kept per local
    day from its local day on."""
    since = Since.of(since)
    if connection.vendor == "postgresql":
        _rebuild_set_based(campaign_id, since)
    else:
        rebuild_campaign_call_by_call(campaign_id, since=since)
    recount_leads(campaign_id)


def _rebuild_set_based(campaign_id, since):
    """Delete the campaign's rows (from `since`, a Since, on) and INSERT … SELECT them again.

    The campaign is locked against its rollup writers for the transaction (locks.py; readers
    and other campaigns' writers go on). An ingestion batch of the campaign holds the lock from
    its start to its commit, so the rebuild waits for one under way and the recount sees it, and
    a later one waits for the rebuild's commit. An ORM save takes it at its rollup write: a
    later one adds its new − old to a recount that saw its call as it was before. None is lost
    or counted twice."""
    with transaction.atomic(), connection.cursor() as cursor:
        lock_campaign_for_rebuild(campaign_id)
        bounds = {"since": since.bucket, "since_day": since.day} if since else {}
        for recount in recounts(campaign_id, **bounds):
            delete = f"DELETE FROM {recount.table} WHERE campaign_id = %(campaign)s"
            if since is not None and recount.model in BUCKETED:
                key = TIME_KEY[recount.model]
                delete += f" AND {quote(key)} >= %({SINCE_PARAMETERS[key]})s"
            cursor.execute(delete, recount.params)
            columns = ", ".join([*recount.key_columns, *recount.counter_columns])
            cursor.execute(f"INSERT INTO {recount.table} ({columns}) {recount.sql}", recount.params)
        recount_funnel(campaign_id)


def rebuild_campaign_call_by_call(campaign_id, *, since=None):
    """rebuild_campaign through contribution(), call by call (the path off PostgreSQL); `since`
    is a Since, as rebuild_campaign passes it."""
    with transaction.atomic():
        lock_campaign_for_rebuild(campaign_id)
        for model in TABLES:
            _stored(model, campaign_id, since).delete()
        for moved in _bucket_totals(campaign_id, since):
            upsert_tables(moved)
        for moved in _all_time_totals(campaign_id):
            upsert_tables(moved)
        recount_funnel(campaign_id)


@dataclass(frozen=True)
class Drift:
    table: str
    key: tuple
    counter: str
    expected: int
    stored: int

    def __str__(self):
        return (
            f"{self.table} {self.key}: {self.counter} is {self.stored}, raw rows give "
            f"{self.expected}"
        )


def verify_campaign(campaign_id):
    """Every counter of the campaign's rollup rows that differs from its raw rows, table by
    table (TABLES' order), key by key (ascending), counter by counter (the model's order); then
    its FunnelTotals against its stored LeadFunnelRollup rows (a funnel row's own drift is
    named above, once) and its LeadTotals against its leads. On PostgreSQL everything is read
    in one snapshot, so writers committing meanwhile never show as drift; nothing is locked."""
    with _one_snapshot():
        if connection.vendor == "postgresql":
            drift = _verify_set_based(campaign_id)
        else:
            drift = verify_campaign_call_by_call(campaign_id)
        return [
            *drift,
            *_totals_drift(FunnelTotals, campaign_id, counted_funnel(campaign_id)),
            *_totals_drift(LeadTotals, campaign_id, counted_leads(campaign_id)),
        ]


@contextmanager
def _one_snapshot():
    """On PostgreSQL, a read-only transaction whose statements all see the database as at its
    first one (REPEATABLE READ); inside a transaction already begun, that one as it is. Not on
    SQLite: a transaction there is begun IMMEDIATE (settings), which would hold writers off."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _totals_drift(model, campaign_id, expected):
    stored = stored_totals(model, campaign_id)
    return [
        Drift(model._meta.db_table, (campaign_id,), name, expected[name], stored[name])
        for name in stored
        if expected[name] != stored[name]
    ]


def _verify_set_based(campaign_id):
    """Each recount FULL JOINed with the stored rows on the key; a row missing on one side
    counts as zeros (ingestion may leave rows whose counters all moved back to 0)."""
    drift = []
    for recount in recounts(campaign_id):
        keys, counters = recount.key_columns, recount.counter_columns
        differs = " OR ".join(
            f"coalesce(expected.{c}, 0) <> coalesce(stored.{c}, 0)" for c in counters
        )
        sides = ", ".join(f"coalesce(expected.{c}, 0), coalesce(stored.{c}, 0)" for c in counters)
        sql = f"""WITH expected AS ({recount.sql}),
        stored AS (
            SELECT {", ".join([*keys, *counters])} FROM {recount.table}
            WHERE campaign_id = %(campaign)s
        )
        SELECT {", ".join(keys)}, {sides}
        FROM expected FULL JOIN stored USING ({", ".join(keys)})
        WHERE {differs}
        ORDER BY {", ".join(keys)}"""
        names = [field.name for field in counter_fields(recount.model)]
        with connection.cursor() as cursor:
            cursor.execute(sql, recount.params)
            for row in cursor.fetchall():
                key, values = tuple(row[: len(keys)]), row[len(keys) :]
                for index, counter in enumerate(names):
                    want, have = values[2 * index], values[2 * index + 1]
                    if want != have:
                        drift.append(Drift(recount.model._meta.db_table, key, counter, want, have))
    return drift


def verify_campaign_call_by_call(campaign_id):
    """verify_campaign through contribution(), call by call (the path off PostgreSQL)."""
    expected = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for moved in _bucket_totals(campaign_id, None):
        _add(expected, moved)
    for moved in _all_time_totals(campaign_id):
        _add(expected, moved)
    drift = []
    for model in TABLES:
        counters = [field.name for field in counter_fields(model)]
        keys = model._meta.pk.field_names
        stored = {}
        for row in _stored(model, campaign_id).values(
            *[_attname(model, k) for k in keys], *counters
        ):
            key = tuple(row.pop(_attname(model, k)) for k in keys)
            stored[key] = row
        for key in sorted(set(stored) | set(expected[model]), key=repr):
            want, have = expected[model].get(key, {}), stored.get(key, {})
            for counter in counters:
                if want.get(counter, 0) != have.get(counter, 0):
                    drift.append(
                        Drift(
                            model._meta.db_table,
                            key,
                            counter,
                            want.get(counter, 0),
                            have.get(counter, 0),
                        )
                    )
    return drift


def _attname(model, name):
    return model._meta.get_field(name).attname


def _add(expected, moved):
    for model, rows in moved.items():
        for key, counters in rows.items():
            for counter, amount in counters.items():
                expected[model][key][counter] += amount
