"""Cached statuses of the components the product depends on, for /analytics/system and pages.

Checks run in the background (the monitoring issue wires them) and store their latest result in
the cache; readers never trigger an outbound call.
"""

from django.core.cache import cache

COMPONENTS = (
    "database",
    "redis",
    "worker",
    "scheduler",
    "exotel",
    "deepgram",
    "openai",
    "elevenlabs",
)
CACHE_KEY = "monitoring:component:{}"


def store_status(name, status, *, message="", response_time_ms=None, timeout=300, **details):
    """Store a check's result; `details` (e.g. checked_at) are kept beside it for the checks."""
    cache.set(
        CACHE_KEY.format(name),
        {"status": status, "message": message, "response_time_ms": response_time_ms, **details},
        timeout,
    )


def read_status(name):
    """The stored result of one component (a dict), or None; raises when the cache is down."""
    return cache.get(CACHE_KEY.format(name))


def component_statuses():
    """{component: status} from the cache; `unknown` for a component not checked recently."""
    try:
        found = cache.get_many([CACHE_KEY.format(name) for name in COMPONENTS])
    except Exception:  # the cache itself (Redis) may be down; say so rather than fail the page
        found = {}
    return {
        name: found.get(CACHE_KEY.format(name), {}).get("status", "unknown") for name in COMPONENTS
    }
