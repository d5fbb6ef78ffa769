"""The reference dataset of `make bench`, built in PostgreSQL itself with set-based SQL.

Scales: reference = 20 campaigns, 200k leads, 1M calls over 90 days, ~5M turns; small = 1/50 of
that; large (SCALE=large, optional) = ten times the reference. A follow-up is pending until a
dialer takes it: those due more than DIALER_LAG ago were called (done), as a running dialer
leaves no older backlog, the rest are pending; a reused dataset is brought to that state again
(time moved on since it was built), so the due follow-ups are a dialer's backlog, not history. Each scale lives in its own
database and is reused when it already holds that scale.
"""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Scale:
    name: str
    campaigns: int
    leads: int
    calls: int


SCALES = {
    "tiny": Scale("tiny", 20, 200, 1_000),  # the smoke test of `make test`
    "small": Scale("small", 20, 4_000, 20_000),
    "10k": Scale("10k", 20, 2_000, 10_000),
    "100k": Scale("100k", 20, 20_000, 100_000),
    "reference": Scale("reference", 20, 200_000, 1_000_000),
    "large": Scale("large", 20, 2_000_000, 10_000_000),
}
SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
# Several checkouts may bench on one server: each names its datasets with its own prefix.
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "voiceagent_bench")


def database_name(scale):
    return f"{DB_PREFIX}_{scale.name}"


def database_url(scale):
    return f"{SERVER_URL}/{database_name(scale)}"


def _connect(dbname="postgres"):
    return psycopg.connect(f"{SERVER_URL}/{dbname}", autocommit=True)


def _exists(scale):
    with _connect() as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database_name(scale)]
        ).fetchone():
            return False
    with _connect(database_name(scale)) as conn:
        try:
            row = conn.execute("SELECT value FROM bench_meta WHERE key = 'scale'").fetchone()
            applied = set(conn.execute("SELECT app, name FROM django_migrations").fetchall())
        except psycopg.errors.UndefinedTable:
            return False
    # A migration the database applied but this tree no longer has (migrations regenerated or
    # renamed) means its schema is not the one `migrate` would make: build it again.
    return row is not None and row[0] == repr(scale) and applied <= _migration_files(applied)


def _migration_files(applied):
    """(app, name) of every migration file of the apps named in `applied` that lives here."""
    return {
        (app, path.stem)
        for app in {app for app, _ in applied}
        for path in (ROOT / app / "migrations").glob("0*.py")
    } | {(app, name) for app, name in applied if not (ROOT / app / "migrations").is_dir()}


def _migrate(url):
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1", "REDIS_URL": ""}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


GENERATE = """
SELECT setseed(0.42);
INSERT INTO voiceagent_campaign (id, name, description, status, max_attempts, retry_delay_minutes,
    callback_delay_minutes, calling_hours_start, calling_hours_end, created_at, updated_at, started_at)
SELECT g, 'Bench campaign ' || g, 'bench', CASE WHEN g % 5 = 0 THEN 'paused' WHEN g % 7 = 0 THEN 'completed'
    ELSE 'running' END, 3, 120, 1440, '09:00', '21:00', now() - interval '120 days', now(),
    now() - interval '120 days'
FROM generate_series(1, %(campaigns)s) g;

INSERT INTO voiceagent_lead (id, campaign_id, name, phone, email, city, property_type, budget,
    preferred_locations, status, is_dnc, dnc_reason, call_attempts, last_call_at, last_outcome, created_at, updated_at)
SELECT g, 1 + g %% %(campaigns)s,
    (ARRAY['Aarav','Ananya','Rohan','Priya','Imran','Kavya','Suresh','Meera'])[1 + g %% 8] || ' ' ||
    (ARRAY['Sharma','Patel','Iyer','Reddy','Nair','Khan','Joshi','Rao','Menon'])[1 + g %% 9],
    '+919' || lpad(g::text, 9, '0'), 'lead' || g || '@example.in',
    (ARRAY['Mumbai','Pune','Bengaluru','Hyderabad','Gurugram','Chennai','Ahmedabad'])[1 + g %% 7],
    (ARRAY['apartment','apartment','apartment','villa','plot','commercial'])[1 + g %% 6],
    (25 + g %% 60) * 100000, 'Powai, Andheri West', 'new', g %% 50 = 0,
    CASE WHEN g %% 50 = 0 THEN 'Asked not to be called' ELSE '' END, 0, NULL, '', now() - interval '120 days', now()
FROM generate_series(1, %(leads)s) g;

CREATE TEMP TABLE call_plan AS
SELECT id, lead_id, r, r2, r3, talk,
    CASE WHEN t > now() - interval '15 minutes' THEN t - interval '1 day' ELSE t END AS initiated_at
FROM (
    SELECT g AS id, 1 + ((g::bigint * 7919) %% %(leads)s) AS lead_id, random() AS r, random() AS r2,
        random() AS r3, (60 + floor(random() * 360))::int AS talk,
        date_trunc('day', now() AT TIME ZONE 'Asia/Kolkata') AT TIME ZONE 'Asia/Kolkata'
            - (floor(random() * 90) || ' days')::interval
            + ((9 + floor(random() * 11)) || ' hours')::interval
            + ((floor(random() * 3600)) || ' seconds')::interval AS t
    FROM generate_series(1, %(calls)s) g
) planned;

INSERT INTO voiceagent_callsession (id, call_sid, campaign_id, lead_id, attempt_number, status, outcome, ended_by,
    queued_at, initiated_at, ringing_at, answered_at, ended_at, duration_seconds, current_stage,
    stage_first_reached, qualification, recording_url, error, last_event_at, created_at, updated_at,
    ingest_state)
SELECT p.id, 'BENCH' || lpad(p.id::text, 9, '0'), l.campaign_id, p.lead_id,
    row_number() OVER (PARTITION BY p.lead_id ORDER BY p.initiated_at, p.id),
    CASE WHEN r < 0.20 THEN 'no_answer' WHEN r < 0.28 THEN 'busy' WHEN r < 0.33 THEN 'failed'
         WHEN r < 0.35 THEN 'canceled' ELSE 'completed' END,
    CASE WHEN r < 0.28 THEN 'no_answer' WHEN r < 0.33 THEN 'failed' WHEN r < 0.35 THEN ''
         WHEN r2 < 0.28 THEN 'qualified' WHEN r2 < 0.66 THEN 'not_interested'
         WHEN r2 < 0.88 THEN 'callback_requested' ELSE 'voicemail' END,
    CASE WHEN r < 0.35 THEN 'system' WHEN r3 < 0.5 THEN 'agent' ELSE 'lead' END,
    p.initiated_at - interval '30 seconds', p.initiated_at, p.initiated_at + interval '2 seconds',
    CASE WHEN r >= 0.35 THEN p.initiated_at + interval '8 seconds' END,
    CASE WHEN r < 0.35 THEN p.initiated_at + interval '30 seconds'
         ELSE p.initiated_at + interval '8 seconds' + (p.talk || ' seconds')::interval END,
    CASE WHEN r < 0.35 THEN 0 ELSE p.talk END,
    CASE WHEN r < 0.35 OR r2 >= 0.88 THEN '' WHEN r2 < 0.28 THEN 'closing' ELSE 'qualification' END,
    CASE WHEN r < 0.35 OR r2 >= 0.88 THEN '{}'::jsonb ELSE jsonb_build_object(
        'greeting', to_char(p.initiated_at + interval '9 seconds', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
        'discovery', to_char(p.initiated_at + interval '30 seconds', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
        'qualification', to_char(p.initiated_at + interval '60 seconds', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')) END,
    CASE WHEN r < 0.35 OR r2 >= 0.88 THEN '{}'::jsonb ELSE jsonb_build_object(
        'purpose', (ARRAY['buy','rent','invest'])[1 + p.id %% 3],
        'timeline', (ARRAY['immediately','3 months','6 months'])[1 + p.id %% 3],
        'interest_level', (ARRAY['high','medium','low'])[1 + p.id %% 3], 'budget', '80 lakh') END,
    '', CASE WHEN r >= 0.28 AND r < 0.33 THEN 'SIP 503 from carrier' ELSE '' END,
    p.initiated_at + (p.talk || ' seconds')::interval, p.initiated_at, now(), '{}'::jsonb
FROM call_plan p JOIN voiceagent_lead l ON l.id = p.lead_id;

INSERT INTO voiceagent_conversationturn (call_id, sequence, speaker, text, stage, started_at, stt_ms, llm_ms, tts_ms)
SELECT c.id, s, CASE WHEN s %% 2 = 1 THEN 'agent' ELSE 'lead' END,
    CASE WHEN s %% 2 = 1 THEN 'Namaste, this is Asha from Skyline Realty. What budget are you considering?'
         WHEN (c.id * s) %% 499 = 0 THEN 'Something in Baner, मेरा बजट 80 लाख है.'
         ELSE 'Around 80 lakh, for a 2BHK near Powai.' END,
    (ARRAY['greeting','discovery','qualification','qualification','closing'])[1 + LEAST(s - 1, 8) / 2],
    c.answered_at + (s * 10 || ' seconds')::interval,
    CASE WHEN s %% 2 = 0 THEN 120 + (c.id * s) %% 300 END,
    CASE WHEN s %% 2 = 1 THEN 350 + (c.id * s * 7) %% 1500 END,
    CASE WHEN s %% 2 = 1 THEN 150 + (c.id * s * 3) %% 350 END
FROM voiceagent_callsession c, generate_series(1, 5 + (c.id %% 9)::int) s
WHERE c.status = 'completed' AND c.outcome <> 'voicemail';

INSERT INTO voiceagent_objection (call_id, category, text, occurred_at, event_id)
SELECT c.id, (ARRAY['price','timing','location','not_interested','trust','other'])[1 + c.id %% 6],
    'The price is above my budget.', c.answered_at + interval '45 seconds', ''
FROM voiceagent_callsession c
WHERE c.status = 'completed' AND c.outcome <> 'voicemail' AND c.id %% 10 < 3;

INSERT INTO voiceagent_scheduledcall (lead_id, campaign_id, scheduled_for, reason, status, source_call_id, created_at)
SELECT c.lead_id, c.campaign_id, c.ended_at + CASE WHEN c.outcome = 'callback_requested' THEN interval '1 day'
    ELSE interval '2 hours' END, CASE WHEN c.outcome = 'callback_requested' THEN 'callback' ELSE 'retry' END,
    'pending', c.id, c.ended_at
FROM voiceagent_callsession c
WHERE c.outcome IN ('no_answer', 'callback_requested') AND c.id %% 4 = 0;

UPDATE voiceagent_lead l SET call_attempts = a.n, last_call_at = a.last_at, last_outcome = a.last_outcome,
    status = CASE a.last_outcome WHEN 'qualified' THEN 'qualified' WHEN 'not_interested' THEN 'not_interested'
        WHEN 'callback_requested' THEN 'callback' ELSE 'contacted' END
FROM (SELECT lead_id, count(*) AS n, max(ended_at) AS last_at,
        (array_agg(outcome ORDER BY initiated_at DESC))[1] AS last_outcome
      FROM voiceagent_callsession GROUP BY lead_id) a
WHERE l.id = a.lead_id;

SELECT setval(pg_get_serial_sequence('voiceagent_campaign', 'id'), (SELECT max(id) FROM voiceagent_campaign));
SELECT setval(pg_get_serial_sequence('voiceagent_lead', 'id'), (SELECT max(id) FROM voiceagent_lead));
SELECT setval(pg_get_serial_sequence('voiceagent_callsession', 'id'), (SELECT max(id) FROM voiceagent_callsession));
"""


DIALER_LAG = "15 minutes"
DISPATCH_DUE_FOLLOW_UPS = f"""UPDATE voiceagent_scheduledcall SET status = 'done'
WHERE status = 'pending' AND scheduled_for < now() - interval '{DIALER_LAG}'"""


def _dispatch_due_follow_ups(dbname):
    """What a running dialer did since the dataset was built: its follow-ups due more than
    DIALER_LAG ago were called."""
    with _connect(dbname) as conn:
        conn.execute(DISPATCH_DUE_FOLLOW_UPS)


def generate_sql(scale):
    sql = GENERATE.replace("%%", "%")
    for name in ("campaigns", "leads", "calls"):
        sql = sql.replace(f"%({name})s", str(int(getattr(scale, name))))
    return sql


# Attempt numbers in the order ingestion gives them (by initiated_at, then call_sid), for a
# dataset built before the generator numbered them (it set 1 everywhere, so the first batch
# touching a lead renumbered all of its calls: a cost no ingested database has).
NUMBER_ATTEMPTS = """
UPDATE voiceagent_callsession c SET attempt_number = n.number
FROM (SELECT id, row_number() OVER (PARTITION BY lead_id ORDER BY initiated_at, call_sid) AS number
      FROM voiceagent_callsession) n
WHERE c.id = n.id AND c.attempt_number <> n.number
"""


def _number_attempts(scale, log):
    with _connect(database_name(scale)) as conn:
        if conn.execute("SELECT 1 FROM bench_meta WHERE key = 'attempts_numbered'").fetchone():
            return
        renumbered = conn.execute(NUMBER_ATTEMPTS).rowcount
        conn.execute("INSERT INTO bench_meta VALUES ('attempts_numbered', 'yes')")
        conn.execute("VACUUM ANALYZE voiceagent_callsession")
    log(f"dataset {scale.name}: {renumbered:,} calls given their attempt numbers")


def build(scale, *, log=print):
    """Create (or reuse) the database of `scale`; returns its DATABASE_URL."""
    url = database_url(scale)
    if _exists(scale):
        _migrate(url)  # later migrations fill their tables from the rows; those stay valid
        _dispatch_due_follow_ups(database_name(scale))
        log(f"dataset {scale.name}: reusing {url}")
        _number_attempts(scale, log)
        if not _rollups_built(scale):
            _rebuild_rollups(scale, url, log)
        return url
    started = time.monotonic()
    dbname = database_name(scale)
    with _connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    _migrate(url)
    with _connect(dbname) as conn:
        conn.execute("SET synchronous_commit = off")
        with conn.transaction():
            conn.execute(generate_sql(scale))
            conn.execute(DISPATCH_DUE_FOLLOW_UPS)
        conn.execute("VACUUM ANALYZE")
        conn.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value text)")
        conn.execute("INSERT INTO bench_meta VALUES ('scale', %s)", [repr(scale)])
        conn.execute("INSERT INTO bench_meta VALUES ('attempts_numbered', 'yes')")
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM voiceagent_callsession), (SELECT count(*) FROM voiceagent_conversationturn)"
        ).fetchone()
    log(
        f"dataset {scale.name}: {counts[0]:,} calls, {counts[1]:,} turns built in {time.monotonic() - started:.0f}s"
    )
    _rebuild_rollups(scale, url, log)
    return url


@contextmanager
def throwaway_copy(scale):
    """The DATABASE_URL of a copy of the dataset (CREATE DATABASE ... TEMPLATE: about 13 s at
    the reference scale), dropped on the way out: what writes (ingestion) writes there, and
    the dataset stays as built from one run to the next."""
    name = f"{database_name(scale)}_copy"
    with _connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{database_name(scale)}"')
    try:
        yield f"{SERVER_URL}/{name}"
    finally:
        with _connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rollups_built(scale):
    with _connect(database_name(scale)) as conn:
        return bool(
            conn.execute("SELECT 1 FROM bench_meta WHERE key = 'rollups_seconds'").fetchone()
        )


def _rebuild_rollups(scale, url, log):
    """The rollups of the generated rows, by `manage.py rebuild_rollups` (timed for the report)."""
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1", "REDIS_URL": ""}
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", "rebuild_rollups"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    seconds = time.monotonic() - started
    with _connect(database_name(scale)) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute(
            "INSERT INTO bench_meta VALUES ('rollups_seconds', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [repr(seconds)],
        )
    log(f"dataset {scale.name}: rebuild_rollups took {seconds:.1f}s")


def rollups_seconds(scale):
    with _connect(database_name(scale)) as conn:
        row = conn.execute("SELECT value FROM bench_meta WHERE key = 'rollups_seconds'").fetchone()
    return float(row[0]) if row else None


if __name__ == "__main__":
    build(SCALES[sys.argv[1] if len(sys.argv) > 1 else "small"])
