"""`make bench` on tiny data: the harness runs end to end and its table has the promised shape."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bench.dataset import SERVER_URL
from bench.endpoints import ENDPOINTS, ROLLUP_ENDPOINTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_harness_prints_one_row_per_figure_and_writes_results(tmp_path):
    results = tmp_path / "results.json"
    env = {
        **os.environ,
        "SCALE": "tiny",
        "RUNS": "1",
        "BENCH_SAMPLE_SECONDS": "0",
        "BENCH_EVENTS": "1000",
        "BENCH_RESULTS": str(results),
        # Its own tiny dataset: those of earlier harnesses took each run's ingested events.
        "BENCH_DB_PREFIX": "voiceagent_bench_smoke",
    }
    result = subprocess.run(
        [sys.executable, "bench/run.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(results.read_text())
    figures = [figure["figure"] for figure in report["figures"]]
    assert figures == ["rebuild_rollups (every campaign)"] + [name for name, _, _ in ENDPOINTS] + [
        "/health/metrics scrape",
        "ingestion (1,000 events, batches of 500)",
    ]
    rebuild, *measured = report["figures"]
    assert (rebuild["unit"], rebuild["ratio"], rebuild["target"], rebuild["met"]) == (
        "s",
        None,
        "timed",
        None,
    )
    assert rebuild["ours"] > 0
    for figure in measured:
        assert figure["scale"] == "tiny"
        # Rollup endpoints are only judged at 1M calls: below, their figure is tracked.
        assert (
            figure["met"] is None
            if figure["figure"] in ROLLUP_ENDPOINTS
            else figure["met"] in (True, False)
        )
    for figure in measured:
        assert figure["ratio"] > 0
    endpoint_rows = measured[: len(ENDPOINTS)]
    assert all(1 <= row["queries"] <= 12 for row in endpoint_rows)
    header, rule, *rows = result.stdout.strip().splitlines()[: 2 + len(figures)]
    assert header.split()[:6] == ["figure", "scale", "ours", "baseline", "ratio", "queries"]
    assert len(rows) == len(figures)
    # Ingestion ran on a copy of the dataset, dropped afterwards: the dataset is as built.
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as server:
        left = server.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'voiceagent_bench_smoke%' "
            "ORDER BY 1"
        ).fetchall()
    assert left == [("voiceagent_bench_smoke_tiny",)]
    with psycopg.connect(f"{SERVER_URL}/voiceagent_bench_smoke_tiny") as dataset:
        ingested = dataset.execute(
            "SELECT count(*) FROM voiceagent_callsession WHERE call_sid LIKE 'BENCH-%'"
        ).fetchone()
    assert ingested == (0,)


def test_a_dataset_whose_migrations_were_regenerated_is_not_reused():
    from bench.dataset import _migration_files

    applied = {("voiceagent", "0001_initial"), ("voiceagent", "0003_issue3_lead_import"),
               ("auth", "0001_initial")}  # fmt: skip
    files = _migration_files(applied)

    assert ("voiceagent", "0001_initial") in files and ("auth", "0001_initial") in files
    assert not applied <= files  # the renamed migration: build the dataset again


def test_flatness_compares_each_rollup_endpoint_at_1m_with_10k():
    from bench.run import flatness

    figures = [
        {"figure": "funnel", "scale": "10k", "ours_ms": 8.0},
        {"figure": "funnel", "scale": "100k", "ours_ms": 9.0},
        {"figure": "funnel", "scale": "reference", "ours_ms": 12.0},
        {"figure": "best hours", "scale": "10k", "ours_ms": 5.0},
        {"figure": "best hours", "scale": "reference", "ours_ms": 10.5},
        {"figure": "conversation", "scale": "10k", "ours_ms": 3.0},
        {"figure": "conversation", "scale": "reference", "ours_ms": 30.0},
        {"figure": "funnel", "scale": "large", "ours_ms": 14.0},
    ]

    rows = flatness(figures)

    assert [(r["figure"], r["ours"], r["target"], r["met"]) for r in rows] == [
        ("best hours: 1M ÷ 10k", 2.1, "≤ 2×", False),
        ("funnel: 1M ÷ 10k", 1.5, "≤ 2×", True),
        ("funnel: 10M ÷ 10k", 1.75, "≤ 2×", True),
    ]
