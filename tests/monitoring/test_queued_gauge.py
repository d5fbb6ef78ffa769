"""queued_calls counts the queue of running campaigns only (glossary calls_queued)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.monitoring.helpers import sample
from voiceagent.models import CallStatus, CampaignStatus

pytestmark = pytest.mark.django_db


def test_pausing_a_campaign_drops_its_calls_and_follow_ups_from_queued_calls(scrape):
    running = factories.make_campaign()
    paused = factories.make_campaign(status=CampaignStatus.PAUSED)
    for campaign in (running, paused):
        lead = factories.make_lead(campaign)
        factories.make_call(lead, status=CallStatus.QUEUED, answered=False)
        factories.make_scheduled_call(lead, scheduled_for=timezone.now() - timedelta(minutes=1))
    assert sample(scrape(), "queued_calls") == 2

    paused.status = CampaignStatus.RUNNING
    paused.save(update_fields=["status"])
    assert sample(scrape(), "queued_calls") == 4

    running.status = CampaignStatus.PAUSED
    running.save(update_fields=["status"])
    assert sample(scrape(), "queued_calls") == 2
