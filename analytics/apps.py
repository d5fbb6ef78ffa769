"""App config of analytics: metric selectors, rollups, dashboard API and pages, live updates."""

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self):
        from analytics import live
        from analytics.rollups import tracking
        from voiceagent import events

        events.calls_changed.connect(
            live.on_calls_changed, dispatch_uid="analytics.live.calls_changed"
        )
        events.live_counts_changed.connect(
            live.on_live_counts_changed, dispatch_uid="analytics.live.live_counts_changed"
        )
        events.export_progress.connect(
            live.on_export_progress, dispatch_uid="analytics.live.export_progress"
        )
        tracking.connect()
