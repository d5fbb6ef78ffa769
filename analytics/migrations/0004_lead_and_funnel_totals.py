"""LeadTotals and FunnelTotals, per-campaign totals kept by database triggers
(analytics/rollups/totals.py): the triggers are created and every campaign's totals counted from
its leads and LeadFunnelRollup rows, with those tables locked against writers meanwhile."""

import django.db.models.deletion
from django.db import migrations, models

from analytics.rollups import totals

# LeadFunnelRollup's counters as of this migration.
FUNNEL_STEPS = (
    "dialed", "answered", "reached_greeting", "reached_discovery", "reached_qualification",
    "reached_objection_handling", "reached_closing", "qualified",
)


def install_triggers(apps, schema_editor):
    totals.install(schema_editor.connection, steps=FUNNEL_STEPS)


def drop_triggers(apps, schema_editor):
    totals.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0003_fill_total_latency_histogram'),
        ('voiceagent', '0006_turn_search_document'),
    ]

    operations = [
        migrations.CreateModel(
            name='FunnelTotals',
            fields=[
                ('campaign', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='voiceagent.campaign')),
                ('dialed', models.BigIntegerField(default=0)),
                ('answered', models.BigIntegerField(default=0)),
                ('reached_greeting', models.BigIntegerField(default=0)),
                ('reached_discovery', models.BigIntegerField(default=0)),
                ('reached_qualification', models.BigIntegerField(default=0)),
                ('reached_objection_handling', models.BigIntegerField(default=0)),
                ('reached_closing', models.BigIntegerField(default=0)),
                ('qualified', models.BigIntegerField(default=0)),
            ],
            options={
                'verbose_name_plural': 'funnel totals',
            },
        ),
        migrations.CreateModel(
            name='LeadTotals',
            fields=[
                ('campaign', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='voiceagent.campaign')),
                ('total_leads', models.BigIntegerField(default=0)),
                ('valid_leads', models.BigIntegerField(default=0)),
                ('dnc_filtered_leads', models.BigIntegerField(default=0)),
            ],
            options={
                'verbose_name_plural': 'lead totals',
            },
        ),
        migrations.RunPython(install_triggers, drop_triggers),
    ]
