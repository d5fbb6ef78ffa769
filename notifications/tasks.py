"""Celery tasks of notifications: thin wrappers around notifications.services.

`deliver` makes one attempt and, while the delivery stays pending, schedules itself again at
its next attempt time (exponential backoff). `deliver_due` (beat) is the backstop for messages
lost between commit and broker, and for retries whose scheduled task was lost.
"""

from celery import shared_task
from django.utils import timezone

from notifications import services
from notifications.models import DeliveryStatus
from notifications.outbox import DELIVER_TASK


@shared_task(name=DELIVER_TASK, bind=True, max_retries=None)
def deliver(self, delivery_id):
    delivery = services.attempt_delivery(delivery_id=delivery_id)
    if delivery is not None and delivery.status == DeliveryStatus.PENDING:
        countdown = max((delivery.next_attempt_at - timezone.now()).total_seconds(), 0)
        raise self.retry(countdown=countdown)
    return None if delivery is None else delivery.status


@shared_task(name="notifications.deliver_due")
def deliver_due():
    due = services.due_deliveries()
    for delivery_id in due:
        deliver.delay(delivery_id)
    return len(due)
