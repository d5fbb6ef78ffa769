"""Scheduled email reports: find the periods that are due, claim one delivery per (schedule,
period) and send it. Restart-safe: the unique delivery row is written, then claimed, before the
email goes out, so beat or a worker restarting never sends a period twice."""

import logging

from django.conf import settings
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from analytics.periods import Period
from monitoring.metrics import record_error
from reports import mail, pdf, selectors
from reports.models import ReportDelivery, ReportDeliveryStatus, ReportSchedule

log = logging.getLogger(__name__)


def queue_due_deliveries(*, now=None):
    """Write the delivery row of every active schedule whose last finished period is due at
    `now` (existing rows are left alone), and return the ids of deliveries waiting to be sent:
    pending ones, and ones a worker claimed but never finished within REPORT_SEND_STALE_AFTER."""
    now = now or timezone.now()
    rows = []
    for schedule in ReportSchedule.objects.filter(active=True).only("pk", "frequency", "hour"):
        period = selectors.last_finished_period(schedule.frequency, now=now)
        if now >= selectors.due_at(period, schedule.hour):
            rows.append(
                ReportDelivery(
                    schedule=schedule, period_first=period.first, period_last=period.last
                )
            )
    ReportDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        _sendable(now).filter(schedule__active=True).order_by("pk").values_list("pk", flat=True)
    )


def _sendable(now):
    stale = now - settings.REPORT_SEND_STALE_AFTER
    return ReportDelivery.objects.filter(
        Q(status=ReportDeliveryStatus.PENDING)
        | Q(status=ReportDeliveryStatus.SENDING, claimed_at__lt=stale),
        attempts__lt=settings.REPORT_SEND_MAX_ATTEMPTS,
    )


def deliver_report(*, delivery_id, now=None):
    """Claim the delivery (one atomic UPDATE: a second worker finds nothing to claim), render
    the PDF, email it, mark it sent. Returns the delivery, or None when it was not claimable."""
    now = now or timezone.now()
    claimed = (
        _sendable(now)
        .filter(pk=delivery_id)
        .update(status=ReportDeliveryStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    )
    if not claimed:
        return None
    delivery = ReportDelivery.objects.select_related("schedule__campaign").get(pk=delivery_id)
    try:
        _send(delivery, now=now)
    except Exception as error:  # noqa: BLE001 - any failure is recorded and retried, never lost
        log.exception("Report delivery %s failed", delivery.pk)
        record_error("report_failed", "reports")
        delivery.status = (
            ReportDeliveryStatus.FAILED
            if delivery.attempts >= settings.REPORT_SEND_MAX_ATTEMPTS
            else ReportDeliveryStatus.PENDING
        )
        delivery.error = str(error)[:2000]
        delivery.save(update_fields=["status", "error"])
        return delivery
    delivery.status, delivery.sent_at, delivery.error = (
        ReportDeliveryStatus.SENT,
        timezone.now(),
        "",
    )
    delivery.save(update_fields=["status", "sent_at", "error"])
    return delivery


def _send(delivery, *, now):
    schedule, campaign = delivery.schedule, delivery.schedule.campaign
    period = Period(first=delivery.period_first, last=delivery.period_last)
    report = selectors.campaign_report(campaign=campaign, period=period, now=now)
    context = {**report, "schedule": schedule}
    mail.send_report_email(
        subject=render_to_string("reports/email_subject.txt", context).strip(),
        body=render_to_string("reports/email_body.txt", context),
        recipients=schedule.recipients,
        filename=pdf.pdf_filename(campaign, period),
        pdf_bytes=pdf.render_campaign_pdf(report),
    )
