"""Helpers of the notification tests: ingest a call, run the outbox as the worker would."""

import json

from notifications import services
from notifications.models import Delivery, DeliveryStatus

EVENTS_URL = "/api/call-events"


def post_events(client, events):
    response = client.post(EVENTS_URL, json.dumps(events), content_type="application/json")
    assert response.status_code == 202, response.content
    return response.json()


def deliver_pending(*, now=None):
    """One attempt at every pending delivery (what the worker's task does), oldest first."""
    for pk in (
        Delivery.objects.filter(status=DeliveryStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        services.attempt_delivery(delivery_id=pk, now=now)
