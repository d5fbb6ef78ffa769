"""The environment of processes a test starts (servers, workers, probes): this one's, on the
test database pytest-django created."""

from django.db import connection

from scripts.harness import child_environment, database_url


def database_url_of_tests():
    return database_url(connection.settings_dict)


def process_environment(**overrides):
    """A child's environment on the test database, unless `overrides` name another."""
    return child_environment(**{"DATABASE_URL": database_url_of_tests(), **overrides})
