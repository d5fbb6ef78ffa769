"""Messages safe to publish: /health/* shows them to anyone, so no URL and no configured secret."""

import re
from urllib.parse import urlsplit

from django.conf import settings

MESSAGE_MAX_LENGTH = 200
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S+")


def _secrets():
    """Every configured secret, longest first (a secret containing another is masked whole)."""
    values = [settings.SECRET_KEY, settings.METRICS_TOKEN, settings.EXOTEL_WEBHOOK_SECRET]
    for config in settings.EXTERNAL_SERVICES.values():
        values += [value for key, value in config.items() if key != "base_url"]
    for database in settings.DATABASES.values():
        values.append(database.get("PASSWORD"))
    for url in (settings.REDIS_URL, settings.CELERY_BROKER_URL):
        values.append(urlsplit(url).password)
    return sorted({str(value) for value in values if value and len(str(value)) >= 4}, key=len)[::-1]


def scrub(message):
    """A message safe to publish: no URL (they carry hosts and credentials), no configured
    secret, bounded length."""
    message = _URL.sub("<url>", message)
    for secret in _secrets():
        message = message.replace(secret, "***")
    return message[:MESSAGE_MAX_LENGTH]
