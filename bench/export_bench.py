"""Export benchmark: time and peak memory of the results export at 100k and 1M rows, on PostgreSQL.

    make bench-exports    # or: DATABASE_URL=postgres://…/postgres .venv/bin/python bench/export_bench.py

It (re)creates a dedicated database (`voiceagent_bench_exports` on the server of DATABASE_URL;
--database to change it), migrates it, fills it with set-based SQL (generate_series: one campaign
with 100k calls, one with 1M, a lead per five calls, qualification data, stages, objections),
then runs each measurement in a fresh Python process and prints a table:
- CSV:  ours (exports.services.csv_chunks: COPY of our SELECT, neutralised, in TIME_ZONE) against
        a bare `COPY (SELECT calls JOIN leads) TO STDOUT WITH CSV` (the best the machine can do)
        and a hand-written COPY of the same content (stages, objections joined pre-aggregated);
- XLSX: ours (exports.services.write_xlsx_file: server-side cursor, xlsxwriter constant_memory)
        against plain xlsxwriter constant_memory and plain openpyxl write_only fed by a
        server-side cursor over the bare join (how the writer was chosen).
Peak RSS is the process' ru_maxrss (resource.getrusage), Django and libraries included.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {"100k": 100_000, "1M": 1_000_000}
MEASURES = ("csv_ours", "csv_copy", "csv_copy_same", "xlsx_ours", "xlsx_plain", "xlsx_openpyxl")
BARE_JOIN = """
    SELECT c.call_sid, c.initiated_at, l.name, l.phone, l.email, l.city, c.status, c.outcome,
           c.ended_by, c.attempt_number, l.call_attempts, c.duration_seconds,
           c.qualification ->> 'purpose', c.qualification ->> 'timeline',
           c.qualification ->> 'interest_level', c.qualification ->> 'budget', c.recording_url
    FROM voiceagent_callsession c JOIN voiceagent_lead l ON l.id = c.lead_id
    WHERE c.campaign_id = %s ORDER BY c.initiated_at, c.id
"""
# Hand-written SQL giving the same cells as our results export (formatting aside): stages in
# order of first reach and objections aggregated once per call with a join, not per row.
SAME_CONTENT = """
    SELECT c.call_sid, to_char(coalesce(c.initiated_at, c.created_at), 'YYYY-MM-DD'),
           to_char(c.initiated_at, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM'), l.name, l.phone, l.email,
           l.city, c.status, c.outcome, c.ended_by, c.attempt_number, l.call_attempts,
           c.duration_seconds, c.qualification ->> 'purpose', c.qualification ->> 'timeline',
           c.qualification ->> 'interest_level', c.qualification ->> 'budget',
           (SELECT string_agg(key, ' > ' ORDER BY value, key)
              FROM jsonb_each_text(c.stage_first_reached)),
           o.summary, c.recording_url
    FROM voiceagent_callsession c JOIN voiceagent_lead l ON l.id = c.lead_id
    LEFT JOIN (SELECT call_id,
                      string_agg(category || ': ' || text, '; ' ORDER BY occurred_at, id) AS summary
               FROM voiceagent_objection
               WHERE call_id IN (SELECT id FROM voiceagent_callsession WHERE campaign_id = %s)
               GROUP BY call_id) o ON o.call_id = c.id
    WHERE c.campaign_id = %s ORDER BY c.initiated_at, c.id
"""


def database_url(base, name):
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_connect(url):
    import psycopg

    return psycopg.connect(database_url(url, "postgres"), autocommit=True)


def create_database(url, name):
    with admin_connect(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def migrate(env):
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


FILL_SQL = """
INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                       is_active, date_joined)
VALUES ('!', true, 'bench', '', '', '', true, true, now());

INSERT INTO voiceagent_campaign (name, description, status, max_attempts, retry_delay_minutes,
                                 callback_delay_minutes, calling_hours_start, calling_hours_end,
                                 created_at, updated_at)
VALUES ('Bench 100k', '', 'running', 3, 120, 1440, '09:00', '21:00', now(), now()),
       ('Bench 1M', '', 'running', 3, 120, 1440, '09:00', '21:00', now(), now());

CREATE TEMP TABLE plan AS
SELECT id AS campaign_id, CASE name WHEN 'Bench 100k' THEN 100000 ELSE 1000000 END AS calls
FROM voiceagent_campaign;

INSERT INTO voiceagent_lead (campaign_id, name, phone, email, city, property_type, budget,
    preferred_locations, status, is_dnc, dnc_reason, call_attempts, last_outcome, created_at,
    updated_at)
SELECT p.campaign_id,
       CASE WHEN i % 3 = 0 THEN 'अनिता शर्मा ' || i ELSE 'Lead ' || i END,
       '+91' || (9000000000 + i)::text,
       'lead' || i || '@example.com',
       (ARRAY['Mumbai', 'Pune', 'पुणे', 'Thane', 'Bengaluru'])[1 + i % 5],
       (ARRAY['apartment', 'villa', 'plot', ''])[1 + i % 4],
       CASE WHEN i % 4 = 0 THEN NULL ELSE 2500000 + (i % 97) * 100000 END,
       'Powai, Andheri',
       'contacted', i % 50 = 0, '', 5, 'qualified', now() - interval '100 days', now()
FROM plan p, generate_series(1, p.calls / 5) AS i;

INSERT INTO voiceagent_callsession (call_sid, campaign_id, lead_id, attempt_number, status, outcome,
    ended_by, queued_at, initiated_at, ringing_at, answered_at, ended_at, duration_seconds,
    current_stage, stage_first_reached, qualification, recording_url, error, last_event_at,
    created_at, updated_at, ingest_state)
SELECT 'CA' || p.campaign_id || '-' || i,
       p.campaign_id,
       l.id,
       1 + i % 3,
       CASE WHEN i % 4 = 0 THEN 'no_answer' ELSE 'completed' END,
       CASE WHEN i % 4 = 0 THEN 'no_answer' WHEN i % 4 = 1 THEN 'qualified'
            WHEN i % 4 = 2 THEN 'not_interested' ELSE 'callback_requested' END,
       CASE WHEN i % 4 = 0 THEN '' ELSE 'lead' END,
       t, t, t, CASE WHEN i % 4 = 0 THEN NULL ELSE t + interval '5 seconds' END,
       t + interval '2 minutes', CASE WHEN i % 4 = 0 THEN 0 ELSE 30 + i % 300 END,
       'closing',
       CASE WHEN i % 4 = 0 THEN '{}'::jsonb ELSE jsonb_build_object(
            'greeting', to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS+00:00'),
            'discovery', to_char(t + interval '20 seconds', 'YYYY-MM-DD"T"HH24:MI:SS+00:00'),
            'qualification', to_char(t + interval '60 seconds', 'YYYY-MM-DD"T"HH24:MI:SS+00:00'))
       END,
       CASE WHEN i % 4 = 1 THEN jsonb_build_object('purpose', 'buy', 'timeline', '3 months',
            'interest_level', 'high', 'budget', '80 lakh') ELSE '{}'::jsonb END,
       CASE WHEN i % 4 = 0 THEN '' ELSE 'https://recordings.example/' || i || '.mp3' END,
       '', t + interval '2 minutes', t, t, '{}'::jsonb
FROM plan p
CROSS JOIN LATERAL generate_series(1, p.calls) AS i
CROSS JOIN LATERAL (SELECT now() - (i % 129600) * interval '1 minute' AS t) AS at
JOIN voiceagent_lead l
  ON l.campaign_id = p.campaign_id AND l.phone = '+91' || (9000000001 + i % (p.calls / 5))::text;

INSERT INTO voiceagent_objection (call_id, category, text, occurred_at, event_id)
SELECT id, (ARRAY['price', 'timing', 'location'])[1 + id % 3], '=too costly, maybe later',
       initiated_at + interval '70 seconds', ''
FROM voiceagent_callsession WHERE id % 5 = 0;

ANALYZE;
"""


def fill(url):
    import psycopg

    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(FILL_SQL)
    return time.monotonic() - started


# --- one measurement, in its own process ------------------------------------------------------


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceagent.settings")
    import django

    django.setup()


def campaign_for(rows):
    from voiceagent.models import Campaign

    return Campaign.objects.get(name=f"Bench {rows}")


def bare_rows(url, campaign_id):
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor(name="bench") as cursor:
        cursor.itersize = 2000
        cursor.execute(BARE_JOIN, [campaign_id])
        yield from cursor


def measure(what, size, url, out_path):
    setup_django()
    from django.contrib.auth.models import User

    from exports import services

    campaign = campaign_for(size)
    user = User.objects.get(username="bench")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    rows = None
    with open(out_path, "wb") as out:
        if what == "csv_ours":
            for chunk in services.csv_chunks(kind="results", campaign=campaign, user=user):
                out.write(chunk)
        elif what in ("csv_copy", "csv_copy_same"):
            import psycopg

            same = what == "csv_copy_same"
            statement = f"COPY ({SAME_CONTENT if same else BARE_JOIN}) TO STDOUT WITH CSV"
            with (
                psycopg.connect(url) as conn,
                conn.cursor() as cursor,
            ):
                # The session ours runs under: zone, no JIT, sort memory.
                cursor.execute(
                    "SET TimeZone = 'Asia/Kolkata'; SET jit = off; SET work_mem = '64MB'"
                )
                with cursor.copy(statement, [campaign.pk] * (2 if same else 1)) as copy:
                    for chunk in copy:
                        out.write(chunk)
        elif what == "xlsx_ours":
            rows = services.write_xlsx_file(kind="results", campaign=campaign, user=user, out=out)
        elif what == "xlsx_plain":
            import xlsxwriter

            options = {"constant_memory": True, "strings_to_urls": False}
            workbook = xlsxwriter.Workbook(out, options)
            sheet = workbook.add_worksheet()
            for index, row in enumerate(bare_rows(url, campaign.pk)):
                sheet.write_row(
                    index, 0, [v.isoformat() if hasattr(v, "isoformat") else v for v in row]
                )
            workbook.close()
        elif what == "xlsx_openpyxl":
            import openpyxl

            workbook = openpyxl.Workbook(write_only=True)
            sheet = workbook.create_sheet()
            for row in bare_rows(url, campaign.pk):
                sheet.append([v.isoformat() if hasattr(v, "isoformat") else v for v in row])
            workbook.save(out)
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rss_before_mb": before / 1024,
                "peak_rss_mb": peak / 1024,
                "file_mb": os.path.getsize(out_path) / 1e6,
                "rows": rows,
            }
        )
    )


def run_measure(what, size, env, workdir):
    out = Path(workdir) / f"{what}-{size}.{what.split('_')[0]}"
    result = subprocess.run(
        [sys.executable, __file__, "--measure", what, "--size", size, "--out", str(out)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        # Not captured: a child forked from a grown parent would report the parent's peak RSS.
        stderr=subprocess.DEVNULL,
        text=True,
        check=True,
    )
    out.unlink(missing_ok=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="voiceagent_bench_exports")
    parser.add_argument("--reuse", action="store_true", help="keep the existing bench database")
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--measures", nargs="+", default=list(MEASURES), choices=MEASURES)
    parser.add_argument("--measure", choices=MEASURES, help=argparse.SUPPRESS)
    parser.add_argument("--size", choices=list(SIZES), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the figures to this file (make bench uses it)")
    args = parser.parse_args()

    if args.measure:
        measure(args.measure, args.size, os.environ["DATABASE_URL"], args.out)
        return

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith("postgres"):
        sys.exit("export_bench needs PostgreSQL: set DATABASE_URL to a PostgreSQL server.")
    url = database_url(base, args.database)
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if not args.reuse:
        create_database(base, args.database)
        migrate(env)
        print(f"filled {args.database} in {fill(url):.1f} s", flush=True)

    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        for size in args.sizes:
            for what in args.measures:
                results[(size, what)] = run_measure(what, size, env, workdir)
                print(f"  {size:>4} {what:<14} done", file=sys.stderr, flush=True)

    baselines = {"csv_ours": ("csv_copy", "csv_copy_same"), "xlsx_ours": ("xlsx_plain",)}
    print(f"\n{'rows':>5}  {'export':<14} {'seconds':>8} {'rows/s':>9} {'peak RSS MB':>12} "
          f"{'RSS before':>11} {'file MB':>8}  vs baseline")  # fmt: skip
    for (size, what), r in results.items():
        ratios = ", ".join(
            f"{r['seconds'] / results[(size, base)]['seconds']:.2f}× {base}"
            for base in baselines.get(what, ())
            if (size, base) in results
        )
        print(
            f"{size:>5}  {what:<14} {r['seconds']:>8.2f} {SIZES[size] / r['seconds']:>9,.0f} "
            f"{r['peak_rss_mb']:>12.1f} {r['rss_before_mb']:>11.1f} {r['file_mb']:>8.1f}  {ratios}"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps([{"size": size, "what": what, **r} for (size, what), r in results.items()])
        )
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
