"""Fault drill: web, worker, beat and simulator running; Redis, PostgreSQL, the worker and the web fail.

    make faults                      # or: .venv/bin/python scripts/faults.py [--keep]

Starts everything itself on free ports (never 8000, never the machine's shared services): a
private PostgreSQL cluster (initdb in the work directory, so that it can be restarted), a private
redis-server (append-only file, as production Redis would persist), uvicorn (the ASGI app), a
Celery worker, Celery beat and the call simulator posting over HTTP, its own event poster that
records every event_id the server answered 202 for, and headless Chromium holding the /live/
page open as a campaign manager. Then, in turn:

1. Redis stopped for `--outage` seconds and started again: /health/ready must answer 503 and
   /health/detailed report redis unhealthy while it is down, and both recover by themselves;
2. PostgreSQL stopped (`pg_ctl stop -m fast`) for `--pg-outage` seconds while an XLSX export
   runs, and started again: /health/ready 503 with the database unhealthy while it is down,
   ingestion answers 503 (the poster resends), health recovers by itself, the export ends
   succeeded or failed;
3. the Celery worker SIGKILLed (with its pool) while an export job is running: a new worker is
   started; the job must end succeeded or failed (the reaper re-queues it after
   EXPORT_STALE_AFTER_SECONDS without a heartbeat, here shortened);
4. the web process restarted (SIGTERM, then started again) while events are being posted.

After each fault the /live/ page must be live again on its WebSocket by itself and show a call
started after the fault within a few seconds (pushed, not polled). Afterwards every event
answered 202 must be stored exactly once (CallEvent.event_id is unique, so "at least once" is
what is checked, and the count of rows of this run equals the distinct ids answered 202), and no
export job may be left pending or running. Prints a JSON report; exit status 1 on any violated
expectation.
"""

import argparse
import concurrent.futures
import contextlib
import json
import logging
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as scripts/faults.py

from scripts.harness import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    celery_command,
    child_environment,
    free_port,
    log_in,
    manage_command,
    migrate_and_collect_static,
    start_process,
    stop_process_groups,
    uvicorn_command,
    wait_for_http,
    wait_until,
)


class PrivatePostgres:
    """A PostgreSQL cluster of the drill's own (initdb in the work directory), so that it can be
    stopped and started without touching the machine's shared one. Debian's server binaries;
    run as the `postgres` user when the drill runs as root (the server refuses root)."""

    def __init__(self, workdir):
        found = sorted(
            Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[4])
        )
        if not found:
            raise SystemExit(
                "faults: PostgreSQL server binaries not found under /usr/lib/postgresql"
            )
        self.bindir = found[-1].parent
        self.datadir = workdir / "pgdata"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/voiceagent_faults"
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, *args):
        subprocess.run(
            [*self.as_owner, str(self.bindir / args[0]), *args[1:]],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def init(self):
        self.datadir.mkdir()
        if self.as_owner:
            self.datadir.parent.chmod(0o711)  # the server's user must reach its data directory
            shutil.chown(self.datadir, "postgres", "postgres")
        self.run("initdb", "-D", str(self.datadir), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                 "--no-sync")  # fmt: skip
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                 "voiceagent_faults")  # fmt: skip

    def start(self):
        options = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1"
        self.run("pg_ctl", "-D", str(self.datadir), "-l", str(self.datadir / "server.log"),
                 "-o", options, "-w", "start")  # fmt: skip

    def stop(self, mode="fast"):
        self.run("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "stop")


class Stack:
    """The processes of the drill, each started and stopped by this script only."""

    def __init__(self, workdir, database_url):
        self.workdir = workdir
        self.redis_port = free_port()
        self.web_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        self.procs = {}
        metrics_dir = workdir / "prom"
        metrics_dir.mkdir()
        self.env = child_environment(
            DATABASE_URL=database_url,
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            DEBUG="0",
            SECRET_KEY="faults-drill-secret-key-0123456789abcdef0123456789",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0",
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            MEDIA_ROOT=workdir / "media",
            STATIC_ROOT=workdir / "static",
            PROMETHEUS_MULTIPROC_DIR=metrics_dir,
            EXPORT_STALE_AFTER_SECONDS="15",
            EXPORT_PROGRESS_EVERY="2000",
            EXPORT_SYNC_MAX_ROWS="10",
        )

    def start(self, name, args):
        self.procs[name] = start_process(args, env=self.env, log=self.workdir / f"{name}.log")
        return self.procs[name]

    def stop(self, name, sig=signal.SIGTERM):
        proc = self.procs.pop(name, None)
        if proc is not None:
            stop_process_groups(proc, sig=sig)

    def start_redis(self):
        self.start(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--dir", str(self.workdir), "--appendonly", "yes", "--save", ""],
        )  # fmt: skip
        wait_until(lambda: _redis_ping(self.redis_port), timeout=10, what="redis up")

    def start_web(self):
        web = self.start("web", uvicorn_command(self.web_port))
        wait_for_http(self.base_url + "/health/live", process=web)

    def start_worker(self):
        self.start(
            "worker",
            celery_command("worker", "--concurrency", "1", "--loglevel", "WARNING",
                           "-n", f"faults-{uuid.uuid4().hex[:6]}@%h"),
        )  # fmt: skip

    def start_beat(self):
        self.start(
            "beat",
            celery_command("beat", "--loglevel", "WARNING",
                           "-s", str(self.workdir / "beat-schedule")),
        )  # fmt: skip

    def stop_all(self):
        stop_process_groups(*self.procs.values())
        self.procs.clear()


def _redis_ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Poster(threading.Thread):
    """Posts whole calls' events in batches; remembers every event_id answered 202.

    A batch that got no answer (connection refused while the web restarts) is resent with the
    same event_ids, as the calling agent does: duplicates are answered 202 and stored once.
    """

    def __init__(self, base_url, token, run_id, campaign_id, lead_ids):
        super().__init__(daemon=True)
        self.base_url, self.token, self.run_id = base_url, token, run_id
        self.campaign_id, self.lead_ids = campaign_id, lead_ids
        self.acknowledged = set()
        self.failures = {}
        self.stopping = threading.Event()

    def batch(self, n):
        at = datetime.now(UTC).isoformat()
        sid = f"CAfault{self.run_id}{n:06d}"
        steps = [("call.queued", {}), ("call.initiated", {}), ("call.answered", {}),
                 ("call.completed", {"outcome": "qualified", "duration_seconds": 30})]  # fmt: skip
        return [
            {"event_id": f"fault-{self.run_id}-{n}-{i}", "type": kind, "occurred_at": at,
             "call_sid": sid, "campaign_id": self.campaign_id,
             "lead_id": self.lead_ids[n % len(self.lead_ids)], "data": data}
            for i, (kind, data) in enumerate(steps)
        ]  # fmt: skip

    def run(self):
        n = 0
        with httpx.Client(base_url=self.base_url, timeout=10) as client:
            while not self.stopping.is_set():
                batch = self.batch(n)
                while not self.stopping.is_set():
                    try:
                        response = client.post(
                            "/api/call-events", json=batch,
                            headers={"Authorization": f"Token {self.token}"},
                        )  # fmt: skip
                        outcome = response.status_code
                    except httpx.HTTPError as exc:
                        outcome = type(exc).__name__
                    if outcome == 202:
                        self.acknowledged.update(e["event_id"] for e in batch)
                        break
                    self.failures[str(outcome)] = self.failures.get(str(outcome), 0) + 1
                    time.sleep(0.2)
                n += 1
                time.sleep(0.05)


STATE_LOG = """() => {
    const badge = document.getElementById("live-state");
    window.faultStates = [[Date.now(), badge.getAttribute("data-state")]];
    new MutationObserver(() => window.faultStates.push([Date.now(), badge.getAttribute("data-state")]))
        .observe(badge, {attributes: true, attributeFilter: ["data-state"]});
}"""


class LiveWatcher(threading.Thread):
    """Headless Chromium holding /live/ open as a campaign manager, as a person would leave it.

    Playwright's sync API belongs to the thread that started it, so every look at the page is
    a function handed to this thread (`call`); the page logs its connection state changes."""

    def __init__(self, base_url, username, password):
        super().__init__(daemon=True)
        self.base_url, self.username, self.password = base_url, username, password
        self.requests = queue.Queue()
        self.ready = concurrent.futures.Future()

    def call(self, function, timeout=120):
        done = concurrent.futures.Future()
        self.requests.put((function, done))
        return done.result(timeout)

    def run(self):
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(base_url=self.base_url)
                log_in(page, self.base_url, self.username, self.password)
                page.goto("/live/")
                page.wait_for_selector('#live-state[data-state="live"]', timeout=30_000)
                page.evaluate(STATE_LOG)
                self.ready.set_result(True)
                while True:
                    function, done = self.requests.get()
                    if function is None:
                        break
                    try:
                        done.set_result(function(page))
                    except Exception as exc:  # reported to the caller, the page stays open
                        done.set_exception(exc)
                browser.close()
        except Exception as exc:
            if not self.ready.done():
                self.ready.set_exception(exc)
            raise

    def stop(self):
        self.requests.put((None, None))
        self.join(30)


def post_until_accepted(base_url, token, events, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = httpx.post(
                base_url + "/api/call-events", json=events,
                headers={"Authorization": f"Token {token}"}, timeout=10,
            )  # fmt: skip
            if response.status_code == 202:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("faults: a marker call could not be posted")
        time.sleep(0.5)


def shown(selector, timeout_ms):
    """A look at the page: True once `selector` matches, False if it does not within the time."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    def look(page):
        try:
            return page.wait_for_selector(selector, timeout=timeout_ms) is not None
        except PlaywrightTimeout:
            return False

    return look


def live_page_back(stack, watcher, token, campaign_id, lead_id, label, since):
    """After a fault: the page is live on its socket again and shows a call started now."""
    started = time.monotonic()
    live = watcher.call(shown('#live-state[data-state="live"]', 90_000))
    live_after = time.monotonic() - started
    sid = f"CAwatch{label}{uuid.uuid4().hex[:6]}"
    at = datetime.now(UTC).isoformat()
    event = {"call_sid": sid, "campaign_id": campaign_id, "lead_id": lead_id, "occurred_at": at,
             "data": {}}  # fmt: skip
    post_until_accepted(stack.base_url, token, [
        {**event, "event_id": f"{sid}-1", "type": "call.initiated"},
        {**event, "event_id": f"{sid}-2", "type": "call.answered"},
    ])  # fmt: skip
    posted = time.monotonic()
    polling = watcher.call(lambda page: page.evaluate("window.voiceagentLive.polling"))
    seen = watcher.call(shown(f'tr[data-call-sid="{sid}"]', 15_000))
    states = watcher.call(lambda page: page.evaluate("window.faultStates"))
    since_ms = since * 1000
    return {
        "states_during": [state for at_ms, state in states if at_ms >= since_ms],
        "live_again_after_s": round(live_after, 1) if live else None,
        "polling_when_posted": polling,
        "new_call_shown_after_s": round(time.monotonic() - posted, 1) if seen else None,
    }


def prepare(run_id, export_leads):
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from voiceagent.access import ensure_groups
    from voiceagent.models import Campaign, CampaignStatus, Lead

    managers, ingest = ensure_groups()
    agent = User.objects.create_user(f"fault-agent-{run_id}")
    agent.groups.add(ingest)
    staff = User.objects.create_user(f"fault-staff-{run_id}", is_staff=True)
    manager = User.objects.create_user(f"fault-manager-{run_id}", password=f"watch-{run_id}")
    manager.groups.add(managers)
    campaign = Campaign.objects.create(name=f"Faults {run_id}", status=CampaignStatus.RUNNING)
    campaign.members.add(manager)
    leads = Lead.objects.bulk_create(
        (Lead(campaign=campaign, name=f"Fault lead {n}", phone=f"+9196{n:08d}")
         for n in range(export_leads)),
        batch_size=5000,
    )  # fmt: skip
    return (
        Token.objects.get_or_create(user=agent)[0].key,
        Token.objects.get_or_create(user=staff)[0].key,
        campaign.pk,
        [lead.pk for lead in leads[:200]],
    )


def health(base_url, component="redis"):
    """(/health/ready status, `component` in /health/detailed, overall) as seen right now."""
    try:
        ready = httpx.get(base_url + "/health/ready", timeout=10).status_code
        detailed = httpx.get(base_url + "/health/detailed", timeout=10).json()
        return ready, detailed["checks"][component]["status"], detailed["status"]
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        return type(exc).__name__, None, None


def redis_outage(stack, seconds):
    before = health(stack.base_url)
    stack.stop("redis")
    time.sleep(3)
    during = [health(stack.base_url)]
    time.sleep(max(0, seconds - 3))
    during.append(health(stack.base_url))
    stack.start_redis()
    started = time.monotonic()
    wait_until(lambda: health(stack.base_url)[:2] == (200, "healthy"), timeout=90, what="health")
    recovered_at = time.monotonic()
    return {
        "before": before,
        "during": during,
        "recovered_after_s": round(recovered_at - started, 1),
        "after": health(stack.base_url),
    }


def job_status(base_url, token, job_id):
    response = httpx.get(
        f"{base_url}/exports/jobs/{job_id}", headers={"Authorization": f"Token {token}"}, timeout=10
    )
    return response.json()


def start_export_and_wait_running(stack, staff_token, campaign_id):
    """An XLSX leads export, returned once it has written some rows (or already ended)."""
    response = httpx.post(
        stack.base_url + "/exports/jobs",
        json={"campaign_id": campaign_id, "kind": "leads", "format": "xlsx"},
        headers={"Authorization": f"Token {staff_token}"},
        timeout=10,
    )
    job_id = response.json()["id"]

    def running_with_progress():
        job = job_status(stack.base_url, staff_token, job_id)
        return job["status"] in ("succeeded", "failed") or (
            job["status"] == "running" and job["progress"] > 0
        )

    wait_until(running_with_progress, timeout=180, what="export running", interval=0.5)
    return job_status(stack.base_url, staff_token, job_id)


def wait_job_ended(stack, staff_token, job_id, timeout=300):
    def ended():
        try:
            return job_status(stack.base_url, staff_token, job_id)["status"] in (
                "succeeded",
                "failed",
            )
        except (httpx.HTTPError, ValueError):
            return False

    wait_until(ended, timeout=timeout, what="export job to end", interval=0.5)
    return job_status(stack.base_url, staff_token, job_id)


def postgres_outage(stack, pg, seconds, staff_token, campaign_id):
    at_stop = start_export_and_wait_running(stack, staff_token, campaign_id)
    before = health(stack.base_url, "database")
    pg.stop()
    time.sleep(3)
    during = [health(stack.base_url, "database")]
    time.sleep(max(0, seconds - 3))
    during.append(health(stack.base_url, "database"))
    pg.start()
    started = time.monotonic()
    wait_until(
        lambda: health(stack.base_url, "database")[:2] == (200, "healthy"),
        timeout=90, what="health",
    )  # fmt: skip
    recovered_at = time.monotonic()
    final = wait_job_ended(stack, staff_token, at_stop["id"])
    return {
        "before": before,
        "during": during,
        "recovered_after_s": round(recovered_at - started, 1),
        "after": health(stack.base_url, "database"),
        "export": {
            "status_at_stop": at_stop["status"],
            "progress_at_stop": at_stop["progress"],
            "final_status": final["status"],
            "rows_written": final["rows_written"],
            "ended_after_restart_s": round(time.monotonic() - started, 1),
            "error": final["error"],
        },
    }


def worker_killed_mid_export(stack, staff_token, campaign_id):
    at_kill = start_export_and_wait_running(stack, staff_token, campaign_id)
    job_id = at_kill["id"]
    if at_kill["status"] != "running":
        return {"job_id": job_id, "final_status": at_kill["status"], "killed": False}
    stack.stop("worker", sig=signal.SIGKILL)
    stack.start_worker()
    started = time.monotonic()
    final = wait_job_ended(stack, staff_token, job_id)
    return {
        "job_id": job_id,
        "killed": True,
        "progress_at_kill": at_kill["progress"],
        "final_status": final["status"],
        "rows_written": final["rows_written"],
        "ended_after_kill_s": round(time.monotonic() - started, 1),
        "error": final["error"],
    }


def web_restart(stack, poster):
    before = len(poster.acknowledged)
    time.sleep(2)
    stack.stop("web")
    time.sleep(2)
    stack.start_web()
    time.sleep(3)
    return {"acknowledged_before": before, "acknowledged_after": len(poster.acknowledged)}


def stored_exactly_once(run_id, acknowledged):
    from django.db import connection

    from voiceagent.models import CallEvent

    connection.close()  # the drill's own connection did not survive the PostgreSQL restart
    stored = list(
        CallEvent.objects.filter(event_id__startswith=f"fault-{run_id}-").values_list(
            "event_id", flat=True
        )
    )
    return {
        "acknowledged": len(acknowledged),
        "stored_rows": len(stored),
        "stored_distinct": len(set(stored)),
        "acknowledged_missing": len(acknowledged - set(stored)),
    }


def unfinished_exports(campaign_id):
    from exports.models import ExportJob

    return ExportJob.objects.filter(
        campaign_id=campaign_id, status__in=("pending", "running")
    ).count()


def verdict(report):
    """The expectations of the drill, each by name: True when met."""
    events = report["events"]
    redis, postgres = report["redis_outage"], report["postgres_restart"]
    return {
        "every_202_stored_once": events["acknowledged_missing"] == 0
        and events["stored_rows"] == events["stored_distinct"] >= events["acknowledged"],
        "redis_outage_reported_then_recovered": all(
            ready == 503 and status != "healthy" for ready, status, _ in redis["during"]
        )
        and tuple(redis["after"][:2]) == (200, "healthy"),
        "postgres_outage_reported_then_recovered": all(
            ready == 503 and status != "healthy" for ready, status, _ in postgres["during"]
        )
        and tuple(postgres["after"][:2]) == (200, "healthy"),
        "exports_ended": postgres["export"]["final_status"] in ("succeeded", "failed")
        and report["worker_sigkill_mid_export"]["final_status"] in ("succeeded", "failed")
        and report["exports_left_pending_or_running"] == 0,
        "live_page_back_after_every_fault": all(
            back["live_again_after_s"] is not None
            and back["polling_when_posted"] is False
            and back["new_call_shown_after_s"] is not None
            for back in report["live_page"].values()
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--outage", type=float, default=15, help="seconds Redis stays down")
    parser.add_argument("--pg-outage", type=float, default=15, help="seconds PostgreSQL stays down")
    parser.add_argument("--export-leads", type=int, default=150_000)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args()
    for program in ("redis-server", CHROMIUM):
        if shutil.which(program) is None:
            raise SystemExit(f"faults: {program} is not installed")
    workdir = Path(tempfile.mkdtemp(prefix="voiceagent-faults-"))
    pg = PrivatePostgres(workdir)
    stack = Stack(workdir, pg.url)
    os.environ.update(stack.env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceagent.settings")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in its own thread
    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    run_id = uuid.uuid4().hex[:8]
    report = {"workdir": str(workdir)}
    watcher = None
    try:
        pg.init()
        migrate_and_collect_static(stack.env)
        token, staff_token, campaign_id, lead_ids = prepare(run_id, args.export_leads)
        stack.start_redis()
        stack.start_web()
        stack.start_worker()
        stack.start_beat()
        stack.start(
            "simulator",
            manage_command("simulate_calls", "--rate", "1", "--url", stack.base_url,
                           "--token", token),
        )  # fmt: skip
        watcher = LiveWatcher(stack.base_url, f"fault-manager-{run_id}", f"watch-{run_id}")
        watcher.start()
        watcher.ready.result(90)
        poster = Poster(stack.base_url, token, run_id, campaign_id, lead_ids)
        poster.start()
        time.sleep(5)
        report["live_page"] = {}

        def back(label, since):
            report["live_page"][label] = live_page_back(
                stack, watcher, token, campaign_id, lead_ids[0], label, since
            )

        since = time.time()
        report["redis_outage"] = redis_outage(stack, args.outage)
        back("redis", since)
        since = time.time()
        report["postgres_restart"] = postgres_outage(
            stack, pg, args.pg_outage, staff_token, campaign_id
        )
        back("postgres", since)
        since = time.time()
        report["worker_sigkill_mid_export"] = worker_killed_mid_export(
            stack, staff_token, campaign_id
        )
        back("worker", since)
        since = time.time()
        report["web_restart"] = web_restart(stack, poster)
        back("web", since)
        poster.stopping.set()
        poster.join(30)
        report["poster_failures"] = poster.failures
        report["events"] = stored_exactly_once(run_id, poster.acknowledged)
        report["exports_left_pending_or_running"] = unfinished_exports(campaign_id)
        report["verdict"] = verdict(report)
    finally:
        if watcher is not None and watcher.is_alive():
            watcher.stop()
        stack.stop_all()
        with contextlib.suppress(subprocess.CalledProcessError):  # never started
            pg.stop("immediate")
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, indent=2, default=str))
    sys.exit(0 if all(report["verdict"].values()) else 1)


if __name__ == "__main__":
    main()
