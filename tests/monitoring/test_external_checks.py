"""Checks of Exotel, Deepgram, OpenAI and ElevenLabs against a local fake API: credentials sent
the way each service expects, results cached (never a call per probe), hangs cut at the deadline,
no secret in any message."""

import base64
import json
import threading
import time

import pytest

from monitoring import checks, external, redaction, tasks
from tests.monitoring.helpers import sample

pytestmark = pytest.mark.django_db
DEADLINE = 3.0
SECRET = "sk-live-0123456789abcdef"


def configure(settings, name, url, **credentials):
    settings.EXTERNAL_SERVICES = {
        **settings.EXTERNAL_SERVICES,
        name: {"base_url": url, **credentials},
    }


def detailed(client):
    started = time.monotonic()
    response = client.get("/health/detailed")
    return response, time.monotonic() - started


@pytest.mark.parametrize(
    ("name", "credentials", "header", "path"),
    [
        ("openai", {"api_key": SECRET}, ("Authorization", f"Bearer {SECRET}"), "/v1/models"),
        ("deepgram", {"api_key": SECRET}, ("Authorization", f"Token {SECRET}"), "/v1/projects"),
        ("elevenlabs", {"api_key": SECRET}, ("xi-api-key", SECRET), "/v1/user"),
        (
            "exotel",
            {"account_sid": "acme", "api_key": "exo-key", "api_token": SECRET},
            ("Authorization", "Basic " + base64.b64encode(f"exo-key:{SECRET}".encode()).decode()),
            "/v1/Accounts/acme/Calls.json?PageSize=1",
        ),
    ],
)
def test_a_service_answering_200_to_the_right_credentials_is_healthy(
    client, settings, fake_api, name, credentials, header, path
):
    fake_api.expected_header = header
    configure(settings, name, fake_api.url, **credentials)
    response, _ = detailed(client)
    check = response.json()["checks"][name]
    assert check["status"] == "healthy"
    assert check["message"] == "HTTP 200"
    assert [request_path for request_path, _ in fake_api.requests] == [path]


def test_rejected_credentials_make_the_service_unhealthy_and_count_an_error(
    client, settings, fake_api, scrape
):
    fake_api.expected_header = ("Authorization", "Bearer the-right-key")
    configure(settings, "openai", fake_api.url, api_key=SECRET)
    before = sample(scrape(), "errors_total", type="health_check_failed", component="openai")
    check = detailed(client)[0].json()["checks"]["openai"]
    assert check["status"] == "unhealthy"
    assert check["message"] == "credentials rejected (HTTP 401)"
    after = sample(scrape(), "errors_total", type="health_check_failed", component="openai")
    assert after - before == 1


def test_a_base_url_given_with_v1_is_accepted(client, settings, fake_api):
    fake_api.expected_header = ("Authorization", f"Bearer {SECRET}")
    configure(settings, "openai", f"{fake_api.url}/v1/", api_key=SECRET)
    assert detailed(client)[0].json()["checks"]["openai"]["status"] == "healthy"
    assert fake_api.requests[0][0] == "/v1/models"


def test_a_hanging_service_is_unhealthy_and_detailed_still_answers_within_3_s(
    client, settings, fake_api
):
    fake_api.mode = "hang"
    configure(settings, "deepgram", fake_api.url, api_key=SECRET)
    response, seconds = detailed(client)
    live = client.get("/health/live")
    assert seconds < DEADLINE
    body = response.json()
    assert body["checks"]["deepgram"]["status"] == "unhealthy"
    assert body["checks"]["deepgram"]["message"] == "no answer within 2 s"
    assert body["checks"]["database"]["status"] == "healthy"
    assert body["status"] == "degraded"
    assert response.status_code == 200
    assert live.status_code == 200


def test_results_are_cached_so_probes_never_call_the_service_each_time(client, settings, fake_api):
    fake_api.expected_header = ("xi-api-key", SECRET)
    configure(settings, "elevenlabs", fake_api.url, api_key=SECRET)
    for _ in range(5):
        assert detailed(client)[0].json()["checks"]["elevenlabs"]["status"] == "healthy"
    assert len(fake_api.requests) == 1


def test_a_result_older_than_the_interval_is_refreshed_once(settings, fake_api):
    fake_api.expected_header = ("xi-api-key", SECRET)
    configure(settings, "elevenlabs", fake_api.url, api_key=SECRET)
    settings.EXTERNAL_CHECK_INTERVAL_SECONDS = 1

    def probe():  # the elevenlabs check alone: no worker ping slowing the probe down
        (outcome,) = checks.run_checks([checks.ExternalServiceCheck(service="elevenlabs")])
        return outcome.status

    assert probe() == "healthy"
    time.sleep(1.1)
    assert [probe(), probe(), probe()] == ["healthy"] * 3
    assert len(fake_api.requests) == 2


def test_without_credentials_a_service_is_not_configured_and_never_called(
    client, settings, fake_api
):
    configure(settings, "openai", fake_api.url, api_key="")
    check = detailed(client)[0].json()["checks"]["openai"]
    assert check["status"] == "not_configured"
    assert check["message"] == "no credentials configured"
    assert fake_api.requests == []


def test_the_beat_task_refreshes_every_service_and_probes_then_read_its_results(
    client, settings, fake_api
):
    fake_api.expected_header = ("Authorization", f"Bearer {SECRET}")
    configure(settings, "openai", fake_api.url, api_key=SECRET)
    configure(settings, "deepgram", fake_api.url, api_key=SECRET)  # wrong scheme: Token expected
    result = tasks.refresh_component_statuses()
    assert result["openai"] == "healthy"
    assert result["deepgram"] == "unhealthy"
    assert result["exotel"] == "not_configured"
    assert len(fake_api.requests) == 2
    external.forget_results()  # a web process other than the worker's: only the cache is shared
    checks = detailed(client)[0].json()["checks"]
    assert checks["openai"]["status"] == "healthy"
    assert checks["deepgram"]["message"] == "credentials rejected (HTTP 401)"
    assert len(fake_api.requests) == 2


def test_an_unreachable_service_reports_the_failure_without_its_url_or_key(
    client, settings, closed_port
):
    url = f"http://user:{SECRET}@127.0.0.1:{closed_port}"
    configure(settings, "exotel", url, account_sid="acme", api_key="exo-key", api_token=SECRET)
    response, seconds = detailed(client)
    check = response.json()["checks"]["exotel"]
    assert check == {
        "status": "unhealthy",
        "response_time_ms": check["response_time_ms"],
        "message": "request failed (ConnectError)",
    }
    text = json.dumps(response.json())
    assert SECRET not in text and "exo-key" not in text and str(closed_port) not in text
    assert seconds < DEADLINE


def test_concurrent_probes_of_a_stale_service_share_one_refresh(settings, fake_api):
    fake_api.mode = "hang"
    configure(settings, "openai", fake_api.url, api_key=SECRET)
    results = []

    def probe():
        results.append(external.current_status("openai", wait=2.5)["status"])

    threads = [threading.Thread(target=probe) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["unhealthy"] * 5
    assert len(fake_api.requests) == 1


def test_scrub_removes_urls_and_configured_secrets_from_messages(settings):
    configure(settings, "openai", "https://api.example.invalid", api_key=SECRET)
    settings.METRICS_TOKEN = "metrics-token-777"
    message = (
        f"failed at https://user:pw@api.example.invalid/v1 with key {SECRET}"
        " and token metrics-token-777"
    )
    assert redaction.scrub(message) == "failed at <url> with key *** and token ***"
