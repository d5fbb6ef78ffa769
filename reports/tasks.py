"""Celery tasks of scheduled reports: beat queues the due ones, a worker sends each."""

from celery import shared_task

from reports import services


@shared_task(name="reports.queue_due_reports")
def queue_due_reports():
    """Beat, every few minutes: write due deliveries and send each on a worker."""
    for delivery_id in services.queue_due_deliveries():
        send_report_delivery.delay(delivery_id)


@shared_task(name="reports.send_report_delivery")
def send_report_delivery(delivery_id):
    """Send one delivery; a duplicate or redelivered message finds it claimed and does nothing."""
    delivery = services.deliver_report(delivery_id=delivery_id)
    return delivery.status if delivery is not None else None
