"""Watching and holding PostgreSQL's locks from a test (concurrency tests with threads)."""

import threading
import time
from contextlib import contextmanager

from django.db import connection, transaction

WAIT = 60  # seconds a thread waits for the test's signal before giving up (never reached)


def wait_for_a_lock_wait(count=1, *, waiters=()):
    """True once `count` other backends of this database wait for a lock (within a minute);
    False as soon as one of the `waiters` (threads expected to wait) has ended instead."""
    for _ in range(600):
        if not all(waiter.is_alive() for waiter in waiters):
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= count:
                return True
        time.sleep(0.1)
    return False


def in_thread(work, failures, *, lock_timeout="5s"):
    """A started thread running `work` on its own connection, whose every statement gives up
    waiting for a lock after `lock_timeout` (a lock never granted fails the test quickly
    instead of hanging it); its exception is kept in `failures`."""

    def run():
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = '{lock_timeout}'")
            work()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@contextmanager
def rows_held(queryset):
    """Inside, another connection holds the rows of `queryset` (FOR NO KEY UPDATE, what a
    writer of them takes) in an open transaction, which leaving the block commits."""
    held, release, failures = threading.Event(), threading.Event(), []

    def hold():
        with transaction.atomic():
            list(queryset.select_for_update(no_key=True).values_list("pk"))
            held.set()
            release.wait(WAIT)

    holder = in_thread(hold, failures)
    assert held.wait(WAIT), failures
    try:
        yield
    finally:
        release.set()
        holder.join(WAIT)
    assert failures == []
