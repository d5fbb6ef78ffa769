"""CallDayRollup: CallRollup's counters per local calendar day (settings.TIME_ZONE), filled from
the CallRollup buckets (a 15-minute UTC bucket lies inside one local day in every zone in use),
in the TIME_ZONE `migrate` runs under. Calls ingested by the previous release while it runs add
to CallRollup only: run `manage.py rebuild_rollups --since <the day of the deploy>` after it."""

import django.db.models.deletion
from collections import defaultdict
from datetime import UTC
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations, models


def sum_buckets_per_day(apps, schema_editor):
    old = apps.get_model("analytics", "CallRollup")
    new = apps.get_model("analytics", "CallDayRollup")
    counters = [f.name for f in new._meta.concrete_fields if f.name not in ("campaign", "day")]
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        columns = ", ".join(counters)
        sums = ", ".join(f"sum({name})" for name in counters)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO analytics_calldayrollup (campaign_id, day, {columns}) "
                f"SELECT campaign_id, (bucket AT TIME ZONE %s)::date, {sums} "
                "FROM analytics_callrollup GROUP BY 1, 2",
                [settings.TIME_ZONE],
            )
        return
    zone = ZoneInfo(settings.TIME_ZONE)
    days = defaultdict(lambda: defaultdict(int))
    for row in old.objects.values("campaign_id", "bucket", *counters).iterator(chunk_size=5000):
        bucket = row.pop("bucket")
        if bucket.tzinfo is None:  # a database without time zone support gives naive UTC
            bucket = bucket.replace(tzinfo=UTC)
        sums = days[(row.pop("campaign_id"), bucket.astimezone(zone).date())]
        for name, value in row.items():
            sums[name] += value
    new.objects.bulk_create(
        [new(campaign_id=key[0], day=key[1], **sums) for key, sums in days.items()],
        batch_size=1000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0004_lead_and_funnel_totals'),
        ('voiceagent', '0006_turn_search_document'),
    ]

    operations = [
        migrations.CreateModel(
            name='CallDayRollup',
            fields=[
                ('calls_made', models.BigIntegerField(default=0)),
                ('calls_answered', models.BigIntegerField(default=0)),
                ('calls_voicemail', models.BigIntegerField(default=0)),
                ('calls_qualified', models.BigIntegerField(default=0)),
                ('calls_not_interested', models.BigIntegerField(default=0)),
                ('calls_callback', models.BigIntegerField(default=0)),
                ('calls_no_answer', models.BigIntegerField(default=0)),
                ('calls_failed', models.BigIntegerField(default=0)),
                ('answered_duration', models.BigIntegerField(default=0)),
                ('answered_durations', models.BigIntegerField(default=0)),
                ('total_call_time', models.BigIntegerField(default=0)),
                ('billed_minutes', models.BigIntegerField(default=0)),
                ('llm_input_tokens', models.BigIntegerField(default=0)),
                ('llm_output_tokens', models.BigIntegerField(default=0)),
                ('tts_characters', models.BigIntegerField(default=0)),
                ('stt_ms_total', models.BigIntegerField(default=0)),
                ('stt_ms_turns', models.BigIntegerField(default=0)),
                ('llm_ms_total', models.BigIntegerField(default=0)),
                ('llm_ms_turns', models.BigIntegerField(default=0)),
                ('tts_ms_total', models.BigIntegerField(default=0)),
                ('tts_ms_turns', models.BigIntegerField(default=0)),
                ('pk', models.CompositePrimaryKey('campaign', 'day', blank=True, editable=False, primary_key=True, serialize=False)),
                ('day', models.DateField()),
                ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='voiceagent.campaign')),
            ],
            options={
                'indexes': [models.Index(fields=['day'], name='call_day_rollup_day_idx')],
            },
        ),
        migrations.RunPython(sum_buckets_per_day, migrations.RunPython.noop),
    ]
