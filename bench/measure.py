"""Measure one dataset: run in its own process with DATABASE_URL pointing at that dataset.

Prints one JSON list of figures: {figure, scale, ours_ms, baseline_ms, ratio, queries, ...}.
"""

import json
import os
import statistics
import sys
import time
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

from bench.endpoints import ENDPOINTS  # noqa: E402


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


def measure_endpoints(scale, runs):
    user, _ = User.objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
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
        queries = [
            q
            for q in captured.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
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
                "target": "≤ 1.5× + 5 ms",
                "met": ours_ms <= 1.5 * baseline_ms + 5,
            }
        )
    return figures


if __name__ == "__main__":
    scale = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    sections = sys.argv[3].split(",") if len(sys.argv) > 3 else ["endpoints"]
    results = []
    if "endpoints" in sections:
        results += measure_endpoints(scale, runs)
    print(json.dumps(results))
