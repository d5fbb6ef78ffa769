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


def store_status(name, status, *, message="", response_time_ms=None, timeout=300):
    cache.set(
        CACHE_KEY.format(name),
        {"status": status, "message": message, "response_time_ms": response_time_ms},
        timeout,
    )


def component_statuses():
    """{component: status} from the cache; `unknown` for a component not checked recently."""
    try:
        found = cache.get_many([CACHE_KEY.format(name) for name in COMPONENTS])
    except Exception:  # the cache itself (Redis) may be down; say so rather than fail the page
        found = {}
    return {
        name: found.get(CACHE_KEY.format(name), {}).get("status", "unknown") for name in COMPONENTS
    }
