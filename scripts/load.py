"""Load test against a running ASGI server: ingestion, dashboard polling and open WebSockets.

    make load                                   # uvicorn --workers 2 started by the script
    .venv/bin/python scripts/load.py --base-url http://127.0.0.1:8000 --duration 300 \
        --rate 200 --websockets 200 --pollers 10 --pids 1234

Needs the server's DATABASE_URL (and the rest of its environment) to prepare its users and to
count what was stored afterwards. For `--duration` seconds it, at the same time:
- posts call events to /api/call-events at `--rate` events/s in batches of `--batch` (whole calls:
  queued, initiated, ringing, answered, two turns, completed), at most `--in-flight` requests
  outstanding;
- polls /dashboard/realtime and /dashboard/overview with `--pollers` pollers (one manager's
  session, shared with the WebSockets), one request per second each;
- holds `--websockets` WebSockets open on /ws/dashboard/ and counts the messages they receive.
Then it reports latency p50/p95/p99 per kind, the error rate, events sent / accepted / stored
(counted in the database by this run's event_id prefix) and the RSS of the server processes
(`--pids` and their children) sampled every `--sample-every` seconds, with each process's slope
after `--warmup` seconds. Exit status 1 if any error, any event lost, any socket dropped, or any
process's RSS still growing faster than `--max-growth` MiB/min after warm-up.
"""

import argparse
import asyncio
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as scripts/load.py

from scripts.harness import (  # noqa: E402
    child_environment,
    free_port,
    migrate_and_collect_static,
    start_process,
    stop_process_groups,
    uvicorn_command,
    wait_for_http,
)


def ensure_database(database_url):
    """Create the run's PostgreSQL database if it does not exist yet (`serve` migrates it)."""
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def serve(workers, workdir):
    """uvicorn with `workers` processes on a free loopback port, in this environment."""
    port = free_port()
    env = child_environment(
        STATIC_ROOT=workdir / "static", PROMETHEUS_MULTIPROC_DIR=workdir / "prom"
    )
    (workdir / "prom").mkdir()
    migrate_and_collect_static(env)
    proc = start_process(
        uvicorn_command(port, workers=workers), env=env, log=workdir / "server.log"
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base_url + "/health/live", timeout=60, process=proc)
    except (TimeoutError, RuntimeError) as exc:
        stop_process_groups(proc)
        raise SystemExit(f"load: the server did not answer; see {workdir / 'server.log'}") from exc
    time.sleep(2)  # every worker up, not only the first
    return proc, base_url


def django_setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceagent.settings")
    import django

    django.setup()


def prepare(run_id, password):
    """An ingest user with a token, a manager with a password, a campaign with leads."""
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from voiceagent.access import ensure_groups
    from voiceagent.models import Campaign, CampaignStatus, Lead

    managers, ingest = ensure_groups()
    agent = User.objects.create_user(f"load-agent-{run_id}")
    agent.groups.add(ingest)
    manager = User.objects.create_user(f"load-manager-{run_id}", password=password)
    manager.groups.add(managers)
    campaign = Campaign.objects.create(name=f"Load {run_id}", status=CampaignStatus.RUNNING)
    campaign.members.add(manager)
    leads = Lead.objects.bulk_create(
        Lead(campaign=campaign, name=f"Load lead {n}", phone=f"+9197{n:08d}") for n in range(200)
    )
    token, _ = Token.objects.get_or_create(user=agent)
    return token.key, manager.username, campaign.pk, [lead.pk for lead in leads]


def stored_events(run_id):
    from voiceagent.models import CallEvent

    return CallEvent.objects.filter(event_id__startswith=f"load-{run_id}-").count()


def descendants(pids):
    """The given processes and all their children (from /proc), for RSS."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return sorted(set(found))


def commands(pids):
    """What each process is (its command line, shortened), to read the RSS figures by."""
    names = {}
    for pid in descendants(pids):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        names[pid] = " ".join(a.decode(errors="replace") for a in args if a)[:100]
    return names


def rss_mib(pids):
    sizes = {}
    for pid in descendants(pids):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[pid] = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            continue
    return sizes


def slope_per_minute(points):
    """Least-squares slope of (seconds, MiB) points, in MiB per minute (0 with fewer than 2)."""
    if len(points) < 2:
        return 0.0
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if not spread:
        return 0.0
    return 60 * sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def memory_trend(samples, warmup_s):
    """Per process: RSS at the start, after warm-up, the peak and the end, and the slope after
    warm-up (the first `warmup_s` seconds fill caches and connection pools)."""
    trend = {}
    for pid in sorted({pid for _, sizes in samples for pid in sizes}):
        series = [(t, sizes[pid]) for t, sizes in samples if pid in sizes]
        settled = [(t, mib) for t, mib in series if t >= warmup_s] or series
        trend[pid] = {
            "start_mib": series[0][1],
            "after_warmup_mib": settled[0][1],
            "peak_mib": max(mib for _, mib in series),
            "end_mib": series[-1][1],
            "slope_after_warmup_mib_per_min": round(slope_per_minute(settled), 2),
        }
    return trend


async def sample_memory(pids, every, samples, deadline, started):
    while True:
        samples.append((round(time.monotonic() - started, 1), rss_mib(pids)))
        if time.monotonic() >= deadline:
            return
        await asyncio.sleep(min(every, max(0.0, deadline - time.monotonic())))


class Stats:
    def __init__(self):
        self.latencies = {}
        self.errors = {}
        self.requests = {}

    def record(self, kind, seconds, ok, detail=None):
        self.requests[kind] = self.requests.get(kind, 0) + 1
        self.latencies.setdefault(kind, []).append(seconds * 1000)
        if not ok:
            errors = self.errors.setdefault(kind, {})
            errors[detail] = errors.get(detail, 0) + 1

    def summary(self):
        out = {}
        for kind, values in sorted(self.latencies.items()):
            cuts = (
                statistics.quantiles(values, n=100, method="inclusive")
                if len(values) > 1
                else values * 99
            )
            out[kind] = {
                "requests": self.requests[kind],
                "errors": sum(self.errors.get(kind, {}).values()),
                "p50_ms": round(cuts[49], 1),
                "p95_ms": round(cuts[94], 1),
                "p99_ms": round(cuts[98], 1),
            }
        return out


def call_events(run_id, n, campaign_id, lead_id):
    sid = f"CAload{run_id}{n:07d}"
    at = datetime.now(UTC)
    steps = [
        ("call.queued", {}),
        ("call.initiated", {}),
        ("call.ringing", {}),
        ("call.answered", {}),
        ("call.turn", {"sequence": 1, "speaker": "agent", "text": "Hello!", "stage": "greeting"}),
        ("call.turn", {"sequence": 2, "speaker": "lead", "text": "Hi.", "stage": "greeting"}),
        ("call.completed", {"outcome": "not_interested", "duration_seconds": 42}),
    ]
    return [
        {
            "event_id": f"load-{run_id}-{n}-{i}",
            "type": kind,
            "occurred_at": at.isoformat(),
            "call_sid": sid,
            "campaign_id": campaign_id,
            "lead_id": lead_id,
            "data": data,
        }
        for i, (kind, data) in enumerate(steps)
    ]


async def ingest(args, client, token, run_id, campaign_id, lead_ids, stats, counts, deadline):
    in_flight = asyncio.Semaphore(args.in_flight)
    interval = args.batch / args.rate
    pending, tasks, call_no = [], set(), 0

    async def post(batch):
        async with in_flight:
            started = time.perf_counter()
            try:
                response = await client.post(
                    "/api/call-events", json=batch, headers={"Authorization": f"Token {token}"}
                )
                ok = response.status_code == 202
                if ok:
                    body = response.json()
                    counts["accepted"] += body["accepted"]
                    counts["duplicates"] += body["duplicates"]
                stats.record("ingest", time.perf_counter() - started, ok, response.status_code)
            except httpx.HTTPError as exc:
                stats.record("ingest", time.perf_counter() - started, False, type(exc).__name__)

    next_at = time.monotonic()
    while time.monotonic() < deadline:
        while len(pending) < args.batch:
            pending.extend(
                call_events(run_id, call_no, campaign_id, lead_ids[call_no % len(lead_ids)])
            )
            call_no += 1
        batch, pending = pending[: args.batch], pending[args.batch :]
        counts["sent"] += len(batch)
        task = asyncio.create_task(post(batch))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    if tasks:
        await asyncio.gather(*tasks)


async def poll(client, cookies, stats, deadline):
    paths = ["/dashboard/realtime", "/dashboard/overview"]
    n = 0
    while time.monotonic() < deadline:
        path = paths[n % 2]
        n += 1
        started = time.perf_counter()
        try:
            response = await client.get(path, cookies=cookies)
            stats.record(
                "poll",
                time.perf_counter() - started,
                response.status_code == 200,
                response.status_code,
            )
        except httpx.HTTPError as exc:
            stats.record("poll", time.perf_counter() - started, False, type(exc).__name__)
        await asyncio.sleep(1.0)


async def hold_websocket(url, origin, cookie_header, stats, counts, deadline):
    started = time.perf_counter()
    try:
        async with websockets.connect(
            url, origin=origin, additional_headers={"Cookie": cookie_header}, open_timeout=30
        ) as socket:
            stats.record("ws_connect", time.perf_counter() - started, True)
            while (remaining := deadline - time.monotonic()) > 0:
                try:
                    await asyncio.wait_for(socket.recv(), timeout=remaining)
                    counts["ws_messages"] += 1
                except TimeoutError:
                    break
    except (OSError, websockets.WebSocketException, TimeoutError) as exc:
        stats.record("ws_connect", time.perf_counter() - started, False, type(exc).__name__)
        counts["ws_dropped"] += 1


async def login(client, username, password):
    page = await client.get("/accounts/login/")
    csrf = page.cookies.get("csrftoken") or client.cookies.get("csrftoken")
    response = await client.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": csrf},
        headers={"Referer": str(client.base_url) + "/accounts/login/"},
    )
    if response.status_code != 302:
        raise SystemExit(f"login failed: {response.status_code}")
    return {"sessionid": client.cookies["sessionid"]}


async def run(args):
    run_id = uuid.uuid4().hex[:8]
    password = uuid.uuid4().hex
    token, username, campaign_id, lead_ids = await asyncio.to_thread(prepare, run_id, password)
    limits = httpx.Limits(max_connections=args.in_flight + args.pollers + 4)
    async with httpx.AsyncClient(base_url=args.base_url, timeout=30, limits=limits) as client:
        cookies = await login(client, username, password)
        client.cookies.clear()
        rss_before = rss_mib(args.pids)
        stats = Stats()
        counts = {"sent": 0, "accepted": 0, "duplicates": 0, "ws_messages": 0, "ws_dropped": 0}
        deadline = time.monotonic() + args.duration
        base = urlsplit(args.base_url)
        ws_url = f"ws://{base.netloc}/ws/dashboard/"
        origin = f"{base.scheme}://{base.netloc}"
        cookie_header = f"sessionid={cookies['sessionid']}"
        sockets = []
        for _ in range(args.websockets):  # opened gradually, as browsers would arrive
            sockets.append(
                asyncio.create_task(
                    hold_websocket(ws_url, origin, cookie_header, stats, counts, deadline)
                )
            )
            await asyncio.sleep(0.01)
        started = time.monotonic()
        samples = []
        await asyncio.gather(
            ingest(args, client, token, run_id, campaign_id, lead_ids, stats, counts, deadline),
            *(poll(client, cookies, stats, deadline) for _ in range(args.pollers)),
            *sockets,
            sample_memory(args.pids, args.sample_every, samples, deadline, started),
        )
        elapsed = time.monotonic() - started
    await asyncio.sleep(1)  # the last batches' commits
    stored = await asyncio.to_thread(stored_events, run_id)
    rss_after = rss_mib(args.pids)
    total = sum(stats.requests.values())
    errors = sum(sum(e.values()) for e in stats.errors.values())
    return {
        "run_id": run_id,
        "duration_s": round(elapsed, 1),
        "rate_target_events_per_s": args.rate,
        "events_per_s_achieved": round(counts["sent"] / elapsed, 1),
        "events": {"sent": counts["sent"], "accepted": counts["accepted"],
                   "duplicates": counts["duplicates"], "stored": stored},
        "latency": stats.summary(),
        "requests": total,
        "errors": errors,
        "error_rate": round(errors / total, 5) if total else 0.0,
        "error_detail": {k: {str(d): n for d, n in v.items()} for k, v in stats.errors.items()},
        "websockets": {"opened": args.websockets, "dropped": counts["ws_dropped"],
                       "messages_received": counts["ws_messages"]},
        "rss_mib_before": rss_before,
        "rss_mib_after": rss_after,
        "processes": commands(args.pids),
        "rss_trend": memory_trend(samples, args.warmup),
        "rss_samples": [{"t_s": t, "mib": sizes} for t, sizes in samples],
    }  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--duration", type=float, default=300)
    parser.add_argument("--rate", type=float, default=200, help="events per second")
    parser.add_argument("--batch", type=int, default=50, help="events per request")
    parser.add_argument("--in-flight", type=int, default=8, help="ingestion requests outstanding")
    parser.add_argument("--pollers", type=int, default=10)
    parser.add_argument("--websockets", type=int, default=200)
    parser.add_argument("--pids", type=lambda s: [int(p) for p in s.split(",") if p], default=[])
    parser.add_argument(
        "--serve", type=int, metavar="WORKERS",
        help="start uvicorn with this many workers on a free port (and the database) and measure it",
    )  # fmt: skip
    parser.add_argument(
        "--sample-every", type=float, default=10, help="seconds between RSS samples"
    )
    parser.add_argument("--warmup", type=float, default=60, help="seconds before the RSS trend")
    parser.add_argument(
        "--max-growth", type=float, default=1.0,
        help="MiB per minute of RSS growth after warm-up above which a process counts as growing",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print only the JSON report")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    server, workdir = None, None
    if args.serve:
        ensure_database(os.environ["DATABASE_URL"])
        workdir = Path(tempfile.mkdtemp(prefix="voiceagent-load-"))
        server, args.base_url = serve(args.serve, workdir)
        args.pids = [server.pid]
    django_setup()
    try:
        report = asyncio.run(run(args))
    finally:
        if server is not None:
            stop_process_groups(server, timeout=30)
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, indent=2))
    events = report["events"]
    lost = events["stored"] != events["accepted"] or events["accepted"] != events["sent"]
    growing = [
        pid for pid, trend in report["rss_trend"].items()
        if trend["slope_after_warmup_mib_per_min"] > args.max_growth
    ]  # fmt: skip
    if growing:
        print(f"load: RSS still growing after warm-up in {growing}", file=sys.stderr)
    sys.exit(1 if report["errors"] or lost or report["websockets"]["dropped"] or growing else 0)


if __name__ == "__main__":
    main()
