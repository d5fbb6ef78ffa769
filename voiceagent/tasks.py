"""Celery tasks of the call domain: background lead imports; personal data retention."""

from celery import shared_task

from voiceagent.lead_import.jobs import IMPORT_LEADS_TASK, run_import_job
from voiceagent.personal_data import retention


@shared_task(name=IMPORT_LEADS_TASK)
def import_leads_task(lead_import_id):
    """Run one queued lead import; a redelivered message finds it finished and does nothing."""
    job = run_import_job(lead_import_id=lead_import_id)
    return job.status if job is not None else None


@shared_task(name="voiceagent.prune_audit_events")
def prune_audit_events_task():
    """Beat: audit events older than AUDIT_RETENTION_DAYS go (idempotent)."""
    return retention.prune_audit_events()


@shared_task(name="voiceagent.purge_old_transcripts")
def purge_old_transcripts_task():
    """Beat: words and recording URLs older than TRANSCRIPT_RETENTION_DAYS go (idempotent)."""
    return retention.purge_old_transcripts()
