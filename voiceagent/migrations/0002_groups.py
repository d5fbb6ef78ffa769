"""Create the `managers` (read pages and API) and `ingest` (post call events) groups."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# A frozen copy of voiceagent.access.MANAGER_VIEW_MODELS (tests/voiceagent/test_groups.py compares them).
MANAGER_MODELS = ["campaign", "lead", "donotcall", "callsession", "conversationturn", "objection", "scheduledcall"]


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    managers, _ = Group.objects.get_or_create(name="managers")
    managers.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="voiceagent", codename__in=[f"view_{m}" for m in MANAGER_MODELS]
        )
    )
    ingest, _ = Group.objects.get_or_create(name="ingest")
    ingest.permissions.add(
        *Permission.objects.filter(content_type__app_label="voiceagent", codename="ingest_callevent")
    )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["managers", "ingest"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("voiceagent", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
