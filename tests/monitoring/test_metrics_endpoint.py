"""/health/metrics: database-truth gauges, campaign labels, token, aliases, promtool-valid text."""

import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.monitoring.helpers import sample
from voiceagent.models import CallStatus, CampaignStatus, ScheduledCallStatus

pytestmark = pytest.mark.django_db


def build_calls(campaign, *, size):
    """`size` calls in each state that matters to the gauges, plus scheduled calls."""
    lead = factories.make_lead(campaign)
    now = timezone.now()
    for _ in range(size):
        for status in (
            CallStatus.QUEUED,
            CallStatus.INITIATED,
            CallStatus.RINGING,
            CallStatus.IN_PROGRESS,
            CallStatus.COMPLETED,
            CallStatus.CANCELED,
        ):
            factories.make_call(lead, status=status)
        factories.make_scheduled_call(lead, scheduled_for=now - timedelta(minutes=1))  # due
        factories.make_scheduled_call(lead, scheduled_for=now + timedelta(hours=1))  # later
        factories.make_scheduled_call(
            lead, scheduled_for=now - timedelta(hours=1), status=ScheduledCallStatus.DONE
        )


def test_active_and_queued_calls_equal_the_database_at_scrape_time(scrape):
    campaign = factories.make_campaign()
    build_calls(campaign, size=2)
    samples = scrape()
    # in progress: initiated + ringing + in_progress; queued: queued sessions + due schedules.
    assert sample(samples, "active_calls") == 6
    assert sample(samples, "queued_calls") == 4
    factories.make_call(factories.make_lead(campaign), status=CallStatus.IN_PROGRESS)
    assert sample(scrape(), "active_calls") == 7


@pytest.mark.parametrize("size", [1, 5])
def test_scrape_runs_three_queries_whatever_the_data_size(client, django_assert_num_queries, size):
    for _ in range(size):
        build_calls(factories.make_campaign(), size=size)
    with django_assert_num_queries(3):
        response = client.get("/health/metrics")
    assert response.status_code == 200


def test_campaign_status_is_1_for_running_campaigns_and_names_come_from_campaign_info(scrape):
    running = factories.make_campaign("Powai launch", status=CampaignStatus.RUNNING)
    paused = factories.make_campaign("Whitefield villas", status=CampaignStatus.PAUSED)
    draft = factories.make_campaign("Draft one", status=CampaignStatus.DRAFT)
    samples = scrape()
    assert sample(samples, "campaign_status", campaign=str(running.id)) == 1
    assert samples[("campaign_status", frozenset({"campaign": str(paused.id)}.items()))] == 0
    assert samples[("campaign_status", frozenset({"campaign": str(draft.id)}.items()))] == 0
    info = {"campaign": str(running.id), "name": "Powai launch", "status": "running"}
    assert sample(samples, "campaign_info", **info) == 1


def test_completed_campaigns_leave_campaign_status_after_the_retention(scrape, settings):
    settings.METRICS_COMPLETED_CAMPAIGN_DAYS = 7
    recent = factories.make_campaign(
        status=CampaignStatus.COMPLETED, completed_at=timezone.now() - timedelta(days=2)
    )
    old = factories.make_campaign(
        status=CampaignStatus.COMPLETED, completed_at=timezone.now() - timedelta(days=30)
    )
    campaigns = {dict(labels)["campaign"] for name, labels in scrape() if name == "campaign_status"}
    assert str(recent.id) in campaigns
    assert str(old.id) not in campaigns


def test_django_prometheus_request_and_database_metrics_are_exposed(client, scrape):
    client.get("/health/live")
    names = {name for name, _ in scrape()}
    assert "django_http_requests_total_by_view_transport_method_total" in names
    assert "django_http_responses_total_by_status_total" in names
    assert "django_db_execute_total" in names


def test_metrics_answer_at_both_addresses_with_and_without_slash_never_redirecting(client):
    for path in ("/health/metrics", "/health/metrics/", "/metrics", "/metrics/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        assert b"# TYPE calls_initiated_total counter" in response.content


def test_metrics_token_requires_the_bearer_header(client, settings):
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    missing = client.get("/health/metrics")
    wrong = client.get("/health/metrics", HTTP_AUTHORIZATION="Bearer nope")
    token_scheme = client.get("/metrics", HTTP_AUTHORIZATION="Token scrape-token-0123456789")
    right = client.get("/health/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789")
    assert missing.status_code == wrong.status_code == token_scheme.status_code == 401
    assert missing.json() == {
        "detail": "A valid 'Authorization: Bearer <METRICS_TOKEN>' header is required."
    }
    assert missing["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert right.status_code == 200


def test_metrics_token_does_not_guard_the_health_probes(client, settings):
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    assert client.get("/health/live").status_code == 200


def test_exposition_passes_promtool_check_metrics(client):
    campaign = factories.make_campaign()
    build_calls(campaign, size=1)
    body = client.get("/health/metrics").content
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr
