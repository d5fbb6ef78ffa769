from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("voiceagent", "0003_issue3_lead_import"),
    ]

    operations = [
        migrations.AddField(
            model_name="callsession",
            name="ingest_state",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
    ]
