"""The Celery app: Redis broker in production, kombu's filesystem transport in embedded mode."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceagent.settings")

app = Celery("voiceagent")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
