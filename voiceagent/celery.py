"""The Celery app: Redis broker in production, kombu's filesystem transport in embedded mode."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceagent.settings")

FILESYSTEM_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


def ensure_broker_folders(transport_options):
    """Create the folders kombu's filesystem transport reads and writes: it fails on a missing
    one (a worker ping from a web process started before any worker, say)."""
    for key in FILESYSTEM_FOLDERS:
        if transport_options.get(key):
            Path(transport_options[key]).mkdir(parents=True, exist_ok=True)


app = Celery("voiceagent")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
if app.conf.broker_url and app.conf.broker_url.startswith("filesystem://"):
    ensure_broker_folders(app.conf.broker_transport_options or {})
