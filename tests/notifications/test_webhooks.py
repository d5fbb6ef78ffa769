"""Outbound webhooks: Standard Webhooks signatures, call.completed for every finished call,
retries with the same webhook-id, the delivery log, redelivery, disabling, address guard."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from standardwebhooks.webhooks import Webhook

from notifications.models import Delivery, WebhookEndpoint
from tests.factories import make_ingest_user, make_lead
from tests.notifications.helpers import deliver_pending, post_events
from tests.voiceagent.ingestion.call_scripts import answered_call, unanswered_call, voicemail_call


@pytest.fixture
def agent(api_client):
    return api_client(make_ingest_user("agent"))


@pytest.fixture
def endpoint(team, channels, receiver, api_client):
    channels.DEBUG = True  # http:// to the local receiver
    response = api_client(team.member).post(
        "/api/webhooks/",
        {"url": receiver.url + "/hook", "events": ["call.completed", "lead.qualified"],
         "campaign": team.campaign.pk},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()


def verified(request, secret):
    """The payload, verified with the standardwebhooks library (raises when it does not)."""
    return Webhook(secret).verify(request["body"], request["headers"])


def test_created_endpoint_shows_its_whsec_secret_once(endpoint, team, api_client):
    assert endpoint["secret"].startswith("whsec_")
    shown = api_client(team.member).get(f"/api/webhooks/{endpoint['id']}/").json()
    assert "secret" not in shown
    assert shown["events"] == ["call.completed", "lead.qualified"]


def test_receiver_answering_500_twice_gets_the_same_webhook_id_three_times_all_verifying(
    team, endpoint, agent, receiver
):
    receiver.statuses["/hook"] = [500, 500]
    lead = make_lead(team.campaign, "Priya Sharma", phone="+919812345678")
    post_events(agent, unanswered_call(lead, "CA-busy", outcome="busy"))
    start = timezone.now()
    for minutes in (0, 1, 3):
        deliver_pending(now=start + timedelta(minutes=minutes))

    requests = receiver.to("/hook")
    assert [r["status"] for r in requests] == [500, 500, 200]
    assert len({r["headers"]["webhook-id"] for r in requests}) == 1
    payloads = [verified(r, endpoint["secret"]) for r in requests]
    assert payloads[0] == payloads[1] == payloads[2]
    data = payloads[0]["data"]
    assert payloads[0]["type"] == "call.completed"
    assert data == {
        "call_sid": "CA-busy",
        "campaign_id": team.campaign.pk,
        "lead": {"id": lead.pk, "name": "Priya Sharma", "phone": "+919812345678"},
        "status": "busy",
        "outcome": "no_answer",
        "ended_by": "system",
        "duration_seconds": 0,
        "started_at": "2025-01-15T05:30:02+00:00",
        "ended_at": "2025-01-15T05:30:34+00:00",
        "stages_reached": [],
        "qualification": {},
        "objections": [],
        "recording_url": None,
    }
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        "succeeded", 3, 200,
    )  # fmt: skip
    assert requests[0]["headers"]["webhook-id"] == delivery.message_id


def test_a_tampered_body_does_not_verify(team, endpoint, agent, receiver):
    post_events(agent, unanswered_call(make_lead(team.campaign), "CA-1"))
    deliver_pending()
    (request,) = receiver.to("/hook")
    request["body"] = request["body"].replace(b"CA-1", b"CA-2")
    with pytest.raises(Exception, match="No matching signature found"):
        verified(request, endpoint["secret"])


def test_every_finished_call_fires_call_completed_and_qualified_ones_lead_qualified(
    team, endpoint, agent, receiver
):
    lead = make_lead(team.campaign, "Priya Sharma")
    events = (
        answered_call(lead, "CA-q")
        + answered_call(lead, "CA-ni", outcome="not_interested", start=600)
        + unanswered_call(lead, "CA-na", start=1200)
        + unanswered_call(lead, "CA-busy", outcome="busy", start=1800)
        + unanswered_call(lead, "CA-fail", outcome="failed", start=2400)
        + voicemail_call(lead, "CA-vm", start=3000)
    )
    for _ in range(2):
        post_events(agent, events)
        deliver_pending()
    sent = sorted(
        (p["type"], p["data"]["call_sid"], p["data"]["status"], p["data"]["outcome"])
        for p in receiver.json_to("/hook")
    )
    assert sent == [
        ("call.completed", "CA-busy", "busy", "no_answer"),
        ("call.completed", "CA-fail", "failed", "failed"),
        ("call.completed", "CA-na", "no_answer", "no_answer"),
        ("call.completed", "CA-ni", "completed", "not_interested"),
        ("call.completed", "CA-q", "completed", "qualified"),
        ("call.completed", "CA-vm", "completed", "voicemail"),
        ("lead.qualified", "CA-q", "completed", "qualified"),
    ]
    qualified = next(p for p in receiver.json_to("/hook") if p["type"] == "lead.qualified")
    assert qualified["data"]["qualification"] == {
        "purpose": "buy", "budget": "80 lakh", "timeline": "3 months", "interest_level": "high",
    }  # fmt: skip
    assert qualified["data"]["objections"] == [{"category": "price", "text": "Prices are high."}]
    assert qualified["data"]["stages_reached"] == ["greeting", "discovery", "closing"]
    assert qualified["data"]["recording_url"] == "https://recordings.example.in/CA-q.mp3"
    assert qualified["data"]["ended_by"] == "lead"


def test_delivery_log_shows_status_attempts_code_and_next_attempt(
    team, endpoint, agent, receiver, api_client, django_assert_max_num_queries
):
    receiver.statuses["/hook"] = [502]
    post_events(agent, unanswered_call(make_lead(team.campaign), "CA-1"))
    deliver_pending()
    delivery = Delivery.objects.get()
    client = api_client(team.member)
    with django_assert_max_num_queries(6):
        body = client.get(f"/api/webhooks/{endpoint['id']}/deliveries").json()
    (row,) = body["results"]
    assert {k: row[k] for k in ("id", "event_type", "webhook_id", "call_sid", "status",
                                "attempts", "last_response_code")} == {  # fmt: skip
        "id": delivery.pk, "event_type": "call.completed", "webhook_id": delivery.message_id,
        "call_sid": "CA-1", "status": "pending", "attempts": 1, "last_response_code": 502,
    }  # fmt: skip
    assert parse_datetime(row["next_attempt_at"]) == delivery.next_attempt_at
    outsider = api_client(team.outsider)
    assert outsider.get(f"/api/webhooks/{endpoint['id']}/deliveries").status_code == 404


def test_redeliver_sends_a_succeeded_delivery_again_with_the_same_webhook_id(
    team, endpoint, agent, receiver, api_client
):
    post_events(agent, unanswered_call(make_lead(team.campaign), "CA-1"))
    deliver_pending()
    delivery = Delivery.objects.get()
    client = api_client(team.member)
    path = f"/api/webhooks/{endpoint['id']}/deliveries/{delivery.pk}/redeliver"
    response = client.post(path)
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["attempts"]) == ("pending", 0)
    deliver_pending()
    ids = [r["headers"]["webhook-id"] for r in receiver.to("/hook")]
    assert ids == [delivery.message_id, delivery.message_id]
    assert api_client(team.outsider).post(path).status_code == 404
    assert (
        client.post(f"/api/webhooks/{endpoint['id']}/deliveries/999999/redeliver").status_code
        == 404
    )


def test_endpoint_failing_for_three_days_is_disabled_and_its_owner_emailed(
    team, endpoint, agent, receiver, smtp_server
):
    team.member.email = "member@skyline.example"
    team.member.save()
    receiver.statuses["/hook"] = [500] * 10
    post_events(agent, unanswered_call(make_lead(team.campaign), "CA-1"))
    start = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint["id"]).update(
        failing_since=start - timedelta(days=2)
    )
    deliver_pending(now=start)
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).active is True
    WebhookEndpoint.objects.filter(pk=endpoint["id"]).update(
        failing_since=start - timedelta(days=3)
    )
    Delivery.objects.update(next_attempt_at=start)
    deliver_pending(now=start + timedelta(seconds=1))
    from notifications.services import notify_endpoint_disabled

    notify_endpoint_disabled(endpoint_id=endpoint["id"])  # on_commit inside the test transaction
    stored = WebhookEndpoint.objects.get(pk=endpoint["id"])
    assert (stored.active, stored.disabled_at is not None) == (False, True)
    assert Delivery.objects.get().status == "failed"
    (mail,) = smtp_server.messages
    assert (mail["To"], mail["Subject"]) == (
        "member@skyline.example", f"Webhook endpoint disabled: {receiver.url}/hook",
    )  # fmt: skip
    post_events(agent, unanswered_call(make_lead(team.campaign), "CA-2"))
    assert Delivery.objects.count() == 1  # a disabled endpoint gets no new deliveries


def test_redirect_is_not_followed_and_counts_as_a_failure(team, endpoint, agent, receiver):
    receiver.statuses["/hook"] = [302]
    post_events(agent, unanswered_call(make_lead(team.campaign), "CA-1"))
    deliver_pending()
    assert [r["path"] for r in receiver.requests] == ["/hook"]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_response_code) == ("pending", 302)


def test_loopback_address_is_refused_at_send_time_without_allow_private(
    team, endpoint, agent, receiver, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    post_events(agent, unanswered_call(make_lead(team.campaign), "CA-1"))
    deliver_pending()
    assert receiver.requests == []
    assert Delivery.objects.get().last_error == (
        "Refused: the host '127.0.0.1' resolves to 127.0.0.1, a private or loopback address "
        "(allowed only with WEBHOOK_ALLOW_PRIVATE=1)."
    )


def test_payload_is_the_standard_webhooks_json(team, endpoint, agent, receiver):
    post_events(agent, unanswered_call(make_lead(team.campaign), "CA-1"))
    deliver_pending()
    (request,) = receiver.to("/hook")
    assert request["headers"]["content-type"] == "application/json"
    assert request["headers"]["webhook-signature"].startswith("v1,")
    assert set(json.loads(request["body"])) == {"type", "timestamp", "data"}
