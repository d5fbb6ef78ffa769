"""Fixed statements' rows come back as the ORM reads the same fields, on PostgreSQL and SQLite."""

import json
from datetime import UTC, datetime

import pytest

from tests.factories import make_call, make_campaign, make_lead
from tests.processes import manage_py, process_environment
from voiceagent import fixed_statements
from voiceagent.models import CallSession, Lead

STATEMENT = (
    "SELECT c.qualification, c.initiated_at, c.ended_at, l.is_dnc, c.duration_seconds "
    "FROM voiceagent_callsession c INNER JOIN voiceagent_lead l ON l.id = c.lead_id "
    "WHERE c.call_sid = %s"
)
FIELDS = [
    CallSession._meta.get_field("qualification"),
    CallSession._meta.get_field("initiated_at"),
    CallSession._meta.get_field("ended_at"),
    Lead._meta.get_field("is_dnc"),
    None,  # as the driver gives it
]
STARTED = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)


def make_subject():
    lead = make_lead(make_campaign("Powai launch"), is_dnc=True)
    return make_call(lead, call_sid="CA-fixed-1", initiated_at=STARTED, duration=90,
                     qualification={"budget": "80 lakh", "rooms": [2, 3]})  # fmt: skip


@pytest.mark.django_db
def test_json_is_parsed_and_datetimes_are_aware_on_postgresql():
    make_subject()

    rows = fixed_statements.fetch("default", STATEMENT, ["CA-fixed-1"], FIELDS)

    ended = datetime(2026, 11, 30, 4, 1, 35, tzinfo=UTC)  # answered 5 s in, 90 s long
    assert rows == [[{"budget": "80 lakh", "rooms": [2, 3]}, STARTED, ended, True, 90]]


ON_SQLITE = """
import json
from tests.voiceagent.test_fixed_statements import FIELDS, STATEMENT, make_subject
from voiceagent import fixed_statements
make_subject()
qualification, initiated, ended, dnc, duration = fixed_statements.fetch(
    "default", STATEMENT, ["CA-fixed-1"], FIELDS
)[0]
print(json.dumps([qualification, initiated.isoformat(), ended.isoformat(), dnc, duration]))
"""


@pytest.mark.slow
def test_json_datetimes_and_booleans_are_converted_on_sqlite(tmp_path):
    """SQLite hands datetimes over as text and booleans as integers: the ORM's converters turn
    them into what PostgreSQL gives (embedded mode runs the same statements)."""
    env = process_environment(DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}")

    manage_py(env, "migrate", "-v", "0")
    assert json.loads(manage_py(env, "shell", "-c", ON_SQLITE)) == [
        {"budget": "80 lakh", "rooms": [2, 3]},
        "2026-11-30T04:00:00+00:00",
        "2026-11-30T04:01:35+00:00",
        True,
        90,
    ]


LIVE_COUNTS_ON_SQLITE = """
import json
from datetime import timedelta
from django.utils import timezone
from analytics.selectors import live_counts_by_campaign
from tests.factories import make_campaign, make_lead, make_scheduled_call
from voiceagent.models import Campaign
campaign = make_campaign("Powai launch", status="running")
now = timezone.now()
make_scheduled_call(make_lead(campaign, "Due"), scheduled_for=now - timedelta(hours=1))
make_scheduled_call(make_lead(campaign, "Later"), scheduled_for=now + timedelta(hours=2))
counts = [
    live_counts_by_campaign(campaigns=Campaign.objects.all(), now=moment)[campaign.pk]
    for moment in (now, timezone.localtime(now))  # one instant, in UTC and in Asia/Kolkata
]
print(json.dumps(counts))
"""


@pytest.mark.slow
def test_the_live_counts_statement_compares_a_moment_as_the_orm_does_on_sqlite(tmp_path):
    """SQLite compares stored datetimes as text (naive UTC): the moment the statement is given is
    written as the ORM writes one, whatever its time zone."""
    env = process_environment(DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}")

    manage_py(env, "migrate", "-v", "0")
    assert json.loads(manage_py(env, "shell", "-c", LIVE_COUNTS_ON_SQLITE)) == [
        {"calls_in_progress": 0, "calls_queued": 1},
        {"calls_in_progress": 0, "calls_queued": 1},
    ]
