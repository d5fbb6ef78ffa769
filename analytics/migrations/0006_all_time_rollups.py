"""All-time rollups (AllTimeLatencyRollup, AllTimeObjectionRollup, WeekHourRollup), filled from
the rows per day or bucket (WeekHourRollup in the TIME_ZONE `migrate` runs under). Calls ingested
by the previous release while it runs are not in them: run `manage.py rebuild_rollups` after it
(the all-time tables are always rebuilt whole)."""

import django.db.models.deletion
from collections import defaultdict
from datetime import UTC
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations, models

# (new table, source table, key expressions, counters) of each all-time table.
SOURCES = [
    ("analytics_alltimelatencyrollup", "analytics_latencyrollup", ["component", "bin"], ["turns"]),
    (
        "analytics_alltimeobjectionrollup",
        "analytics_objectionrollup",
        ["category"],
        ["objections", "calls", "calls_qualified"],
    ),
    (
        "analytics_weekhourrollup",
        "analytics_callrollup",
        ["weekday", "hour"],
        ["calls_made", "calls_answered", "calls_qualified"],
    ),
]
WEEK_HOUR = {
    "weekday": "extract(isodow FROM bucket AT TIME ZONE %(zone)s)::int",
    "hour": "extract(hour FROM bucket AT TIME ZONE %(zone)s)::int",
}


def sum_into_all_time(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return _sum_in_python(apps)
    with connection.cursor() as cursor:
        for table, source, keys, counters in SOURCES:
            selected = [WEEK_HOUR.get(key, key) for key in keys]
            cursor.execute(
                f"INSERT INTO {table} (campaign_id, {', '.join(keys + counters)}) "
                f"SELECT campaign_id, {', '.join(selected)}, "
                f"{', '.join(f'sum({c})' for c in counters)} FROM {source} "
                f"GROUP BY {', '.join(str(n) for n in range(1, len(keys) + 2))}",
                {"zone": settings.TIME_ZONE},
            )


def _sum_in_python(apps):
    zone = ZoneInfo(settings.TIME_ZONE)
    models_by_table = {m._meta.db_table: m for m in apps.get_app_config("analytics").get_models()}
    for table, source, keys, counters in SOURCES:
        sums = defaultdict(lambda: defaultdict(int))
        source_keys = ["bucket"] if table == "analytics_weekhourrollup" else keys
        rows = models_by_table[source].objects.values("campaign_id", *source_keys, *counters)
        for row in rows.iterator(chunk_size=5000):
            if table == "analytics_weekhourrollup":
                bucket = row.pop("bucket")
                if bucket.tzinfo is None:
                    bucket = bucket.replace(tzinfo=UTC)
                local = bucket.astimezone(zone)
                key = (row.pop("campaign_id"), local.isoweekday(), local.hour)
            else:
                key = (row.pop("campaign_id"), *(row.pop(k) for k in keys))
            for name in counters:
                sums[key][name] += row[name]
        model = models_by_table[table]
        model.objects.bulk_create(
            [
                model(campaign_id=key[0], **dict(zip(keys, key[1:])), **values)
                for key, values in sums.items()
            ],
            batch_size=1000,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0005_call_day_rollup'),
        ('voiceagent', '0007_lead_activity_and_qualified_lead_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='AllTimeLatencyRollup',
            fields=[
                ('pk', models.CompositePrimaryKey('campaign', 'component', 'bin', blank=True, editable=False, primary_key=True, serialize=False)),
                ('component', models.CharField(max_length=8)),
                ('bin', models.SmallIntegerField()),
                ('turns', models.BigIntegerField(default=0)),
                ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='voiceagent.campaign')),
            ],
        ),
        migrations.CreateModel(
            name='AllTimeObjectionRollup',
            fields=[
                ('pk', models.CompositePrimaryKey('campaign', 'category', blank=True, editable=False, primary_key=True, serialize=False)),
                ('category', models.CharField(max_length=20)),
                ('objections', models.BigIntegerField(default=0)),
                ('calls', models.BigIntegerField(default=0)),
                ('calls_qualified', models.BigIntegerField(default=0)),
                ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='voiceagent.campaign')),
            ],
        ),
        migrations.CreateModel(
            name='WeekHourRollup',
            fields=[
                ('pk', models.CompositePrimaryKey('campaign', 'weekday', 'hour', blank=True, editable=False, primary_key=True, serialize=False)),
                ('weekday', models.SmallIntegerField()),
                ('hour', models.SmallIntegerField()),
                ('calls_made', models.BigIntegerField(default=0)),
                ('calls_answered', models.BigIntegerField(default=0)),
                ('calls_qualified', models.BigIntegerField(default=0)),
                ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='voiceagent.campaign')),
            ],
        ),
        migrations.RunPython(sum_into_all_time, migrations.RunPython.noop),
    ]
