"""Template context shared by every page."""

from django.conf import settings


def product(request):
    return {
        "TIME_ZONE": settings.TIME_ZONE,
        "APP_VERSION": settings.VERSION,
        "LIVE_POLL_SECONDS": settings.LIVE_POLL_SECONDS,
    }
