"""Measure one dataset: run in its own process with DATABASE_URL pointing at that dataset.

Prints one JSON list of figures: {figure, scale, ours_ms, baseline_ms, ratio, queries, ...}.
"""

import itertools
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceagent.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.endpoints import ENDPOINTS, ROLLUP_ENDPOINTS  # noqa: E402


def median_ms(fn, runs):
    fn()  # warm caches and connections; the figure is the steady state
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def subjects():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT campaign_id FROM voiceagent_callsession GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        campaign = cursor.fetchone()[0]
        cursor.execute(
            "SELECT c.call_sid FROM voiceagent_callsession c WHERE c.campaign_id = %s AND c.status = 'completed' "
            "AND EXISTS (SELECT 1 FROM voiceagent_conversationturn t WHERE t.call_id = c.id) ORDER BY c.id LIMIT 1",
            [campaign],
        )
        return {"campaign": campaign, "call_sid": cursor.fetchone()[0]}


def _target(figure, ours_ms, baseline_ms, scale):
    if figure in ROLLUP_ENDPOINTS:
        if scale not in ("reference", "large"):
            return {"target": "tracked (≤ 0.1× at 1M)", "met": None}  # nothing judged here
        return {"target": "≤ 0.1×", "met": ours_ms <= 0.1 * baseline_ms}
    if figure.startswith("transcript search"):
        return {"target": "< 50 ms", "met": ours_ms < 50}
    return {"target": "≤ 1.5× + 5 ms", "met": ours_ms <= 1.5 * baseline_ms + 5}


def measure_endpoints(scale, runs):
    user, _ = User.objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    # An API consumer's request: token authentication, as the spec's httpx clients do.
    token, _ = Token.objects.get_or_create(user=user)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    params = subjects()
    figures = []
    for figure, path, statements in ENDPOINTS:
        url = path.format(**params)

        def ours(url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code, response.content[:300])

        def baseline(statements=statements):
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql, params)
                    cursor.fetchall()

        # request_started resets the query log, so start the capture from an empty log.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            ours()
        # captured_queries reads the live log lazily: count now, before the next request resets it.
        # Statements, not transaction control (a read's audit row commits in its own transaction).
        queries = [
            q
            for q in captured.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK"))
        ]
        ours_ms = median_ms(ours, runs)
        baseline_ms = median_ms(baseline, runs)
        figures.append(
            {
                "figure": figure,
                "scale": scale,
                "ours_ms": round(ours_ms, 2),
                "baseline_ms": round(baseline_ms, 2),
                "ratio": round(ours_ms / baseline_ms, 2) if baseline_ms else None,
                "queries": len(queries),
                **_target(figure, ours_ms, baseline_ms, scale),
            }
        )
    return figures


def ingestion_events(count, campaign):
    """`count` realistic events (the simulator's call scripts) of new calls, in time order."""
    from voiceagent.models import Lead
    from voiceagent.simulation.simulator import CallPlanner, LeadInfo

    planner = CallPlanner(random.Random(7))
    fields = ("id", "campaign_id", "name", "city", "property_type", "budget", "preferred_locations")
    leads = [
        LeadInfo(**row) for row in Lead.objects.filter(campaign_id=campaign).values(*fields)[:5000]
    ]
    run = uuid.uuid4().hex[:8]
    start = timezone.now() - timedelta(hours=1)
    events = []
    for number in itertools.count():
        lead = leads[number % len(leads)]
        sid = f"BENCH-{run}-{number}"
        call_start = start + timedelta(seconds=number * 2)
        for index, (at, kind, data) in enumerate(planner.plan(lead)):
            events.append(
                {
                    "event_id": f"{sid}-{index}",
                    "type": kind,
                    "occurred_at": (call_start + timedelta(seconds=at)).isoformat(),
                    "call_sid": sid,
                    "campaign_id": lead.campaign_id,
                    "lead_id": lead.id,
                    "data": data,
                }
            )
        if len(events) >= count:
            break
    events.sort(key=lambda event: event["occurred_at"])
    return events[:count]


def ingestion_client():
    """A test client authenticated as the calling agent (token of a user in the ingest group)."""
    from voiceagent.access import ensure_groups

    _, ingest = ensure_groups()
    agent, _ = User.objects.get_or_create(username="bench-agent")
    agent.groups.add(ingest)
    token, _ = Token.objects.get_or_create(user=agent)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def cpu_seconds():
    """CPU seconds used so far by this process and by the database backend serving its
    connection (read from /proc: PostgreSQL on this machine), or None where that cannot be
    read. The CPU a batch costs moves far less with the machine's load than events/s do."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        backend = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except Exception:
        return None
    return time.process_time() + backend


def _cpu_ms_per_batch(run, batches):
    """(events/s of `run(batches)`, CPU ms per batch of this process and its backend)."""
    before = cpu_seconds()
    rate = run(batches)
    after = cpu_seconds()
    if before is None or after is None:
        return rate, None
    return rate, round((after - before) * 1000 / len(batches), 1)


def post_batches(client, batches):
    """Events/s posting each batch to POST /api/call-events."""
    started = time.perf_counter()
    for chunk in batches:
        response = client.post(
            "/api/call-events", json.dumps(chunk), content_type="application/json"
        )
        assert response.status_code == 202, response.content[:300]
    return sum(map(len, batches)) / (time.perf_counter() - started)


def insert_batches(batches, *, temporary):
    """Events/s of one multi-row INSERT per batch, each committed on its own (autocommit), into
    a copy of the event log's table: an ordinary (WAL-logged) table, as ours are, or a TEMP one
    (not WAL-logged, so its commits cost no WAL flush). The table is dropped afterwards."""
    kind = "TEMP TABLE" if temporary else "TABLE"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_events")
        cursor.execute(f"CREATE {kind} bench_events (LIKE voiceagent_callevent INCLUDING ALL)")
        try:
            started = time.perf_counter()
            for chunk in batches:
                values = ", ".join(["(%s, %s, %s, %s, %s::jsonb, 'api', now())"] * len(chunk))
                params = []
                for event in chunk:
                    params += [
                        event["event_id"],
                        event["type"],
                        event["call_sid"],
                        event["occurred_at"],
                        json.dumps(event),
                    ]
                cursor.execute(
                    "INSERT INTO bench_events (event_id, type, call_sid, occurred_at, payload, "
                    f"source, received_at) VALUES {values}",
                    params,
                )
            return sum(map(len, batches)) / (time.perf_counter() - started)
        finally:
            cursor.execute("DROP TABLE bench_events")


def measure_ingestion(scale, count=20_000, batch=500, profiler=None):
    """Events/s through POST /api/call-events in batches of 500, beside a plain multi-row INSERT
    into an ordinary table (`baseline`) and into a TEMP table (`baseline_temp`, for reference).
    With a cProfile `profiler`, only the posting is profiled."""
    assert connection.get_autocommit(), "each baseline batch must commit as ours does"
    client = ingestion_client()
    events = ingestion_events(count, subjects()["campaign"])
    batches = [events[i : i + batch] for i in range(0, len(events), batch)]
    # Warm up (imports, caches, connections) with a copy of the first call under new ids: the
    # figure is the steady state, as the endpoints' medians are.
    first = events[0]["call_sid"]
    warm_up = [
        {**event, "event_id": f"{event['event_id']}-warm-up", "call_sid": f"{first}-warm-up"}
        for event in events
        if event["call_sid"] == first
    ]
    post_batches(client, [warm_up])
    if profiler:
        profiler.enable()
    ours, ours_cpu = _cpu_ms_per_batch(lambda chunks: post_batches(client, chunks), batches)
    if profiler:
        profiler.disable()
    baseline, baseline_cpu = _cpu_ms_per_batch(
        lambda chunks: insert_batches(chunks, temporary=False), batches
    )
    baseline_temp = insert_batches(batches, temporary=True)
    return [
        {
            "figure": f"ingestion ({count:,} events, batches of {batch})",
            "scale": scale,
            "unit": "ev/s",
            "ours": round(ours),
            "baseline": round(baseline),
            "baseline_temp": round(baseline_temp),
            "ratio": round(ours / baseline, 2),
            "ratio_temp": round(ours / baseline_temp, 2),
            # CPU ms per batch, this process and its database backend: ours and the INSERT's.
            "ours_cpu_ms": ours_cpu,
            "baseline_cpu_ms": baseline_cpu,
            "target": "≥ 0.4× bare INSERT",
            "met": ours / baseline >= 0.4,
        }
    ]


def measure_metrics_scrape(scale, runs):
    client = Client()
    queries = [
        "SELECT count(*) FROM voiceagent_callsession WHERE status IN ('initiated','ringing','in_progress')",
        "SELECT count(*) FROM voiceagent_callsession WHERE status = 'queued'",
        "SELECT id, status FROM voiceagent_campaign",
    ]

    def ours():
        assert client.get("/health/metrics").status_code == 200

    def baseline():
        with connection.cursor() as cursor:
            for sql in queries:
                cursor.execute(sql)
                cursor.fetchall()

    ours_ms, baseline_ms = median_ms(ours, runs), median_ms(baseline, runs)
    return [
        {
            "figure": "/health/metrics scrape",
            "scale": scale,
            "ours_ms": round(ours_ms, 2),
            "baseline_ms": round(baseline_ms, 2),
            "ratio": round(ours_ms / baseline_ms, 2),
            "target": "< 50 ms",
            "met": ours_ms < 50,
        }
    ]


if __name__ == "__main__":
    scale = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    sections = sys.argv[3].split(",") if len(sys.argv) > 3 else ["endpoints"]
    results = []
    if "endpoints" in sections:
        results += measure_endpoints(scale, runs)
    if "metrics" in sections:
        results += measure_metrics_scrape(scale, runs)
    if "ingestion" in sections:
        results += measure_ingestion(scale, count=int(os.environ.get("BENCH_EVENTS", "20000")))
    print(json.dumps(results))
