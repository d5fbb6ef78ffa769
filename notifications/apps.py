"""App config of notifications: alert rules, outbound webhooks and their delivery outbox."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"
