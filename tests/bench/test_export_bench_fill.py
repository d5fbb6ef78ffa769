"""The export benchmark's set-based fill still matches the schema (it once broke silently when
CallSession gained a NOT NULL column): the same SQL, scaled down, in the test database."""

import pytest
from django.db import connection

from bench.export_bench import FILL_SQL
from voiceagent.models import CallSession, Campaign, Lead, Objection

pytestmark = pytest.mark.django_db


def test_fill_sql_builds_the_two_campaigns_on_the_current_schema():
    scaled = FILL_SQL.replace("THEN 100000 ELSE 1000000", "THEN 100 ELSE 1000")
    assert scaled != FILL_SQL
    with connection.cursor() as cursor:
        cursor.execute(scaled)
    counts = {
        campaign.name: (campaign.leads.count(), campaign.calls.count())
        for campaign in Campaign.objects.all()
    }
    assert counts == {"Bench 100k": (20, 100), "Bench 1M": (200, 1000)}
    assert Lead.objects.count() == 220
    assert CallSession.objects.filter(outcome="qualified").count() == 25 + 250
    assert Objection.objects.count() == 220  # one per fifth call id
