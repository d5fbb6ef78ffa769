"""Fault drill: web, worker, beat and simulator running; Redis, the worker and the web fail.

    DATABASE_URL=postgres://.../voiceagent_faults .venv/bin/python scripts/faults.py

Starts everything itself on free ports (never 8000, never the shared Redis): a private
redis-server (append-only file, as production Redis would persist), uvicorn (the ASGI app), a
Celery worker, Celery beat and the call simulator posting over HTTP, plus its own event poster
that records every event_id the server answered 202 for. Then, in turn:

1. Redis stopped for `--outage` seconds and started again: /health/ready must answer 503 and
   /health/detailed report redis unhealthy while it is down, and both recover by themselves;
2. the Celery worker SIGKILLed (with its pool) while an export job is running: a new worker is
   started; the job must end succeeded or failed (the reaper re-queues it after
   EXPORT_STALE_AFTER_SECONDS without a heartbeat, here shortened);
3. the web process restarted (SIGTERM, then started again) while events are being posted.

Afterwards every event answered 202 must be stored exactly once (CallEvent.event_id is unique,
so "at least once" is what is checked, and the count of rows of this run equals the distinct
ids answered 202). Prints a JSON report; exit status 1 on any violated expectation.

The machine's shared PostgreSQL is never restarted here (see README "Hardening" for that case).
"""

import argparse
import json
import logging
import os
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
        self.env = os.environ | {
            "DATABASE_URL": database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "DEBUG": "0",
            "SECRET_KEY": "faults-drill-secret-key-0123456789abcdef0123456789",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "MEDIA_ROOT": str(workdir / "media"),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "EXPORT_STALE_AFTER_SECONDS": "15",
            "EXPORT_PROGRESS_EVERY": "2000",
            "EXPORT_SYNC_MAX_ROWS": "10",
        }

    def start(self, name, args, **kwargs):
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (kept open with the process)
        self.procs[name] = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, **kwargs,
        )  # fmt: skip
        return self.procs[name]

    def stop(self, name, sig=signal.SIGTERM, timeout=20):
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, sig)  # the process group: a worker's pool children too
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def start_redis(self):
        self.start(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--dir", str(self.workdir), "--appendonly", "yes", "--save", ""],
        )  # fmt: skip
        wait_until(lambda: _redis_ping(self.redis_port), 10, "redis up")

    def start_web(self):
        self.start(
            "web",
            [PY, "-m", "uvicorn", "voiceagent.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.web_port), "--log-level", "warning"],
        )  # fmt: skip
        wait_until(lambda: _http_ok(self.base_url + "/health/live"), 30, "web up")

    def start_worker(self):
        self.start(
            "worker",
            [PY, "-m", "celery", "-A", "voiceagent", "worker", "--concurrency", "1",
             "--loglevel", "WARNING", "-n", f"faults-{uuid.uuid4().hex[:6]}@%h"],
        )  # fmt: skip

    def start_beat(self):
        self.start(
            "beat",
            [PY, "-m", "celery", "-A", "voiceagent", "beat", "--loglevel", "WARNING",
             "-s", str(self.workdir / "beat-schedule")],
        )  # fmt: skip

    def stop_all(self):
        for name in list(self.procs):
            self.stop(name)


def _redis_ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _http_ok(url):
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(0.5)
    raise SystemExit(f"faults: timed out waiting for {what}")


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


def prepare(run_id, export_leads):
    from django.contrib.auth.models import Group, Permission, User
    from rest_framework.authtoken.models import Token

    from voiceagent.access import INGEST_GROUP
    from voiceagent.models import Campaign, CampaignStatus, Lead

    ingest, created = Group.objects.get_or_create(name=INGEST_GROUP)
    if created:
        ingest.permissions.add(Permission.objects.get(codename="ingest_callevent"))
    agent = User.objects.create_user(f"fault-agent-{run_id}")
    agent.groups.add(ingest)
    staff = User.objects.create_user(f"fault-staff-{run_id}", is_staff=True)
    campaign = Campaign.objects.create(name=f"Faults {run_id}", status=CampaignStatus.RUNNING)
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


def health(base_url):
    try:
        ready = httpx.get(base_url + "/health/ready", timeout=5).status_code
        detailed = httpx.get(base_url + "/health/detailed", timeout=5).json()
        return ready, detailed["checks"]["redis"]["status"], detailed["status"]
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
    recovered_at = wait_until(lambda: health(stack.base_url)[:2] == (200, "healthy"), 90, "health")
    return {
        "before": before,
        "during": during,
        "recovered_after_s": round(recovered_at - started, 1),
        "after": health(stack.base_url),
    }


def job_status(base_url, token, job_id):
    response = httpx.get(
        f"{base_url}/exports/jobs/{job_id}", headers={"Authorization": f"Token {token}"}, timeout=5
    )
    return response.json()


def worker_killed_mid_export(stack, staff_token, campaign_id):
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

    wait_until(running_with_progress, 180, "export running")
    at_kill = job_status(stack.base_url, staff_token, job_id)
    if at_kill["status"] != "running":
        return {"job_id": job_id, "final_status": at_kill["status"], "killed": False}
    stack.stop("worker", sig=signal.SIGKILL)
    stack.start_worker()
    started = time.monotonic()
    wait_until(
        lambda: (
            job_status(stack.base_url, staff_token, job_id)["status"] in ("succeeded", "failed")
        ),
        300,
        "export job to end",
    )
    final = job_status(stack.base_url, staff_token, job_id)
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
    from voiceagent.models import CallEvent

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--outage", type=float, default=15, help="seconds Redis stays down")
    parser.add_argument("--export-leads", type=int, default=150_000)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit("faults: set DATABASE_URL to a dedicated PostgreSQL database")
    if shutil.which("redis-server") is None:
        raise SystemExit("faults: redis-server is not installed")
    workdir = Path(tempfile.mkdtemp(prefix="voiceagent-faults-"))
    stack = Stack(workdir, os.environ["DATABASE_URL"])
    os.environ.update(stack.env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceagent.settings")
    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    run_id = uuid.uuid4().hex[:8]
    report = {"workdir": str(workdir)}
    try:
        subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=stack.env, check=True)
        token, staff_token, campaign_id, lead_ids = prepare(run_id, args.export_leads)
        stack.start_redis()
        stack.start_web()
        stack.start_worker()
        stack.start_beat()
        stack.start(
            "simulator",
            [PY, "manage.py", "simulate_calls", "--rate", "1", "--url", stack.base_url,
             "--token", token],
        )  # fmt: skip
        poster = Poster(stack.base_url, token, run_id, campaign_id, lead_ids)
        poster.start()
        time.sleep(5)
        report["redis_outage"] = redis_outage(stack, args.outage)
        report["worker_sigkill_mid_export"] = worker_killed_mid_export(
            stack, staff_token, campaign_id
        )
        report["web_restart"] = web_restart(stack, poster)
        poster.stopping.set()
        poster.join(30)
        report["poster_failures"] = poster.failures
        report["events"] = stored_exactly_once(run_id, poster.acknowledged)
    finally:
        stack.stop_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, indent=2, default=str))
    events, export = report["events"], report["worker_sigkill_mid_export"]
    outage = report["redis_outage"]
    ok = (
        events["acknowledged_missing"] == 0
        and events["stored_rows"] == events["stored_distinct"] >= events["acknowledged"]
        and export["final_status"] in ("succeeded", "failed")
        and all(ready == 503 and redis != "healthy" for ready, redis, _ in outage["during"])
        and outage["after"][:2] == (200, "healthy")
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
