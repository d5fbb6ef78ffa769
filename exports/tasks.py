"""Celery tasks of exports: thin wrappers that call the services with ids and plain values.

Reliability comes from the settings (acks_late, reject_on_worker_lost, time limits, a visibility
timeout above the longest export) and from the job row itself: see exports/services.py.
"""

from celery import shared_task

from exports import services


@shared_task(name="exports.run_export_job", bind=True)
def run_export_job(self, job_id):
    job = services.run_export_job(job_id=job_id, task_id=self.request.id)
    return None if job is None else job.status


@shared_task(name="exports.expire_export_jobs")
def expire_export_jobs():
    return services.expire_export_jobs()


@shared_task(name="exports.reap_stale_export_jobs")
def reap_stale_export_jobs():
    result = services.reap_stale_export_jobs()
    return {"requeued": result.requeued, "failed": result.failed}
