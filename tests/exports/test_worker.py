"""Export jobs on a real Celery worker (a started `celery worker` process) with the Redis broker.

A job is held mid-export by a table lock the test takes on voiceagent_objection, which the
results query reads: the worker has claimed the job and counted its rows, and waits in its
export query. Killing it there with SIGKILL is a worker dying mid-export, deterministically.
"""

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import redis
from django.db import connection
from django.utils import timezone

from exports import services
from exports.models import ExportJob
from scripts.harness import celery_command, start_process, stop_process_groups, wait_until
from tests.exports.test_campaign_exports import RESULTS_CSV
from tests.processes import database_url_of_tests, process_environment
from voiceagent.celery import app as celery_app

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BROKER_KEYS = ("celery", "unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def broker(settings):
    """The Redis broker of the suite, emptied of this app's queue before and after the test."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*BROKER_KEYS)
    yield client
    client.delete(*BROKER_KEYS)


@pytest.fixture
def start_worker(settings, tmp_path, broker):
    """Start `celery worker` processes (prefork, one child) on the test database; stop them all."""
    started = []

    def start():
        command = celery_command("worker", "--pool", "prefork", "--concurrency", "1",
                                 "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                                 "--hostname", f"exports-test-{len(started)}@%h")  # fmt: skip
        process = start_process(
            command,
            env=process_environment(MEDIA_ROOT=settings.MEDIA_ROOT),
            log=tmp_path / f"worker{len(started)}.log",
        )
        started.append(process)
        return process

    yield start
    stop_process_groups(*started)


@pytest.fixture
def objection_lock():
    """Holds voiceagent_objection locked from another connection until released."""
    lock = psycopg.connect(database_url_of_tests().replace("postgres://", "postgresql://"))
    held = {"open": False}

    def take():
        lock.execute("LOCK TABLE voiceagent_objection IN ACCESS EXCLUSIVE MODE")
        held["open"] = True

    def release():
        if held["open"]:
            lock.rollback()
            held["open"] = False

    yield take, release
    release()
    lock.close()


def start_held_export(crafted, team, start_worker, take_lock, fmt):
    """A worker running a results export held in its query by the objection lock: (worker, job)."""
    take_lock()
    worker = start_worker()
    job = services.create_export_job(
        user=team.member, campaign=crafted.campaign, kind="results", fmt=fmt
    )
    wait_until(
        lambda: ExportJob.objects.filter(pk=job.pk, status="running", total_rows=2).exists(),
        what="the export to be running",
    )
    return worker, job


def job_state(pk):
    return ExportJob.objects.filter(pk=pk).values_list("status", "attempts").get()


def pool_children(pid):
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()]


def test_large_export_runs_on_the_worker_from_202_to_download(
    crafted, team, api_client, start_worker, settings
):
    settings.EXPORT_SYNC_MAX_ROWS = 1
    client = api_client(team.member)
    start_worker()
    response = client.get(f"/exports/campaigns/{crafted.campaign.pk}/results?format=csv")
    assert response.status_code == 202
    location = response["Location"]

    def finished():
        data = client.get(location).json()
        return data if data["status"] in ("succeeded", "failed") else None

    data = wait_until(finished, what="the job to finish")
    assert (data["status"], data["progress"], data["rows_written"]) == ("succeeded", 100, 2)
    download = client.get(data["download_url"])
    assert b"".join(download.streaming_content).decode("utf-8") == RESULTS_CSV
    assert ExportJob.objects.get().attempts == 1


def test_worker_child_killed_mid_export_is_retried_and_succeeds(
    crafted, team, start_worker, objection_lock
):
    take_lock, release_lock = objection_lock
    worker, job = start_held_export(crafted, team, start_worker, take_lock, "csv")
    (child,) = pool_children(worker.pid)
    os.kill(child, signal.SIGKILL)
    # reject_on_worker_lost puts the message back; a new pool child takes it up again.
    wait_until(lambda: job_state(job.pk) == ("running", 2), what="the second attempt")
    release_lock()
    wait_until(lambda: job_state(job.pk)[0] == "succeeded", what="the job to succeed")
    job.refresh_from_db()
    assert (job.attempts, job.rows_written) == (2, 2)
    with job.file.open("rb") as stored:
        assert stored.read().decode("utf-8") == RESULTS_CSV


def test_whole_worker_killed_mid_export_is_reaped_requeued_and_succeeds(
    crafted, team, start_worker, objection_lock
):
    take_lock, release_lock = objection_lock
    worker, job = start_held_export(crafted, team, start_worker, take_lock, "xlsx")
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    release_lock()
    # Nobody runs it any more: the message sits unacked in Redis until its visibility timeout.
    time.sleep(1)
    assert job_state(job.pk) == ("running", 1)
    result = services.reap_stale_export_jobs(now=timezone.now(), stale_after=timedelta(0))
    assert result.requeued == [job.pk]
    start_worker()
    wait_until(lambda: job_state(job.pk)[0] == "succeeded", what="the requeued job to succeed")
    assert job_state(job.pk) == ("succeeded", 2)


def test_job_killed_on_every_attempt_ends_failed_not_running(
    crafted, team, start_worker, objection_lock, settings
):
    take_lock, release_lock = objection_lock
    take_lock()
    worker = start_worker()
    job = services.create_export_job(
        user=team.member, campaign=crafted.campaign, kind="results", fmt="csv"
    )
    for attempt in (1, 2, 3):
        wait_until(lambda a=attempt: job_state(job.pk) == ("running", a), what=f"attempt {attempt}")
        wait_until(lambda: pool_children(worker.pid), what="a pool child")
        os.kill(pool_children(worker.pid)[0], signal.SIGKILL)
    # The fourth delivery finds three attempts used and fails the job instead of running it.
    wait_until(lambda: job_state(job.pk)[0] == "failed", what="the job to fail")
    release_lock()
    job.refresh_from_db()
    assert job.attempts == 3
    assert job.error.startswith("The export was started 3 times")
    assert celery_app.conf.task_acks_late and celery_app.conf.task_reject_on_worker_lost


def test_database_connection_lost_mid_export_is_retried_by_the_same_delivery(
    crafted, team, start_worker, objection_lock
):
    """PostgreSQL drops the worker's connection (a restart, a failover) while it exports: the
    task retries itself within seconds instead of leaving the job to the reaper (15 min)."""
    take_lock, release_lock = objection_lock
    _, job = start_held_export(crafted, team, start_worker, take_lock, "csv")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (ours,) = cursor.fetchone()
    admin_url = database_url_of_tests().replace("postgres://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        # What a restart does to the worker: every connection it has is cut (the COPY one,
        # waiting on the lock, and the one that writes the job's progress).
        wait_until(
            lambda: admin.execute(
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE 'COPY%%'"
            ).fetchone(),
            what="the export's COPY waiting on the lock",
        )
        cut = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s) "
            "AND query NOT LIKE 'LOCK TABLE%%'",
            [ours],
        ).fetchall()
        assert len(cut) >= 2 and all(done for (done,) in cut)
    release_lock()
    wait_until(lambda: job_state(job.pk)[0] != "running", timeout=60, what="the job to end")
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rows_written, job.error) == ("succeeded", 2, 2, "")
    with job.file.open("rb") as stored:
        assert stored.read().decode("utf-8") == RESULTS_CSV
