"""The database away (restarting, refusing connections): requests answer 503 with Retry-After,
not 500, nothing is half stored, and the same request succeeds once the database is back."""

import pytest
from django.db import connections
from rest_framework.authtoken.models import Token

from scripts.harness import free_port
from tests import factories
from voiceagent.models import CallEvent, CallSession

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_away():
    """Point the connection at a local port nothing listens on: a real refused connection."""
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    closed_port = free_port()

    def away():
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=closed_port)

    def back():
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    yield away, back
    back()


def _batch(campaign, lead):
    event = {"call_sid": "CA-AWAY-1", "campaign_id": campaign.pk, "lead_id": lead.pk,
             "occurred_at": "2026-11-20T10:00:00+05:30", "data": {}}  # fmt: skip
    return [
        {**event, "event_id": "away-1", "type": "call.initiated"},
        {**event, "event_id": "away-2", "type": "call.answered"},
    ]


def test_ingestion_answers_503_with_retry_after_while_the_database_is_away(client, database_away):
    away, back = database_away
    campaign = factories.make_campaign("Wakad rentals")
    lead = factories.make_lead(campaign, "Nikhil Patil")
    token = Token.objects.create(user=factories.make_ingest_user("agent"))
    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    batch = _batch(campaign, lead)

    away()
    response = client.post("/api/call-events", batch, content_type="application/json", **headers)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "The database is unavailable for a moment; retry shortly."}
    back()
    assert CallEvent.objects.count() == 0

    response = client.post("/api/call-events", batch, content_type="application/json", **headers)
    assert response.status_code == 202
    assert response.json()["accepted"] == 2
    assert CallSession.objects.get(call_sid="CA-AWAY-1").status == "in_progress"


def test_pages_and_the_analytics_api_answer_503_not_500(client, database_away):
    away, back = database_away
    manager = factories.make_manager("meher")
    client.force_login(manager)
    away()
    page = client.get("/live/")
    api = client.get("/dashboard/realtime")
    back()
    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    assert "Back in a moment" in page.content.decode()
    assert api.status_code == 503
    assert api.json()["detail"].startswith("The database is unavailable")
    assert client.get("/live/").status_code == 200
