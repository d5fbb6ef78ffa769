"""Every migration of our apps can be unapplied and applied again (on a scratch database)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

OUR_APPS = ("voiceagent", "analytics", "exports", "monitoring")


def manage(database_url, *args):
    env = os.environ | {"DATABASE_URL": database_url}
    out = subprocess.run(
        [sys.executable, "manage.py", *args, "--noinput", "-v", "1"]
        if args[0] == "migrate"
        else [sys.executable, "manage.py", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def unapplied(database_url):
    plan = manage(database_url, "showmigrations", "--plan")
    return [line for line in plan.splitlines() if line.startswith("[ ]")]


@pytest.mark.timeout(600)
def test_our_migrations_unapply_to_zero_and_apply_again(scratch_database_url):
    manage(scratch_database_url, "migrate")
    apps_with_migrations = [
        app for app in OUR_APPS if any((settings.BASE_DIR / app / "migrations").glob("0*.py"))
    ]
    # voiceagent last: unapplying it first would unapply every app that depends on it anyway.
    for app in [*[a for a in apps_with_migrations if a != "voiceagent"], "voiceagent"]:
        manage(scratch_database_url, "migrate", app, "zero")
    still_applied = [
        line
        for line in manage(
            scratch_database_url, "showmigrations", *apps_with_migrations
        ).splitlines()
        if line.strip().startswith("[X]")
    ]
    assert still_applied == []
    manage(scratch_database_url, "migrate")
    assert unapplied(scratch_database_url) == []
