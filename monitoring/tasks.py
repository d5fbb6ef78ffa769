"""Periodic monitoring tasks, scheduled by Celery beat (settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from monitoring import checks, external, heartbeat


@shared_task(ignore_result=True)
def record_scheduler_heartbeat():
    """Beat schedules it, a worker runs it: a fresh timestamp means both are alive."""
    return heartbeat.record_heartbeat()


@shared_task(ignore_result=True)
def refresh_component_statuses():
    """Check the external APIs (the only place they are called from, besides a stale probe's
    one refresh) and the local components, and cache every result for probes and pages."""
    results = external.refresh_all()
    outcomes = checks.run_checks(checks.local_checks())
    checks.store_outcomes(outcomes)
    return {
        **{name: result["status"] for name, result in results.items()},
        **{outcome.name: outcome.status for outcome in outcomes},
    }
