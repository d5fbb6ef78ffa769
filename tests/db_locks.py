"""Watching PostgreSQL's lock waits from a test (concurrency tests with threads)."""

import time

from django.db import connection


def wait_for_a_lock_wait():
    """True once another backend of this database waits for a lock (within a minute)."""
    for _ in range(600):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.1)
    return False
