"""Which database each path reads: analytics reads on the replica when one is configured, writes
and read-your-write paths on the primary. The replica here is a second alias on the same test
database (a TEST MIRROR), so the queries of each connection show where each read went."""

import re
from contextlib import ExitStack

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    make_call,
    make_campaign,
    make_ingest_user,
    make_lead,
    make_manager,
    make_user,
)
from voiceagent.db_routers import REPLICA, analytics_alias, analytics_reads
from voiceagent.models import CallSession

# The replica alias is a mirror: Django neither creates nor flushes it, and the committed rows
# of these transactional tests are what its connection reads.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

TABLE = re.compile(r'FROM "(\w+)"')


@pytest.fixture(scope="module", autouse=True)
def replica(django_db_setup):
    """The `replica` alias on the test database, for this module's tests: added after the test
    database exists (so NAME is its name) and before each test's database access checks (a
    module fixture comes before function fixtures), which must know the alias."""
    settings_dict = {**connections.settings[DEFAULT_DB_ALIAS]}
    settings_dict["TEST"] = {**settings_dict.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[REPLICA] = settings_dict
    try:
        yield connections[REPLICA]
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


class Reads:
    """The tables read (FROM) and the statements' first words, per alias, while in the block."""

    def __init__(self, *aliases):
        self.captures = {alias: CaptureQueriesContext(connections[alias]) for alias in aliases}
        self.stack = ExitStack()

    def __enter__(self):
        for capture in self.captures.values():
            self.stack.enter_context(capture)
        return self

    def __exit__(self, *exc):
        return self.stack.__exit__(*exc)

    def tables(self, alias):
        return {t for q in self.captures[alias].captured_queries for t in TABLE.findall(q["sql"])}

    def verbs(self, alias):
        return {q["sql"].split()[0].upper() for q in self.captures[alias].captured_queries}


@pytest.fixture
def member_data():
    member = make_manager("asha")
    campaign = make_campaign("Powai launch", members=[member])
    for _ in range(3):
        make_call(make_lead(campaign))
    make_call(make_lead(campaign), status="in_progress", answered=False)
    return member, campaign


def token_client(user):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def session_client(user):
    client = Client()
    client.force_login(user)
    return client


AUTH_TABLES = {"authtoken_token", "auth_user", "django_session"}


def test_analytics_alias_is_the_replica_with_one_and_the_primary_without():
    assert analytics_alias() == "replica"
    replica_settings = connections.settings.pop(REPLICA)
    try:
        assert analytics_alias() == "default"
    finally:
        connections.settings[REPLICA] = replica_settings


def test_campaign_metrics_are_read_on_the_replica_and_the_token_on_the_primary(
    replica, member_data
):
    member, campaign = member_data
    client = token_client(member)

    with Reads("default", "replica") as reads:
        response = client.get(f"/analytics/campaigns/{campaign.pk}/metrics")

    assert response.status_code == 200
    assert response.json()["calls_made"] == 3
    assert {"voiceagent_callsession", "voiceagent_lead"} <= reads.tables("replica")
    assert reads.tables("default") <= AUTH_TABLES
    assert "voiceagent_callsession" not in reads.tables("default")


def test_the_overview_page_is_read_on_the_replica(replica, member_data):
    member, campaign = member_data

    with Reads("default", "replica") as reads:
        response = session_client(member).get("/")

    assert response.status_code == 200
    assert "voiceagent_callsession" in reads.tables("replica")
    assert reads.tables("default") <= AUTH_TABLES


def test_a_write_inside_analytics_reads_goes_to_the_primary(replica, member_data):
    member, campaign = member_data
    client = token_client(member)

    # The summary lists leads, so it writes an audit event while reading on the replica.
    with Reads("default", "replica") as reads:
        response = client.get(f"/dashboard/campaigns/{campaign.pk}/summary")

    assert response.status_code == 200
    assert "INSERT" in reads.verbs("default")
    assert reads.verbs("replica") == {"SELECT"}


def test_realtime_is_read_on_the_primary(replica, member_data):
    member, campaign = member_data

    with Reads("default", "replica") as reads:
        response = token_client(member).get("/dashboard/realtime")

    assert response.json()["calls_in_progress"] == 1
    assert reads.captures["replica"].captured_queries == []
    assert "voiceagent_callsession" in reads.tables("default")


def test_ingestion_and_campaign_crud_never_touch_the_replica(replica, member_data):
    member, campaign = member_data
    lead = make_lead(campaign)
    agent = token_client(make_ingest_user("agent"))
    event = {"event_id": "r-1", "type": "call.initiated", "occurred_at": timezone.now().isoformat(),
             "call_sid": "CA-R-1", "campaign_id": campaign.pk, "lead_id": lead.pk, "data": {}}  # fmt: skip

    with Reads("default", "replica") as reads:
        posted = agent.post("/api/call-events", [event], format="json")
        listed = token_client(member).get("/api/campaigns/")
        patched = token_client(make_user("boss", staff=True)).patch(
            f"/api/campaigns/{campaign.pk}", {"name": "Powai phase 2"}, format="json"
        )

    assert (posted.status_code, listed.status_code, patched.status_code) == (202, 200, 200)
    assert reads.captures["replica"].captured_queries == []
    assert {"voiceagent_callsession", "voiceagent_campaign"} <= reads.tables("default")
    assert CallSession.objects.filter(call_sid="CA-R-1").count() == 1


def test_a_small_export_counts_its_rows_on_the_replica(replica, member_data):
    member, campaign = member_data

    with Reads("default", "replica") as reads:
        response = session_client(member).get(f"/exports/campaigns/{campaign.pk}/results")
        body = b"".join(response.streaming_content).decode()

    assert response.status_code == 200
    assert len(body.strip().splitlines()) == 1 + 3  # header and the three finished calls
    assert "voiceagent_callsession" in reads.tables("replica")
    assert "voiceagent_callsession" not in reads.tables("default")


def test_users_and_tokens_stay_on_the_primary_inside_analytics_reads(replica, member_data):
    member, _ = member_data
    from django.contrib.auth import get_user_model

    with Reads("default", "replica") as reads, analytics_reads():
        get_user_model().objects.get(pk=member.pk)
        CallSession.objects.count()

    assert reads.tables("default") == {"auth_user"}
    assert reads.tables("replica") == {"voiceagent_callsession"}


def test_the_campaign_report_pdf_is_read_on_the_replica(replica, member_data):
    member, campaign = member_data

    with Reads("default", "replica") as reads:
        response = token_client(member).get(f"/reports/campaigns/{campaign.pk}.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "voiceagent_callsession" in reads.tables("replica")
    assert "voiceagent_callsession" not in reads.tables("default")
