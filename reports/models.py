"""Scheduled email reports: who gets which campaign's report how often, and what was sent."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from voiceagent.models import Campaign


class ReportFrequency(models.TextChoices):
    DAILY = "daily", "Daily (the previous day)"
    WEEKLY = "weekly", "Weekly (the previous Monday–Sunday)"


class ReportScheduleQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(campaign__in=Campaign.objects.visible_to(user))


class ReportSchedule(models.Model):
    """Send `campaign`'s report for the last finished period to `recipients` at `hour` o'clock
    (settings.TIME_ZONE) once the period is over."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="report_schedules"
    )
    frequency = models.CharField(max_length=10, choices=ReportFrequency.choices)
    hour = models.PositiveSmallIntegerField(
        default=9, validators=[MaxValueValidator(23)], help_text="Local hour (0–23), TIME_ZONE."
    )
    recipients = models.JSONField(default=list, help_text="Email addresses.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReportScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hour__lte=23), name="report_schedule_hour_0_23"
            ),
        ]

    def __str__(self):
        return f"{self.get_frequency_display()} report of {self.campaign} at {self.hour:02d}:00"


class ReportDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class ReportDelivery(models.Model):
    """One report of one schedule for one period: the row is claimed before the email is sent,
    and (schedule, period_first) is unique, so a period is reported once whatever restarts."""

    # No index of its own: report_delivery_once_per_period leads with the schedule.
    schedule = models.ForeignKey(
        ReportSchedule, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    period_first = models.DateField()
    period_last = models.DateField()
    status = models.CharField(
        max_length=10, choices=ReportDeliveryStatus.choices, default=ReportDeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_first", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "period_first"], name="report_delivery_once_per_period"
            ),
        ]
        indexes = [models.Index(fields=["status"], name="report_delivery_status_idx")]

    def __str__(self):
        return f"{self.schedule} for {self.period_first}–{self.period_last}: {self.status}"
