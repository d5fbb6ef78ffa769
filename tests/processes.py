"""The environment of processes a test starts (servers, workers, probes): this one's, on the
test database pytest-django created."""

import subprocess
import sys

from django.db import connection

from scripts.harness import child_environment, database_url


def database_url_of_tests():
    return database_url(connection.settings_dict)


def process_environment(**overrides):
    """A child's environment on the test database, unless `overrides` name another."""
    return child_environment(**{"DATABASE_URL": database_url_of_tests(), **overrides})


def manage_py(env, *args):
    """Runs `manage.py *args` in `env`; its last line of output ("" without any)."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
