"""Several processes, one exposition: prometheus_client multiprocess mode with real processes
(publishers, two uvicorn workers, a Celery prefork worker) writing one directory, read back
through the scrape; live gauges leave with their process."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts.harness import (
    ROOT,
    free_port,
    start_process,
    stop_process_groups,
    uvicorn_command,
    wait_for_http,
)
from tests import factories
from tests.monitoring.helpers import http_get, parse_exposition, run_python, sample
from tests.processes import process_environment
from voiceagent.models import CallStatus

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# One process publishing what ingestion publishes, with calls built in memory (no rows needed:
# the receivers read the call's fields only); optionally holding its sockets open until stdin.
PUBLISHER = """
import json, sys, django
django.setup()
from django.db import transaction
from django.utils import timezone
from monitoring.metrics import websocket_connections
from voiceagent.events import publish_call_change
from voiceagent.models import CallSession

plan = json.loads(sys.argv[1])
for spec in plan["calls"]:
    call = CallSession(campaign_id=plan["campaign"], status=spec["status"],
                       outcome=spec["outcome"], duration_seconds=spec["duration"],
                       answered_at=timezone.now() if spec["duration"] else None)
    with transaction.atomic():
        publish_call_change(call=call, changes={"type": "call.queued", "created": True})
    with transaction.atomic():
        publish_call_change(call=call, changes={"type": "call.initiated", "initiated": True})
    with transaction.atomic():
        publish_call_change(call=call, changes={"type": "call.turn", "turn": {
            "sequence": 1, "speaker": "agent", "stt_ms": 100, "llm_ms": spec["llm_ms"], "tts_ms": 50}})
    with transaction.atomic():
        publish_call_change(call=call, changes={"type": "call.completed", "ended": True}, ended=True)
websocket_connections.inc(plan["sockets"])
if plan["hold"]:
    print("holding", flush=True)
    sys.stdin.readline()
"""


def publisher(metrics_dir, plan):
    command = [sys.executable, "-c", PUBLISHER, json.dumps(plan)]
    env = process_environment(PROMETHEUS_MULTIPROC_DIR=metrics_dir)
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def qualified(duration, llm_ms):
    return {"status": "completed", "outcome": "qualified", "duration": duration, "llm_ms": llm_ms}


def failed():
    return {"status": "failed", "outcome": "failed", "duration": 0, "llm_ms": 300}


def test_two_processes_writing_one_directory_are_summed_in_the_scrape(scrape, settings, tmp_path):
    campaign = factories.make_campaign()
    factories.make_call(factories.make_lead(campaign), status=CallStatus.IN_PROGRESS)
    first = publisher(
        tmp_path,
        {"campaign": campaign.id, "sockets": 0, "hold": False,
         "calls": [qualified(60, 500), qualified(120, 1500), failed()]},
    )  # fmt: skip
    second = publisher(
        tmp_path,
        {"campaign": campaign.id, "sockets": 0, "hold": False,
         "calls": [qualified(30, 2500), failed()]},
    )  # fmt: skip
    assert first.wait(60) == 0 and second.wait(60) == 0
    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path)
    samples = scrape()
    key = {"campaign": str(campaign.id)}
    assert sample(samples, "calls_initiated_total", **key) == 5
    assert sample(samples, "calls_completed_total", **key, outcome="qualified") == 3
    assert sample(samples, "calls_completed_total", **key, outcome="failed") == 2
    assert sample(samples, "call_duration_seconds_count", **key) == 3
    assert sample(samples, "call_duration_seconds_sum", **key) == 210
    assert sample(samples, "llm_request_duration_seconds_count") == 5
    assert sample(samples, "llm_request_duration_seconds_sum") == pytest.approx(5.1)
    assert sample(samples, "llm_request_duration_seconds_bucket", le="0.5") == 3
    assert sample(samples, "llm_request_duration_seconds_bucket", le="2.0") == 4
    # The database gauges come from the scraping process, once.
    assert sample(samples, "active_calls") == 1


def test_websocket_connections_count_live_processes_only(scrape, settings, tmp_path):
    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path)
    gone = publisher(tmp_path, {"campaign": 1, "sockets": 2, "hold": False, "calls": []})
    assert gone.wait(60) == 0
    holding = publisher(tmp_path, {"campaign": 1, "sockets": 3, "hold": True, "calls": []})
    try:
        assert holding.stdout.readline().strip() == "holding"
        assert sample(scrape(), "websocket_connections") == 3
    finally:
        holding.stdin.write("\n")
        holding.stdin.flush()
        assert holding.wait(60) == 0
    assert sample(scrape(), "websocket_connections") == 0
    assert list(Path(tmp_path).glob("gauge_livesum_*.db")) == []


@pytest.fixture
def uvicorn_with_two_workers(tmp_path):
    port = free_port()
    env = process_environment(PROMETHEUS_MULTIPROC_DIR=tmp_path)
    process = start_process(
        uvicorn_command(port, workers=2), env=env, log=Path(tmp_path) / "uvicorn.log"
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health/live", timeout=60, process=process)
        yield process, f"http://127.0.0.1:{port}", Path(tmp_path)
    finally:
        stop_process_groups(process, timeout=30)


def test_two_uvicorn_workers_are_one_exposition_and_clean_up_on_exit(uvicorn_with_two_workers):
    process, base, metrics_dir = uvicorn_with_two_workers
    for _ in range(20):
        assert http_get(f"{base}/health/live")[0] == 200
    # Each worker writes its own files, live gauges included.
    deadline = time.monotonic() + 10
    while len(list(metrics_dir.glob("gauge_livesum_*.db"))) < 2 and time.monotonic() < deadline:
        http_get(f"{base}/health/live")
    assert len(list(metrics_dir.glob("gauge_livesum_*.db"))) == 2
    requests_before = _live_requests(base)
    for _ in range(10):
        http_get(f"{base}/health/live")
    assert _live_requests(base) - requests_before == 10
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    assert list(metrics_dir.glob("gauge_livesum_*.db")) == []
    assert len(list(metrics_dir.glob("counter_*.db"))) == 2


def _live_requests(base):
    """/health/live requests served so far, summed over both workers by the scrape."""
    status, body = http_get(f"{base}/health/metrics")
    assert status == 200
    return sample(
        parse_exposition(body),
        "django_http_requests_total_by_view_transport_method_total",
        view="health-live",
        transport="http",
        method="GET",
    )


def test_a_database_outage_leaves_the_rest_of_the_scrape_intact(closed_port):
    code = """
import django
django.setup()
from django.test import Client
for _ in range(2):
    response = Client().get("/health/metrics")
    print(response.status_code)
print(response.content.decode())
"""
    env = process_environment()
    env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{closed_port}/voiceagent"
    result = run_python(code, env=env)
    assert result.returncode == 0, result.stderr
    first, second, body = result.stdout.split("\n", 2)
    assert (first, second) == ("200", "200")
    samples = parse_exposition(body)
    names = {name for name, _ in samples}
    assert {"active_calls", "queued_calls", "campaign_status"}.isdisjoint(names)
    assert "llm_request_duration_seconds_count" in names
    # The first scrape's failure, counted as it happened, shows in the second.
    assert sample(samples, "errors_total", type="scrape_query_failed", component="metrics") == 1
