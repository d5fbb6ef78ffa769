"""Celery tasks of exports: thin wrappers that call the services with ids and plain values.

Reliability comes from the settings (acks_late, reject_on_worker_lost, time limits, a visibility
timeout above the longest export) and from the job row itself: see exports/services.py.
"""

import logging

from celery import shared_task
from django import db
from django.conf import settings

from exports import services

logger = logging.getLogger(__name__)


@shared_task(name=services.RUN_EXPORT_JOB_TASK, bind=True, max_retries=None)
def run_export_job(self, job_id):
    """Run the job; when the database goes away, retry this same delivery until it is back.

    The job row still names this task id, so the retried delivery claims it again (one more
    attempt of EXPORT_MAX_ATTEMPTS); the reaper stays the backstop if the worker dies too.
    """
    try:
        job = services.run_export_job(job_id=job_id, task_id=self.request.id)
    except (services.DatabaseLost, *services.DATABASE_ERRORS) as exc:
        db.connection.close()  # the next run opens a fresh one
        if self.request.retries >= settings.EXPORT_DB_RETRIES:
            raise
        logger.warning("export job %s: database lost (%s); retrying", job_id, exc)
        raise self.retry(exc=exc, countdown=settings.EXPORT_DB_RETRY_SECONDS) from exc
    return None if job is None else job.status


@shared_task(name="exports.expire_export_jobs")
def expire_export_jobs():
    return services.expire_export_jobs()


@shared_task(name="exports.reap_stale_export_jobs")
def reap_stale_export_jobs():
    result = services.reap_stale_export_jobs()
    return {"requeued": result.requeued, "failed": result.failed}
