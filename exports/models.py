"""Export jobs: one requested CSV/XLSX file of a campaign, built in the background and kept a while."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from analytics.periods import Period
from voiceagent.models import Campaign, choices_check


class ExportKind(models.TextChoices):
    RESULTS = "results", "Campaign results"
    TRANSCRIPTS = "transcripts", "Call transcripts"
    LEADS = "leads", "Lead list"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


class ExportInclude(models.TextChoices):
    """Which calls a results or transcripts export holds (leads exports hold every lead)."""

    FINISHED = "finished", "Finished calls (those counted in calls_made)"
    ALL = "all", "Every call, canceled and in progress included"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


def export_file_path(job, filename):
    # A random folder per file: the stored path is never guessable from the job id or the
    # campaign name, even if the storage were ever served publicly by mistake.
    return f"exports/{uuid.uuid4().hex}/{filename}"


class ExportJob(models.Model):
    # No index of its own: exportjob_user_recent_idx leads with the user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        db_index=False,
    )
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="export_jobs")
    kind = models.CharField(max_length=16, choices=ExportKind.choices)
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    # Ids of the leads (kind leads) or calls (results, transcripts) picked in the admin;
    # null exports the whole campaign.
    selected_ids = models.JSONField(null=True, blank=True)
    # The calls' period: days in settings.TIME_ZONE, both included (a call's day is that of its
    # initiated_at); both null for all time.
    period_from = models.DateField(null=True, blank=True)
    period_to = models.DateField(null=True, blank=True)
    include = models.CharField(
        max_length=16, choices=ExportInclude.choices, default=ExportInclude.FINISHED
    )
    status = models.CharField(
        max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(default=0)
    rows_written = models.PositiveBigIntegerField(default=0)
    total_rows = models.PositiveBigIntegerField(null=True, blank=True)
    file = models.FileField(upload_to=export_file_path, max_length=300, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    # The Celery task id allowed to run this job: a redelivery of that message resumes the job,
    # any other message for it (an older one, after the reaper re-queued it) does nothing.
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # Refreshed with every progress write; a running job whose heartbeat stops has lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("kind", ExportKind), name="exportjob_kind_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("format", ExportFormat), name="exportjob_format_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("status", ExportStatus), name="exportjob_status_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("include", ExportInclude), name="exportjob_include_valid"
            ),
            models.CheckConstraint(
                condition=Q(period_from__isnull=True, period_to__isnull=True)
                | Q(
                    period_from__isnull=False,
                    period_to__isnull=False,
                    period_from__lte=F("period_to"),
                ),
                name="exportjob_period_bounded",
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100),
                name="exportjob_progress_0_100",
            ),
            models.CheckConstraint(
                condition=~Q(status=ExportStatus.SUCCEEDED)
                | (
                    Q(finished_at__isnull=False)
                    & Q(expires_at__isnull=False)
                    & Q(file_size__isnull=False)
                    & ~Q(file="")
                    & Q(progress=100)
                ),
                name="exportjob_succeeded_has_file",
            ),
            models.CheckConstraint(
                condition=~Q(status=ExportStatus.FAILED) | Q(finished_at__isnull=False),
                name="exportjob_failed_has_finished_at",
            ),
            models.CheckConstraint(
                condition=~Q(status=ExportStatus.RUNNING) | Q(started_at__isnull=False),
                name="exportjob_running_has_started_at",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="exportjob_user_recent_idx"),
            models.Index(fields=["status", "expires_at"], name="exportjob_expiry_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="exportjob_stale_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.campaign_id} ({self.format}, {self.status})"

    @property
    def period(self):
        """The Period of the exported calls, None for all time."""
        if self.period_from is None:
            return None
        return Period(first=self.period_from, last=self.period_to)

    @property
    def is_downloadable(self):
        return (
            self.status == ExportStatus.SUCCEEDED
            and bool(self.file)
            and (self.expires_at is None or self.expires_at > timezone.now())
        )
