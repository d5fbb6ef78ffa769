"""voiceagent: the back office of an outbound Voice-AI real-estate calling agent."""

from voiceagent.celery import app as celery_app

__all__ = ["celery_app"]
