"""Celery tasks of the call domain: background lead imports."""

from celery import shared_task

from voiceagent.lead_import.jobs import IMPORT_LEADS_TASK, run_import_job


@shared_task(name=IMPORT_LEADS_TASK)
def import_leads_task(lead_import_id):
    """Run one queued lead import; a redelivered message finds it finished and does nothing."""
    job = run_import_job(lead_import_id=lead_import_id)
    return job.status if job is not None else None
