"""Alert delivery on a real Celery worker (a started `celery worker` process, Redis broker)."""

import os
import signal

import pytest

from notifications.models import AlertRule, Delivery
from scripts.harness import wait_until
from tests.exports.test_worker import broker, pool_children, start_worker  # noqa: F401
from tests.factories import make_lead
from tests.voiceagent.ingestion.call_scripts import answered_call
from voiceagent.ingestion.services import ingest_events

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_worker_killed_mid_delivery_still_delivers_exactly_once(team, receiver, start_worker):  # noqa: F811
    rule = AlertRule.objects.create(
        owner=team.member, campaign=team.campaign, channel="slack", target=receiver.url + "/slack"
    )
    receiver.hold("/slack")
    worker = start_worker()
    ingest_events(events=answered_call(make_lead(team.campaign, "Priya Sharma"), "CA-q1"))
    # The worker has sent the Slack request and waits for an answer that will not come.
    assert receiver.arrived.wait(60), "the worker never sent the Slack message"
    (child,) = pool_children(worker.pid)
    os.kill(child, signal.SIGKILL)
    # reject_on_worker_lost requeues the task; a new pool child sends it again.
    wait_until(
        lambda: Delivery.objects.filter(rule=rule, status="succeeded").exists(),
        what="the delivery to succeed",
    )
    delivery = Delivery.objects.get(rule=rule)
    assert (delivery.attempts, delivery.last_response_code) == (2, 200)
    (message,) = receiver.json_to("/slack")
    assert message["text"].startswith("*Qualified lead: Priya Sharma (Powai launch)*")
    # The same events again: duplicates, nothing more to send.
    ingest_events(events=answered_call(delivery.call.lead, "CA-q1"))
    assert Delivery.objects.count() == 1
    assert len(receiver.to("/slack")) == 1
