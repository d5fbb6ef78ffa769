"""Rebuilding the rollups from raw rows, and checking them against raw rows.

Both walk one campaign at a time, its calls in chunks by primary key (memory bounded by the
chunk, whatever the campaign's size), through the same contribution() ingestion uses. A rebuild
replaces a campaign's rows in one transaction, so it is idempotent and can be stopped and run
again at any point; `since` limits it to buckets from that instant on (the per-lead funnel is
all time and is always rebuilt whole).
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction

from analytics.models import CallRollup, LatencyRollup, LeadFunnelRollup, ObjectionRollup
from analytics.rollups.contribution import (
    CALL_FIELDS,
    bucket_of,
    contribution,
    stored_details,
)
from analytics.rollups.writer import counter_fields, difference, upsert_tables
from voiceagent.models import CallSession

CHUNK_CALLS = 2000
BUCKETED = (CallRollup, ObjectionRollup, LatencyRollup)
TABLES = (*BUCKETED, LeadFunnelRollup)


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
    """Contributions of the campaign's calls to the bucketed tables, chunk by chunk."""
    for chunk in _chunks(campaign_id, since):
        turns, objections = stored_details([row["pk"] for row in chunk])
        moved = difference(
            ({}, contribution(row, turns[row["pk"]], objections[row["pk"]])) for row in chunk
        )
        yield {model: rows for model, rows in moved.items() if model in BUCKETED}


def _funnel_totals(campaign_id):
    for chunk in _chunks(campaign_id):
        moved = difference(({}, contribution(row)) for row in chunk)
        yield moved.get(LeadFunnelRollup, {})


def _stored(model, campaign_id, since=None):
    rows = model.objects.filter(campaign_id=campaign_id)
    if since is not None and model in BUCKETED:
        rows = rows.filter(bucket__gte=bucket_of(since))
    return rows


def rebuild_campaign(campaign_id, *, since=None):
    """Replace the campaign's rollup rows with what its raw rows give (one transaction)."""
    with transaction.atomic():
        for model in TABLES:
            _stored(model, campaign_id, since).delete()
        for moved in _bucket_totals(campaign_id, since):
            upsert_tables(moved)
        for rows in _funnel_totals(campaign_id):
            upsert_tables({LeadFunnelRollup: rows})


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
    """Every counter of the campaign's rollup rows that differs from its raw rows."""
    expected = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for moved in _bucket_totals(campaign_id, None):
        _add(expected, moved)
    for rows in _funnel_totals(campaign_id):
        _add(expected, {LeadFunnelRollup: rows})
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
