"""App config of analytics: metric selectors, rollups, dashboard API and pages, live updates."""

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def reinstall_sqlite_totals_triggers(sender, using, **kwargs):
    """On SQLite (embedded mode), install the totals' triggers again and recount after every
    migrate: a migration that rebuilds the leads', funnel rows' or campaigns' table there (as
    SQLite's AddField and AlterField do) drops its triggers silently. PostgreSQL alters tables
    in place; there a recount would lock ingestion out on every deploy."""
    from analytics.models import FunnelTotals, LeadTotals
    from analytics.rollups import totals

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    tables = set(connection.introspection.table_names())
    if {LeadTotals._meta.db_table, FunnelTotals._meta.db_table} <= tables:
        totals.install(connection, steps=totals.funnel_steps())


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
        post_migrate.connect(
            reinstall_sqlite_totals_triggers,
            sender=self,
            dispatch_uid="analytics.reinstall_sqlite_totals_triggers",
        )
