"""Where ingestion's time goes: the bench's ingestion figure, once, under cProfile.

    BENCH_DB_PREFIX=voiceagent_mine .venv/bin/python bench/profile_ingestion.py [--events N]
        [--top N] [--sort tottime|cumulative] [--output FILE] [--reuse]

It builds the SCALE=small dataset under BENCH_DB_PREFIX (bench/dataset.py), copies it into a
fresh database (`<prefix>_small_profile`, dropped first) unless --reuse, and runs
bench/measure.py's `measure_ingestion` in a child process: the posting of its batches of 500
through `POST /api/call-events` under cProfile, the INSERT baselines outside it. It prints the
figure and the top functions. A fresh copy keeps the leads at the dataset's own number of
calls (on a reused dataset they gain calls with every run, and the figure drops).
"""

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dataset import SCALES, SERVER_URL, _connect, build, database_name  # noqa: E402
from bench.run import measuring_env  # noqa: E402

CHILD = """
import cProfile, json, pstats, sys
sys.path.insert(0, {root!r})
import bench.measure as measure
profiler = cProfile.Profile()
figures = measure.measure_ingestion("small", count={events}, profiler=profiler)
print(json.dumps(figures, indent=1))
if {output!r}:
    profiler.dump_stats({output!r})
pstats.Stats(profiler).strip_dirs().sort_stats({sort!r}).print_stats({top})
"""


def fresh_copy(scale):
    """A new database holding a copy of the dataset (CREATE DATABASE ... TEMPLATE)."""
    source, copy = database_name(scale), f"{database_name(scale)}_profile"
    with _connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{source}"')
    return f"{SERVER_URL}/{copy}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    parser.add_argument("--reuse", action="store_true", help="profile the dataset itself")
    parser.add_argument("--output", default="", help="also write the raw profile here (pstats)")
    args = parser.parse_args()
    scale = SCALES["small"]
    url = build(scale, log=lambda line: print(line, file=sys.stderr))
    if not args.reuse:
        url = fresh_copy(scale)
    env = measuring_env(url)
    code = CHILD.format(
        root=str(ROOT), events=args.events, sort=args.sort, top=args.top, output=args.output
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


if __name__ == "__main__":
    main()
