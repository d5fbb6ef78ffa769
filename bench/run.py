"""`make bench`: build (or reuse) the datasets, measure each in its own process, print one table
and write bench/results.json. SCALE=small runs in about a minute; the default is reference scale.
"""

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dataset import SCALES, SERVER_URL, build, rollups_seconds, throwaway_copy  # noqa: E402
from bench.endpoints import ROLLUP_ENDPOINTS  # noqa: E402

PLANS = {
    # scale: [(dataset, sections)]
    "tiny": [("tiny", "endpoints,metrics,ingestion")],
    "small": [("small", "endpoints,metrics,ingestion")],
    "reference": [
        ("10k", "endpoints"),
        ("100k", "endpoints"),
        ("reference", "endpoints,metrics,ingestion"),
    ],
    # 10M calls, ~50M turns: about 30 GB of disk and an hour to build; the endpoints only.
    "large": [("10k", "endpoints"), ("large", "endpoints")],
}
# The calls of each dataset that flatness() compares with 10k, as the report names them.
GROWN = {"reference": "1M", "large": "10M"}


def measuring_env(url):
    """The environment of a measuring process on the dataset at `url`: production settings,
    persistent connections (as production runs them), and a user rate limit no figure's
    samples reach (bench/measure.py takes up to 301 requests of an endpoint in a few seconds;
    the limit's check costs the same whatever its rate)."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-secret-key-bench-secret-key-bench-secret-key-0123",
        "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9"),
        "STATIC_ROOT": "var/static-test",
        "DB_CONN_MAX_AGE": "600",
        "API_USER_RATE": "1000000/min",
    }


def measure(dataset, sections, runs):
    """The figures of `dataset` for `sections` (endpoints, metrics, ingestion), each section's
    process on the dataset as built, ingestion's on a copy of it (dataset.throwaway_copy): it
    writes, and each run grew the dataset by its events."""
    url = build(SCALES[dataset], log=lambda line: print(line, file=sys.stderr, flush=True))
    wanted = sections.split(",")
    reads = [section for section in wanted if section != "ingestion"]
    figures = _measured(dataset, reads, runs, url) if reads else []
    if "ingestion" in wanted:
        with throwaway_copy(SCALES[dataset]) as copy_url:
            figures += _measured(dataset, ["ingestion"], runs, copy_url)
    rebuild = {
        "figure": "rebuild_rollups (every campaign)",
        "scale": dataset,
        "unit": "s",
        "ours": rollups_seconds(SCALES[dataset]),
        "baseline": 0,
        "ratio": None,
        "target": "timed",
        "met": None,  # a time to read, no target
    }
    return [rebuild, *figures]


def _measured(dataset, sections, runs, url):
    out = subprocess.run(
        [sys.executable, "bench/measure.py", dataset, str(runs), ",".join(sections)],
        cwd=ROOT, env=measuring_env(url), check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


# An endpoint that reads the rollups costs at 1M (and 10M) calls at most this many times its
# 10k cost.
MAX_GROWTH = 2


def flatness(figures):
    """For each rollup endpoint measured at 10k and at a larger scale (1M, 10M): its time there
    ÷ its time at 10k."""
    timed = {(f["figure"], f["scale"]): f["ours_ms"] for f in figures if "ours_ms" in f}
    rows = []
    for scale, calls in GROWN.items():
        for figure in sorted(ROLLUP_ENDPOINTS):
            small, large = timed.get((figure, "10k")), timed.get((figure, scale))
            if small and large:
                rows.append(_growth(figure, calls, large / small))
    return rows


def _growth(figure, calls, growth):
    return {
        "figure": f"{figure}: {calls} ÷ 10k",
        "scale": f"10k→{calls}",
        "unit": "×",
        "ours": round(growth, 2),
        "baseline": MAX_GROWTH,
        "ratio": round(growth, 2),
        "target": f"≤ {MAX_GROWTH}×",
        "met": growth <= MAX_GROWTH,
    }


def measure_exports(sizes):
    """Results export at 100k and 1M rows: CSV against COPY of the same content, XLSX against
    plain xlsxwriter; throughput ratio (ours / baseline rows per second) and peak RSS."""
    out = ROOT / "var" / "export-bench.json"
    out.parent.mkdir(exist_ok=True)
    env = {**os.environ, "DATABASE_URL": f"{SERVER_URL}/postgres"}
    reuse = ["--reuse"] if _export_db_ready() else []
    subprocess.run(
        [sys.executable, "bench/export_bench.py", *reuse, "--sizes", *sizes, "--measures",
         "csv_ours", "csv_copy_same", "xlsx_ours", "xlsx_plain", "--json", str(out)],
        cwd=ROOT, env=env, check=True, stdout=sys.stderr,
    )  # fmt: skip
    rows = {(r["size"], r["what"]): r for r in json.loads(out.read_text())}
    figures = []
    for size in sizes:
        count = {"100k": 100_000, "1M": 1_000_000}[size]
        for ours, base, target in (
            ("csv_ours", "csv_copy_same", 0.5),
            ("xlsx_ours", "xlsx_plain", 0.8),
        ):
            mine, theirs = rows[(size, ours)], rows[(size, base)]
            ratio = theirs["seconds"] / mine["seconds"]
            figures.append(
                {
                    "figure": f"{ours.split('_')[0].upper()} results export, peak {mine['peak_rss_mb']:.0f} MB",
                    "scale": size,
                    "unit": "rows/s",
                    "ours": count / mine["seconds"],
                    "baseline": count / theirs["seconds"],
                    "ratio": round(ratio, 2),
                    "target": f"≥ {target}× and < 200 MB",
                    "met": ratio >= target and mine["peak_rss_mb"] < 200,
                }
            )
    return figures


def _export_db_ready():
    import psycopg

    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        return bool(
            conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = 'voiceagent_bench_exports'"
            ).fetchone()
        )


def table(figures):
    head = f"{'figure':34} {'scale':>9} {'ours':>11} {'baseline':>11} {'ratio':>6} {'queries':>7}  target"
    lines = [head, "-" * len(head)]
    for f in figures:
        unit = f.get("unit", "ms")
        ours = f"{f['ours_ms']:.2f} {unit}" if unit == "ms" else f"{f['ours']:,.1f} {unit}"
        base = f"{f['baseline_ms']:.2f} {unit}" if unit == "ms" else f"{f['baseline']:,.0f} {unit}"
        mark = {True: "ok", False: "MISSED", None: "—"}[f.get("met")]
        lines.append(
            f"{f['figure'][:34]:34} {f['scale']:>9} {ours:>11} {base:>11} {f['ratio'] or 0:>6.2f} "
            f"{f.get('queries', ''):>7}  {f.get('target', '')} {mark}"
        )
        if "baseline_temp" in f:
            temp = f"{f['baseline_temp']:,.0f} {unit}"
            lines.append(
                f"{'  (INSERT into a TEMP table)':34} {'':>9} {'':>11} {temp:>11} {f['ratio_temp']:>6.2f}"
            )
    return "\n".join(lines)


def main():
    scale = os.environ.get("SCALE", "reference")
    runs = int(os.environ.get("RUNS", "7" if scale == "small" else "5"))
    started = time.monotonic()
    figures = []
    for dataset, sections in PLANS[scale]:
        figures += measure(dataset, sections, runs)
    figures += flatness(figures)
    if scale == "reference" and os.environ.get("BENCH_EXPORTS", "1") == "1":
        figures += measure_exports(["100k", "1M"])
    report = {
        "scale": scale,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "seconds": round(time.monotonic() - started),
        "figures": figures,
    }
    # The committed figures are the reference run's; a smaller run does not overwrite them.
    default = ROOT / ("bench/results.json" if scale == "reference" else f"var/bench-{scale}.json")
    results = Path(os.environ.get("BENCH_RESULTS", default))
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=2) + "\n")
    print(table(figures))
    print(f"\n{report['machine']}; {report['seconds']} s; written to {results}")


if __name__ == "__main__":
    main()
