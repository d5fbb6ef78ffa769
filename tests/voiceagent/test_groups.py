"""The groups migration 0002 creates and access.ensure_groups recreates grant the same permissions."""

import importlib

import pytest
from django.contrib.auth.models import Group

from voiceagent import access


def codenames(group):
    return sorted(
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    )


@pytest.mark.django_db
def test_ensure_groups_grants_what_the_migration_granted():
    migrated = {name: codenames(Group.objects.get(name=name)) for name in ("managers", "ingest")}
    Group.objects.all().delete()
    managers, ingest = access.ensure_groups()
    assert {"managers": codenames(managers), "ingest": codenames(ingest)} == migrated
    assert migrated["ingest"] == ["voiceagent.ingest_callevent"]
    assert migrated["managers"] == sorted(
        f"voiceagent.view_{model}" for model in access.MANAGER_VIEW_MODELS
    )


def test_migration_list_is_the_access_list():
    migration = importlib.import_module("voiceagent.migrations.0002_groups")
    assert tuple(migration.MANAGER_MODELS) == access.MANAGER_VIEW_MODELS


@pytest.mark.django_db
def test_ensure_groups_takes_back_a_permission_granted_by_hand():
    managers, _ = access.ensure_groups()
    managers.permissions.add(*Group.objects.get(name="ingest").permissions.all())
    managers, _ = access.ensure_groups()
    assert "voiceagent.ingest_callevent" not in codenames(managers)
