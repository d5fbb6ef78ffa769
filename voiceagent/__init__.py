"""voiceagent: the back office of an outbound Voice-AI real-estate calling agent."""

# First, before the Celery app below loads the settings: the embedded mode's settings file
# (var/embedded.env, written by `make run`) fills what the environment leaves unset, so that
# manage.py, the ASGI/WSGI app and Celery all find the `make run` setup.
from voiceagent.embedded_env import apply_embedded_env

apply_embedded_env()

from voiceagent.celery import app as celery_app  # noqa: E402

__all__ = ["celery_app"]
