"""LatencyRollup keyed by the local calendar day (settings.TIME_ZONE) instead of the 15-minute UTC
bucket. The histograms are carried over: each bucket's bins are added to the local day the bucket
lies in (a 15-minute UTC bucket lies inside one local day in every zone in use, +05:30 and +05:45
included, and its calls' days are that day), in the TIME_ZONE `migrate` runs under.

Migrating backwards leaves the bucketed table empty: run `manage.py rebuild_rollups` after it."""

from collections import defaultdict
from datetime import UTC

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def carry_buckets_over_to_days(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO analytics_latencyrollup (campaign_id, day, component, bin, turns) "
                "SELECT campaign_id, (bucket AT TIME ZONE %s)::date, component, bin, sum(turns) "
                "FROM analytics_latencybucketrollup GROUP BY 1, 2, 3, 4 HAVING sum(turns) <> 0",
                [settings.TIME_ZONE],
            )
        return
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.TIME_ZONE)
    old = apps.get_model("analytics", "LatencyBucketRollup")
    new = apps.get_model("analytics", "LatencyRollup")
    days = defaultdict(int)
    rows = old.objects.values_list("campaign_id", "bucket", "component", "bin", "turns")
    for campaign_id, bucket, component, bin_index, turns in rows.iterator(chunk_size=5000):
        if bucket.tzinfo is None:  # a database without time zone support gives naive UTC
            bucket = bucket.replace(tzinfo=UTC)
        days[(campaign_id, bucket.astimezone(zone).date(), component, bin_index)] += turns
    new.objects.bulk_create(
        [
            new(campaign_id=key[0], day=key[1], component=key[2], bin=key[3], turns=turns)
            for key, turns in days.items()
            if turns
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_campaign_rollups"),
    ]

    operations = [
        migrations.RenameModel("LatencyRollup", "LatencyBucketRollup"),
        migrations.CreateModel(
            name="LatencyRollup",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "campaign", "day", "component", "bin",
                        blank=True, editable=False, primary_key=True, serialize=False,
                    ),
                ),  # fmt: skip
                ("day", models.DateField()),
                ("component", models.CharField(max_length=8)),
                ("bin", models.SmallIntegerField()),
                ("turns", models.BigIntegerField(default=0)),
                (
                    "campaign",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="voiceagent.campaign",
                    ),
                ),
            ],
        ),
        migrations.RunPython(carry_buckets_over_to_days, migrations.RunPython.noop),
        migrations.DeleteModel("LatencyBucketRollup"),
    ]
