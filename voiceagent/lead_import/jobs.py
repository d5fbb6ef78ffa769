"""Lead imports on Celery: large files (or any, on request) are stored, queued, run with progress.

The import itself is `lead_import.import_leads`, one transaction, so its progress cannot be
written to the LeadImport row while it runs (nobody would see it before the commit): it goes to
the cache, which the status endpoint reads for running jobs.
"""

import logging
import uuid
from functools import partial

from celery import signature
from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from voiceagent.campaigns.services import RuleViolation
from voiceagent.lead_import.files import FileRejected, check_upload, file_size
from voiceagent.lead_import.services import check_importable, import_leads
from voiceagent.models import AuditAction, LeadImport, LeadImportStatus
from voiceagent.personal_data import audit

logger = logging.getLogger(__name__)
PROGRESS_TTL_SECONDS = 6 * 3600
# The Celery task that runs a queued import (voiceagent/tasks.py), sent by name.
IMPORT_LEADS_TASK = "voiceagent.import_leads"


def import_upload(*, campaign, user, file, filename, background=False):
    """Import now (ImportResult) or, for a large file or when asked, queue a LeadImport job."""
    kind = check_upload(file=file, filename=filename)
    # XLSX is compressed and parsed cell by cell: a few MB of it take as long as 10 MB of CSV.
    if kind == "xlsx":
        sync_limit = settings.LEAD_IMPORT_SYNC_MAX_XLSX_BYTES
    else:
        sync_limit = settings.LEAD_IMPORT_SYNC_MAX_BYTES
    if background or file_size(file) > sync_limit:
        # What the job would refuse at once is refused now, while the uploader waits.
        kind = check_importable(campaign=campaign, file=file, filename=filename)
        job = start_import_job(
            campaign=campaign, user=user, file=file, filename=filename, kind=kind
        )
        _audit_import(campaign=campaign, user=user, detail={"lead_import_id": job.pk})
        return job
    result = import_leads(campaign=campaign, file=file, filename=filename)
    _audit_import(
        campaign=campaign,
        user=user,
        detail={"created": result.created, "updated": result.updated, "rows": result.rows},
    )
    return result


def _audit_import(*, campaign, user, detail):
    audit.record(
        action=AuditAction.LEADS_IMPORTED,
        actor=user,
        object_type="campaign",
        object_id=campaign.pk,
        campaign_id=campaign.pk,
        detail=detail,
    )


def start_import_job(*, campaign, user, file, filename, kind):
    """Store the upload and queue its import after commit; returns the LeadImport."""
    with transaction.atomic():
        job = LeadImport(
            campaign=campaign,
            created_by=user if user is not None and user.is_authenticated else None,
            filename=(filename or f"leads.{kind}")[:255],
            file_size=file_size(file),
        )
        file.seek(0)
        job.file.save(f"{uuid.uuid4().hex}.{kind}", File(file), save=False)
        job.save()
        transaction.on_commit(partial(_enqueue, job.pk))
    job.refresh_from_db()
    return job


def _enqueue(job_id):
    try:
        # By name: voiceagent/tasks.py imports this module, never the other way round.
        signature(IMPORT_LEADS_TASK, args=[job_id]).apply_async()
    except Exception:
        # The broker is down: say so on the job rather than leave it pending forever.
        logger.exception("Could not queue lead import %s", job_id)
        job = LeadImport.objects.filter(pk=job_id, status=LeadImportStatus.PENDING).first()
        if job is not None:
            _finish(
                job,
                error="The import could not be queued (task broker unreachable); upload it again.",
            )


def run_import_job(*, lead_import_id):
    """Run a queued import once; safe to call again (a finished job is left as it is)."""
    with transaction.atomic():
        job = LeadImport.objects.select_for_update().filter(pk=lead_import_id).first()
        if job is None or job.status in (LeadImportStatus.SUCCEEDED, LeadImportStatus.FAILED):
            return job
        # A worker killed mid-import gets the message again (acks_late): count the attempts
        # so a file that kills its worker fails instead of looping forever.
        job.attempts += 1
        if job.attempts > settings.LEAD_IMPORT_MAX_ATTEMPTS:
            return _finish(job, error=f"Gave up after {job.attempts - 1} attempts (worker lost).")
        job.status = LeadImportStatus.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["attempts", "status", "started_at"])
    try:
        with job.file.open("rb") as stored:
            result = import_leads(
                campaign=job.campaign,
                file=stored.file,
                filename=job.filename,
                progress=partial(_report_progress, job.pk),
            )
    except (FileRejected, RuleViolation) as exc:
        return _finish(job, error=exc.detail)
    except Exception:
        logger.exception("Lead import %s failed", job.pk)
        return _finish(job, error="The import failed unexpectedly and changed nothing.")
    return _finish(job, result=result)


def _finish(job, *, result=None, error=""):
    if result is not None:
        job.rows = result.rows
        job.created_count = result.created
        job.updated_count = result.updated
        job.skipped_count = result.skipped
        job.duplicate_count = result.duplicates
        job.dnc_count = result.dnc_flagged
        job.invalid_rows = result.invalid_rows
        job.errors = result.errors
        job.errors_truncated = result.errors_truncated
        job.ignored_columns = result.ignored_columns
        job.progress = 100
    job.status = LeadImportStatus.FAILED if error else LeadImportStatus.SUCCEEDED
    job.error = error
    job.finished_at = timezone.now()
    if job.file:
        job.file.delete(save=False)
    job.save()
    _forget_progress(job.pk)
    return job


def _progress_key(job_id):
    return f"lead-import:{job_id}:progress"


def _report_progress(job_id, fraction):
    # Progress is advisory: a cache outage must not fail the import.
    try:
        cache.set(_progress_key(job_id), int(fraction * 100), PROGRESS_TTL_SECONDS)
    except Exception:
        logger.warning("Could not record progress of lead import %s", job_id)


def _forget_progress(job_id):
    try:
        cache.delete(_progress_key(job_id))
    except Exception:
        logger.warning("Could not clear progress of lead import %s", job_id)


def live_progress(job):
    """Progress 0–100 of a job: from the cache while it runs, else as stored."""
    if job.status != LeadImportStatus.RUNNING:
        return job.progress
    try:
        return cache.get(_progress_key(job.pk), job.progress)
    except Exception:
        return job.progress
