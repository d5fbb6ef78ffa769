"""App config of analytics."""

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
