"""App config of the call domain."""

from django.apps import AppConfig


class VoiceagentConfig(AppConfig):
    name = "voiceagent"
    verbose_name = "Calls"
