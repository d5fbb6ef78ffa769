"""The scheduler's heartbeat: a timestamp that Celery beat's periodic task writes to the cache.

The task is scheduled by beat and run by a worker, so a fresh heartbeat shows both are alive.
"""

import time

from django.conf import settings
from django.core.cache import cache

HEARTBEAT_KEY = "monitoring:scheduler:heartbeat"


def record_heartbeat(*, now=None):
    """Store the current time; kept long enough for the staleness to be seen, not forever."""
    timestamp = time.time() if now is None else now
    cache.set(HEARTBEAT_KEY, timestamp, settings.SCHEDULER_HEARTBEAT_INTERVAL_SECONDS * 30)
    return timestamp


def last_heartbeat():
    """Unix time of the latest heartbeat, or None when none was recorded (raises if the cache is
    unreachable: callers decide what that means)."""
    return cache.get(HEARTBEAT_KEY)


def heartbeat_max_age():
    """A heartbeat older than two intervals means beat (or every worker) has stopped."""
    return 2 * settings.SCHEDULER_HEARTBEAT_INTERVAL_SECONDS
