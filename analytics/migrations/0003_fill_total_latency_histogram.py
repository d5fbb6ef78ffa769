"""Fills LatencyRollup's "total" component (each turn's stt + llm + tts ms, counted in the campaign
page's latency buckets; analytics/rollups/contribution.py total_latency_bin) from the turns of the
finished calls already stored, on the local calendar day (the TIME_ZONE `migrate` runs under) of
their call's initiated_at. On PostgreSQL one INSERT … SELECT … GROUP BY; elsewhere a walk over
the turns. The rule is written out here as it stood when this migration was made (a migration must
not change with the code after it); tests/analytics/test_total_latency.py checks that it gives
the rows contribution() gives.

Run it with ingestion stopped (as every migration); `verify_rollups` names any drift and
`rebuild_rollups` repairs it. Migrating backwards deletes the "total" rows."""

from bisect import bisect_right
from collections import defaultdict
from datetime import UTC, datetime

from django.conf import settings
from django.db import migrations

TOTAL = "total"
BUCKETS = (500, 1000, 1500, 2000, 3000)  # upper bounds (ms, exclusive) of the chart's buckets
FINISHED = ("completed", "no_answer", "busy", "failed")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the day of calls without initiated_at


def fill_total_latency(apps, schema_editor):
    latency = apps.get_model("analytics", "LatencyRollup")
    turn = apps.get_model("voiceagent", "ConversationTurn")
    call = apps.get_model("voiceagent", "CallSession")
    latency.objects.filter(component=TOTAL).delete()  # idempotent: run twice, counted once
    if schema_editor.connection.vendor == "postgresql":
        _fill_set_based(schema_editor, latency, turn, call)
    else:
        _fill_turn_by_turn(latency, turn)


def _fill_set_based(schema_editor, latency, turn, call):
    quote = schema_editor.connection.ops.quote_name
    fields = [f"t.{name}" for name in ("stt_ms", "llm_ms", "tts_ms")]
    total = " + ".join(f"coalesce({field}::bigint, 0)" for field in fields)
    bounds = ", ".join(str(bound) for bound in BUCKETS)
    statuses = ", ".join(f"'{status}'" for status in FINISHED)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(latency._meta.db_table)} (campaign_id, day, component, bin, turns) "
            f"SELECT c.campaign_id, (coalesce(c.initiated_at, %s) AT TIME ZONE %s)::date, %s, "
            f"width_bucket({total}, ARRAY[{bounds}]::bigint[]), count(*) "
            f"FROM {quote(turn._meta.db_table)} t "
            f"JOIN {quote(call._meta.db_table)} c ON c.id = t.call_id "
            f"WHERE c.status IN ({statuses}) AND coalesce({', '.join(fields)}) IS NOT NULL "
            "GROUP BY 1, 2, 4",
            [EPOCH, settings.TIME_ZONE, TOTAL],
        )


def _fill_turn_by_turn(latency, turn):
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.TIME_ZONE)
    counts = defaultdict(int)
    rows = (
        turn.objects.filter(call__status__in=FINISHED)
        .order_by()
        .values_list("call__campaign_id", "call__initiated_at", "stt_ms", "llm_ms", "tts_ms")
    )
    for campaign_id, initiated_at, *milliseconds in rows.iterator(chunk_size=5000):
        reported = [value for value in milliseconds if value is not None]
        if not reported:
            continue
        at = initiated_at or EPOCH
        if at.tzinfo is None:  # a database without time zone support gives naive UTC
            at = at.replace(tzinfo=UTC)
        counts[(campaign_id, at.astimezone(zone).date(), bisect_right(BUCKETS, sum(reported)))] += 1
    latency.objects.bulk_create(
        [
            latency(campaign_id=campaign_id, day=day, component=TOTAL, bin=bin_index, turns=turns)
            for (campaign_id, day, bin_index), turns in counts.items()
        ],
        batch_size=1000,
    )


def delete_total_latency(apps, schema_editor):
    apps.get_model("analytics", "LatencyRollup").objects.filter(component=TOTAL).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_latency_rollup_per_local_day"),
    ]

    operations = [
        migrations.RunPython(fill_total_latency, delete_total_latency),
    ]
