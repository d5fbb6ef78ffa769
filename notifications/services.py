"""Delivering the outbox: one attempt per call, retries with exponential backoff, the log.

An attempt is counted in its own committed transaction, then the message is sent while the row
is locked (SELECT ... FOR UPDATE) and marked in that same transaction. A second copy of the
task skips a locked row; a worker killed mid-send drops its connection, the lock goes with it,
the row is still pending and the requeued task sends it again. So one message per row reaches
the receiver unless the worker dies in the instant between the receiver's answer and COMMIT.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from monitoring.metrics import record_error
from notifications import senders
from notifications.email import send_email
from notifications.models import Delivery, DeliveryStatus, WebhookEndpoint
from notifications.outbox import enqueue_after_commit

logger = logging.getLogger(__name__)


def backoff_seconds(*, attempts, base):
    """Seconds to wait after the `attempts`-th failed attempt: base, 2×base, 4×base, ..."""
    return base * 2 ** max(attempts - 1, 0)


def _base(delivery):
    return (
        settings.WEBHOOK_RETRY_BASE_SECONDS
        if delivery.endpoint_id
        else settings.ALERT_RETRY_BASE_SECONDS
    )


def _claim(delivery_id, now):
    """Count one attempt of a due, pending delivery; None when there is nothing to do now."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None or (delivery.next_attempt_at and delivery.next_attempt_at > now):
            return None
        if delivery.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            delivery.last_error = (
                f"Started {delivery.attempts} times without finishing (the worker died each "
                "time); given up."
            )
            delivery.save()
            record_error("delivery_failed", "notifications")
            return None
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.save(update_fields=["attempts", "last_attempt_at"])
        return delivery


def attempt_delivery(*, delivery_id, now=None):
    """Make one attempt at a delivery if it is pending and due; return it (None if skipped)."""
    if _claim(delivery_id, now or timezone.now()) is None:
        return None
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("rule", "endpoint", "endpoint__owner")
            .get(pk=delivery_id)
        )
        if delivery.status != DeliveryStatus.PENDING:
            return delivery
        result = senders.send(delivery)
        delivery.last_response_code = result.response_code
        if result.ok:
            _succeeded(delivery)
        else:
            _failed(delivery, result.error, now=now or timezone.now())
        delivery.save()
    return delivery


def _succeeded(delivery):
    delivery.status = DeliveryStatus.SUCCEEDED
    delivery.delivered_at = timezone.now()
    delivery.next_attempt_at = None
    delivery.last_error = ""
    if delivery.endpoint_id and delivery.endpoint.failing_since:
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(failing_since=None)


def _failed(delivery, error, *, now):
    record_error("delivery_failed", "notifications")
    logger.warning("delivery %s (%s) failed: %s", delivery.pk, delivery.key, error)
    delivery.last_error = error[:500]
    next_at = now + timedelta(
        seconds=backoff_seconds(attempts=delivery.attempts, base=_base(delivery))
    )
    if next_at > delivery.retry_until:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = next_at
    if delivery.endpoint_id and _endpoint_failed(delivery.endpoint, now=now):
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None


def _endpoint_failed(endpoint, *, now):
    """Note the endpoint failing; one failing for WEBHOOK_DISABLE_AFTER_SECONDS is disabled and
    its owner told by email."""
    if endpoint.failing_since is None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since=None).update(failing_since=now)
        return
    if endpoint.disabled_at or now - endpoint.failing_since < timedelta(
        seconds=settings.WEBHOOK_DISABLE_AFTER_SECONDS
    ):
        return
    disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at=None).update(
        active=False, disabled_at=now
    )
    if disabled:
        Delivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            last_error="The endpoint was disabled after failing for days.",
        )
        transaction.on_commit(lambda: notify_endpoint_disabled(endpoint_id=endpoint.pk))
    return bool(disabled)


def notify_endpoint_disabled(*, endpoint_id):
    endpoint = WebhookEndpoint.objects.select_related("owner").get(pk=endpoint_id)
    if not endpoint.owner.email:
        logger.warning("webhook endpoint %s disabled; its owner has no email", endpoint.pk)
        return
    days = settings.WEBHOOK_DISABLE_AFTER_SECONDS / 86400
    try:
        send_email(
            to=[endpoint.owner.email],
            subject=f"Webhook endpoint disabled: {endpoint.url}",
            body=(
                f"Your webhook endpoint {endpoint.url} (id {endpoint.pk}) has failed every "
                f"delivery for {days:g} days and has been disabled. Fix the receiver, then "
                f"turn it back on with PATCH /api/webhooks/{endpoint.pk}/ "
                '{"active": true} and redeliver what it missed from its delivery log.\n'
            ),
        )
    except Exception:  # the endpoint stays disabled either way; the log says why no mail came
        record_error("delivery_failed", "notifications")
        logger.exception("could not email the owner of disabled webhook %s", endpoint.pk)


def redeliver(*, delivery):
    """Send a delivery again now (same webhook-id), whatever its state; returns it."""
    now = timezone.now()
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            retry_until=now + timedelta(seconds=settings.WEBHOOK_RETRY_FOR_SECONDS),
            attempts=0,
        )
        enqueue_after_commit([delivery.pk])
    delivery.refresh_from_db()
    return delivery


def due_deliveries(*, now=None, limit=500):
    """Ids of pending deliveries whose next attempt is due (the sweep's backstop)."""
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def set_endpoint_active(*, endpoint, active):
    """Turning an endpoint back on clears its disabled state and failure clock."""
    endpoint.active = active
    if active:
        endpoint.disabled_at = None
        endpoint.failing_since = None
    return endpoint
