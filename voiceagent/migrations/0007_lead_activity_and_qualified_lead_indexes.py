"""Lead activity's order (campaign, last_call_at DESC NULLS LAST, id DESC) as an index, and a
partial index of qualified finished calls for a period's qualified leads. SQLite (the embedded
`make run`) cannot index NULLS LAST: there the lead index stays (campaign, last_call_at DESC)."""

from django.db import migrations, models

RECENT = models.Index(
    models.F("campaign"),
    models.OrderBy(models.F("last_call_at"), descending=True, nulls_last=True),
    models.OrderBy(models.F("id"), descending=True),
    name="lead_campaign_recent_idx",
)
RECENT_ON_SQLITE = models.Index(fields=["campaign", "-last_call_at"], name="lead_campaign_recent_idx")


def _recent_index(schema_editor):
    return RECENT if schema_editor.connection.vendor == "postgresql" else RECENT_ON_SQLITE


def replace_recent_index(apps, schema_editor):
    lead = apps.get_model("voiceagent", "Lead")
    schema_editor.remove_index(lead, RECENT_ON_SQLITE)
    schema_editor.add_index(lead, _recent_index(schema_editor))


def restore_recent_index(apps, schema_editor):
    lead = apps.get_model("voiceagent", "Lead")
    schema_editor.remove_index(lead, _recent_index(schema_editor))
    schema_editor.add_index(lead, RECENT_ON_SQLITE)


class Migration(migrations.Migration):

    dependencies = [
        ('voiceagent', '0006_turn_search_document'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name='lead', name='lead_campaign_recent_idx'),
                migrations.AddIndex(model_name='lead', index=RECENT),
            ],
            database_operations=[migrations.RunPython(replace_recent_index, restore_recent_index)],
        ),
        migrations.AddIndex(
            model_name='callsession',
            index=models.Index(condition=models.Q(('outcome', 'qualified'), ('status__in', ('completed', 'no_answer', 'busy', 'failed'))), fields=['campaign', 'initiated_at', 'lead'], name='call_qualified_lead_idx'),
        ),
    ]
