"""The Celery worker as a real process (prefork pool, Redis broker): its own /health/metrics, the
ping of the celery_worker check, beat's heartbeat task, and multiprocess cleanup on exit."""

import contextlib
import dataclasses
import signal
import subprocess
import time
from pathlib import Path

import pytest
from celery.signals import beat_init
from django.conf import settings as django_settings

from monitoring import components, heartbeat, tasks
from scripts.harness import (
    celery_command,
    free_port,
    start_process,
    stop_process_groups,
    wait_for_http,
    wait_until,
)
from tests.monitoring.helpers import FakeAPI, http_get, parse_exposition, sample
from tests.processes import process_environment
from voiceagent.celery import app

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
TOKEN = "worker-scrape-token-42"


@dataclasses.dataclass
class RunningWorker:
    process: subprocess.Popen
    url: str
    queue: str


@contextlib.contextmanager
def celery_worker(directory, **env):
    """A worker process with a prefork pool of one, serving its metrics on a free port, consuming
    its own queue (tasks for it are sent there: another test's worker may still be running)."""
    port = free_port()
    queue = f"monitoring-test-{port}"
    environment = process_environment(
        PROMETHEUS_MULTIPROC_DIR=directory,
        WORKER_METRICS_PORT=port,
        WORKER_METRICS_ADDR="127.0.0.1",
        METRICS_TOKEN=TOKEN,
        **env,
    )
    command = celery_command("worker", "--pool", "prefork", "--concurrency", "1", "--loglevel",
                             "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                             "--hostname", f"{queue}@%h", "--queues", queue)  # fmt: skip
    process = start_process(command, env=environment, log=Path(directory) / "worker.log")
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health/metrics", timeout=60, process=process)
        yield RunningWorker(process, f"http://127.0.0.1:{port}", queue)
    finally:
        stop_process_groups(process, timeout=30)


def worker_samples(base):
    status, body = http_get(f"{base}/health/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body
    return parse_exposition(body)


@pytest.fixture(scope="module")
def openai_rejecting_the_key():
    api = FakeAPI()
    api.expected_header = ("Authorization", "Bearer the-right-key")
    yield api
    api.close()


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory, openai_rejecting_the_key):
    directory = tmp_path_factory.mktemp("worker-metrics")
    with celery_worker(
        directory, OPENAI_BASE_URL=openai_rejecting_the_key.url, OPENAI_API_KEY="sk-wrong"
    ) as running:
        yield running


def test_the_worker_serves_the_metrics_its_pool_processes_record(worker, openai_rejecting_the_key):
    labels = {"type": "health_check_failed", "component": "openai"}
    before = sample(worker_samples(worker.url), "errors_total", **labels)
    tasks.refresh_component_statuses.apply_async(queue=worker.queue)
    wait_until(lambda: sample(worker_samples(worker.url), "errors_total", **labels) == before + 1)
    assert openai_rejecting_the_key.requests[-1][0] == "/v1/models"


def test_worker_metrics_answer_at_both_paths_and_need_the_token(worker):
    assert http_get(f"{worker.url}/health/metrics")[0] == 401
    assert http_get(f"{worker.url}/metrics", {"Authorization": "Bearer wrong"})[0] == 401
    status, body = http_get(f"{worker.url}/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    assert "# TYPE errors_total counter" in body
    assert http_get(f"{worker.url}/elsewhere", {"Authorization": f"Bearer {TOKEN}"})[0] == 404


def test_the_worker_exposition_has_no_database_gauges(worker):
    # Those come from the web's scrape only; the worker repeating them would double them.
    names = {name for name, _ in worker_samples(worker.url)}
    assert "active_calls" not in names
    assert "campaign_status" not in names


def test_a_running_worker_answers_the_celery_worker_check(worker, client):
    check = client.get("/health/detailed").json()["checks"]["celery_worker"]
    assert check["status"] == "healthy"
    assert check["message"] == "a worker answered the ping"


def test_the_beat_heartbeat_task_run_by_the_worker_makes_the_scheduler_healthy(worker, client):
    assert heartbeat.last_heartbeat() is None
    entry = django_settings.CELERY_BEAT_SCHEDULE["monitoring-scheduler-heartbeat"]
    app.send_task(entry["task"], queue=worker.queue)
    wait_until(heartbeat.last_heartbeat)
    check = client.get("/health/detailed").json()["checks"]["scheduler"]
    assert check["status"] == "healthy"


def test_beat_schedules_the_heartbeat_and_the_refresh_every_interval(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert (
        schedule["monitoring-scheduler-heartbeat"]["task"] == tasks.record_scheduler_heartbeat.name
    )
    assert schedule["monitoring-scheduler-heartbeat"]["schedule"] == 60.0
    assert schedule["monitoring-refresh-component-statuses"]["task"] == (
        tasks.refresh_component_statuses.name
    )
    assert schedule["monitoring-refresh-component-statuses"]["schedule"] == 60.0


def test_a_stopped_worker_leaves_no_live_gauge_of_its_processes(tmp_path):
    with celery_worker(tmp_path) as running:
        # A task recording metrics (a failed check) in the pool process.
        tasks.refresh_component_statuses.apply_async(queue=running.queue)
        wait_until(lambda: components.read_status("scheduler"))
        # The main process and its pool process each write their own files.
        wait_until(lambda: len(list(tmp_path.glob("gauge_livesum_*.db"))) == 2)
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(30) == 0
    assert list(tmp_path.glob("gauge_livesum_*.db")) == []
    assert len(list(tmp_path.glob("counter_*.db"))) == 2


@pytest.fixture
def tasks_run_eagerly():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_beat_records_a_heartbeat_and_refreshes_statuses_as_soon_as_it_starts(
    tasks_run_eagerly,
):
    assert heartbeat.last_heartbeat() is None
    beat_init.send(sender=None)
    assert time.time() - heartbeat.last_heartbeat() < 5
    assert components.read_status("openai")["status"] == "not_configured"


def test_at_beat_start_the_scheduler_is_checked_after_the_new_heartbeat(tasks_run_eagerly):
    # The previous run's heartbeat, ten minutes old: the first refresh must not judge by it.
    heartbeat.record_heartbeat(now=time.time() - 600)
    beat_init.send(sender=None)
    assert components.read_status("scheduler")["status"] == "healthy"
