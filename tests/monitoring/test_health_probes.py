"""/health/, /health/live, /health/ready and /health/detailed with real dependencies and real
failures: Redis on a closed or hanging port, a database that refuses or hangs (other processes)."""

import json
import re
import time

import pytest

from monitoring import heartbeat
from monitoring.components import component_statuses
from tests.monitoring.helpers import run_python, sample
from tests.processes import process_environment

pytestmark = pytest.mark.django_db
DEADLINE = 3.0
CHECKS = (
    "database",
    "redis",
    "celery_worker",
    "scheduler",
    "exotel",
    "deepgram",
    "openai",
    "elevenlabs",
)


def timed_get(client, path):
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


def point_redis_at(settings, port, *, socket_timeout=2):
    url = f"redis://127.0.0.1:{port}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": socket_timeout, "socket_timeout": socket_timeout},
        }
    }
    settings.CELERY_BROKER_URL = url


@pytest.mark.parametrize("path", ["/health", "/health/", "/health/live", "/health/live/"])
def test_index_and_live_answer_200_without_touching_a_dependency(
    client, path, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get(path)
    assert response.status_code == 200
    assert response.json()["status"] in ("ok", "alive")
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_index_reports_the_version(client, settings):
    settings.VERSION = "1.4.2"
    body = client.get("/health/").json()
    assert body["status"] == "ok"
    assert body["version"] == "1.4.2"


@pytest.mark.parametrize("path", ["/health/ready", "/health/ready/"])
def test_ready_is_200_when_database_cache_and_broker_answer(client, path):
    response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "healthy",
        "redis": "healthy",
    }
    assert body["checks"]["database"]["message"] == "SELECT 1 answered"
    assert body["checks"]["redis"]["message"] == "cache (RedisCache) and broker (redis) answered"


def test_detailed_lists_every_check_with_status_time_and_message(client, settings):
    settings.VERSION = "1.4.2"
    heartbeat.record_heartbeat()
    response = client.get("/health/detailed/")
    body = response.json()
    assert set(body) == {"status", "checks", "version", "timestamp"}
    assert tuple(body["checks"]) == CHECKS
    for check in body["checks"].values():
        assert set(check) == {"status", "response_time_ms", "message"}
        assert isinstance(check["response_time_ms"], float)
    assert body["version"] == "1.4.2"
    statuses = {name: check["status"] for name, check in body["checks"].items()}
    # No worker runs in this process and no external credentials are configured here.
    assert statuses == {
        "database": "healthy",
        "redis": "healthy",
        "celery_worker": "unhealthy",
        "scheduler": "healthy",
        "exotel": "not_configured",
        "deepgram": "not_configured",
        "openai": "not_configured",
        "elevenlabs": "not_configured",
    }
    assert body["status"] == "degraded"
    assert response.status_code == 200


def test_redis_on_a_closed_port_makes_ready_503_and_detailed_unhealthy_within_3_s(
    client, settings, closed_port
):
    point_redis_at(settings, closed_port)
    ready, ready_seconds = timed_get(client, "/health/ready")
    detailed, detailed_seconds = timed_get(client, "/health/detailed")
    live, _ = timed_get(client, "/health/live")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not_ready"
    assert ready.json()["checks"]["redis"] == {
        "status": "unhealthy",
        "response_time_ms": ready.json()["checks"]["redis"]["response_time_ms"],
        "message": "cache unreachable (ConnectionError)",
    }
    assert ready.json()["checks"]["database"]["status"] == "healthy"
    assert detailed.status_code == 503
    assert detailed.json()["status"] == "unhealthy"
    assert detailed.json()["checks"]["redis"]["status"] == "unhealthy"
    assert detailed.json()["checks"]["celery_worker"]["message"] == (
        "broker unreachable (ConnectionError)"
    )
    assert (
        detailed.json()["checks"]["scheduler"]["message"] == "cache unreachable (ConnectionError)"
    )
    assert ready_seconds < DEADLINE and detailed_seconds < DEADLINE
    assert live.status_code == 200


def test_a_hanging_redis_is_cut_at_the_deadline(client, settings, hanging_port):
    # The client would wait 5 s for each answer; the probe's deadline answers first.
    # A 2 s deadline leaves a second for the request itself on a loaded machine.
    point_redis_at(settings, hanging_port, socket_timeout=5)
    settings.HEALTH_CHECK_DEADLINE_SECONDS = 2
    ready, seconds = timed_get(client, "/health/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["redis"]["message"] == "no answer within 2 s"
    assert ready.json()["checks"]["redis"]["response_time_ms"] == 2000.0
    assert seconds < DEADLINE
    assert client.get("/health/live").status_code == 200


def test_a_stale_heartbeat_makes_the_scheduler_unhealthy(client, settings):
    settings.SCHEDULER_HEARTBEAT_INTERVAL_SECONDS = 60
    heartbeat.record_heartbeat(now=time.time() - 121)
    check = client.get("/health/detailed").json()["checks"]["scheduler"]
    assert check["status"] == "unhealthy"
    # The probe itself takes a moment on a loaded machine: 121 s plus at most a few.
    assert re.fullmatch(r"last heartbeat 12[1-6] s ago \(limit 120 s\)", check["message"]), check[
        "message"
    ]


def test_a_heartbeat_within_two_intervals_keeps_the_scheduler_healthy(client, settings):
    settings.SCHEDULER_HEARTBEAT_INTERVAL_SECONDS = 60
    heartbeat.record_heartbeat(now=time.time() - 100)
    check = client.get("/health/detailed").json()["checks"]["scheduler"]
    assert check["status"] == "healthy"
    # The probe itself takes a moment on a loaded machine: 100 s plus at most a few.
    assert re.fullmatch(r"last heartbeat 10[0-5] s ago", check["message"]), check["message"]


def test_failed_checks_count_in_errors_total(client, settings, closed_port, scrape):
    before = scrape()
    point_redis_at(settings, closed_port)
    client.get("/health/ready")
    after = scrape()
    labels = {"type": "health_check_failed", "component": "redis"}
    assert sample(after, "errors_total", **labels) - sample(before, "errors_total", **labels) == 1


def test_detailed_stores_component_statuses_for_the_system_page(client):
    heartbeat.record_heartbeat()
    client.get("/health/detailed")
    statuses = component_statuses()
    assert statuses["database"] == "healthy"
    assert statuses["redis"] == "healthy"
    assert statuses["worker"] == "unhealthy"
    assert statuses["scheduler"] == "healthy"


PROBE_IN_ANOTHER_PROCESS = """
import json, time, django
django.setup()
from django.test import Client
from django.urls import get_resolver
# Import the URLconf and its views first, as a serving process has by its second request: the
# deadline is the probes', not the first import's (seconds on a loaded machine).
get_resolver().url_patterns
client = Client()
answers = {}
for path in ("/health/live", "/health/ready", "/health/detailed", "/health/live"):
    started = time.monotonic()
    response = client.get(path)
    answers.setdefault(path, []).append(
        {"status_code": response.status_code, "seconds": time.monotonic() - started,
         "body": response.json()}
    )
print(json.dumps(answers))
"""


def probe_with_database_at(port):
    """The probes of a process whose DATABASE_URL points at `port` (with a password in it)."""
    env = process_environment(
        DATABASE_URL=f"postgres://voiceagent:db-pass-s3cret@127.0.0.1:{port}/voiceagent"
    )
    result = run_python(PROBE_IN_ANOTHER_PROCESS, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_refusing_database_makes_ready_503_while_live_stays_200(closed_port):
    answers = probe_with_database_at(closed_port)
    assert [answer["status_code"] for answer in answers["/health/live"]] == [200, 200]
    ready = answers["/health/ready"][0]
    assert ready["status_code"] == 503
    assert ready["body"]["checks"]["database"]["status"] == "unhealthy"
    assert ready["body"]["checks"]["redis"]["status"] == "healthy"
    detailed = answers["/health/detailed"][0]
    assert detailed["status_code"] == 503
    assert detailed["body"]["status"] == "unhealthy"
    assert all(answer["seconds"] < DEADLINE for answers_ in answers.values() for answer in answers_)


def test_a_hanging_database_still_gets_answers_within_3_s_and_no_secret_leaks(hanging_port):
    answers = probe_with_database_at(hanging_port)
    ready = answers["/health/ready"][0]
    assert ready["status_code"] == 503
    assert ready["body"]["checks"]["database"]["message"] == "no answer within 2.5 s"
    assert all(answer["seconds"] < DEADLINE for answers_ in answers.values() for answer in answers_)
    text = json.dumps(answers)
    assert "db-pass-s3cret" not in text
    assert "postgres://" not in text
    assert str(hanging_port) not in text


def test_a_flood_of_detailed_probes_pings_the_workers_once(client):
    started = time.monotonic()
    for _ in range(5):
        check = client.get("/health/detailed").json()["checks"]["celery_worker"]
        assert check["message"] == "no worker answered the ping within 1 s"
    # One broadcast waited its 1 s; the four probes after it reused the answer.
    assert time.monotonic() - started < 1 + 4 * 0.9
