"""Replica drill: the app on a PostgreSQL primary and its streaming replica, figures compared.

    make replica-drill                 # CALLS=300 by default
    .venv/bin/python scripts/replica_drill.py --calls 1000 --keep   # keep the temp dir to inspect

Never touches the machine's PostgreSQL cluster: in a temporary directory it runs `initdb` for a
primary on a free port, `pg_basebackup -R` for a streaming replica on another, starts both
(as the postgres user when run as root), migrates the primary, and serves the app (uvicorn) with
DATABASE_URL on the primary and DATABASE_REPLICA_URL on the replica. It then posts whole calls to
/api/call-events over HTTP, waits until the replica has replayed the primary's WAL
(pg_last_wal_replay_lsn() >= pg_current_wal_lsn() read after the last write), reads the analytics
endpoints from the app (served from the replica: voiceagent/db_routers.py) and the same endpoints
in this process on the primary alone, and compares them. It prints one line per endpoint and a
verdict; exit status 1 on any difference (or if the replica served no read), 0 otherwise.
Everything it started is stopped and the directory removed on exit, Ctrl-C included.
"""

import argparse
import glob
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as scripts/replica_drill.py

from scripts.harness import (  # noqa: E402
    child_environment,
    free_port,
    manage_command,
    start_process,
    stop_process_groups,
    uvicorn_command,
    wait_for_http,
    wait_until,
)

DATABASE = "voiceagent_drill"
OUTCOMES = ["qualified", "not_interested", "callback_requested", "no_answer", "voicemail"]
# Fields that say when a document was made, not what it counts.
MOMENTS = {"generated_at", "timestamp"}
APP_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "replica-drill-secret-key-not-for-production-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "REDIS_URL": "",  # embedded cache and channel layer: the drill is about the database
    "CELERY_BROKER_URL": "memory://",
}


def postgres_bin():
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
    if not versions:
        raise SystemExit("replica-drill: no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
    return Path(versions[-1])


class Cluster:
    """One PostgreSQL server of the drill, run as the postgres user when this process is root."""

    def __init__(self, bindir, workdir, name, port):
        self.bindir, self.workdir, self.port = bindir, workdir, port
        self.datadir = workdir / name
        self.log = workdir / f"{name}.log"
        self.url = f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"

    def run(self, tool, *args):
        command = [str(self.bindir / tool), *map(str, args)]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self):
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1"
        self.run("pg_ctl", "-D", self.datadir, "-l", self.log, "-o", options, "-w", "start")

    def stop(self):
        if (self.datadir / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", self.datadir, "-m", "immediate", "-w", "stop")

    def query(self, sql, params=(), database=DATABASE):
        import psycopg

        url = f"postgresql://postgres@127.0.0.1:{self.port}/{database}"
        with psycopg.connect(url, autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchone() if cursor.description else None


def build_clusters(primary, replica):
    # Throwaway clusters: nothing synced to disk, and the base backup's checkpoint at once (a
    # spread one, the default, took about 90 s).
    primary.run("initdb", "-D", primary.datadir, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                "--no-sync")  # fmt: skip
    with open(primary.datadir / "postgresql.conf", "a") as conf:
        conf.write("wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n")
    primary.start()
    primary.query(f'CREATE DATABASE "{DATABASE}"', database="postgres")
    replica.run("pg_basebackup", "-h", "127.0.0.1", "-p", primary.port, "-U", "postgres",
                "-D", replica.datadir, "-R", "-X", "stream", "-c", "fast", "--no-sync")  # fmt: skip
    replica.start()
    wait_until(lambda: replica.query("SELECT pg_is_in_recovery()")[0], what="the replica")


def prepare(password):
    """In this process, on the primary: a manager with a campaign and leads, an ingest token."""
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from voiceagent.access import ensure_groups
    from voiceagent.models import Campaign, CampaignStatus, Lead

    managers, ingest = ensure_groups()
    agent = User.objects.create_user("drill-agent")
    agent.groups.add(ingest)
    manager = User.objects.create_user("drill-manager", password=password)
    manager.groups.add(managers)
    campaign = Campaign.objects.create(name="Replica drill", status=CampaignStatus.RUNNING)
    campaign.members.add(manager)
    leads = Lead.objects.bulk_create(
        Lead(campaign=campaign, name=f"Drill lead {n}", phone=f"+9198{n:08d}") for n in range(100)
    )
    agent_token = Token.objects.create(user=agent).key
    manager_token = Token.objects.create(user=manager).key
    return agent_token, manager_token, campaign.pk, [lead.pk for lead in leads]


def call_events(number, campaign_id, lead_id):
    outcome = OUTCOMES[number % len(OUTCOMES)]
    at = datetime.now(UTC).isoformat()
    steps = [("call.initiated", {}), ("call.ringing", {})]
    if outcome == "no_answer":
        steps.append(("call.completed", {"outcome": "no_answer"}))
    else:
        steps += [
            ("call.answered", {}),
            ("call.stage_changed", {"stage": "discovery"}),
            ("call.completed", {"outcome": outcome, "duration_seconds": 30 + number % 90}),
        ]
    return [
        {"event_id": f"drill-{number}-{i}", "type": kind, "occurred_at": at,
         "call_sid": f"CAdrill{number:06d}", "campaign_id": campaign_id, "lead_id": lead_id,
         "data": data}
        for i, (kind, data) in enumerate(steps)
    ]  # fmt: skip


def without_moments(document):
    if isinstance(document, dict):
        return {k: without_moments(v) for k, v in document.items() if k not in MOMENTS}
    if isinstance(document, list):
        return [without_moments(item) for item in document]
    return document


def replica_transactions(replica):
    replica.query("SELECT pg_stat_clear_snapshot()")
    return replica.query(
        "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", [DATABASE]
    )[0]


def drill(args, workdir):
    bindir = postgres_bin()
    primary = Cluster(bindir, workdir, "primary", free_port())
    replica = Cluster(bindir, workdir, "replica", free_port())
    try:
        return serve_and_compare(args, workdir, primary, replica)
    finally:
        for cluster in (replica, primary):
            try:
                cluster.stop()
            except subprocess.CalledProcessError as error:
                print(f"could not stop {cluster.datadir}: {error.stderr.decode()}", file=sys.stderr)


def serve_and_compare(args, workdir, primary, replica):
    started = time.monotonic()
    build_clusters(primary, replica)
    print(f"primary 127.0.0.1:{primary.port}, streaming replica 127.0.0.1:{replica.port} "
          f"(PostgreSQL {postgres_bin().parent.name}, in {workdir})")  # fmt: skip
    (workdir / "static").mkdir()
    os.environ.update(APP_ENV, DATABASE_URL=primary.url, STATIC_ROOT=str(workdir / "static"))
    os.environ.pop("DATABASE_REPLICA_URL", None)
    env = child_environment()
    subprocess.run(manage_command("migrate", "--noinput", "-v", "0"), env=env, check=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "voiceagent.settings"
    import django

    django.setup()
    agent_token, manager_token, campaign_id, lead_ids = prepare("drill-pass-1234")

    port = free_port()
    server_env = child_environment(DATABASE_REPLICA_URL=replica.url)
    server = start_process(uvicorn_command(port), env=server_env, log=workdir / "server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/health/live", timeout=60, process=server)
        with httpx.Client(base_url=base, timeout=30) as client:
            ingested = time.monotonic()
            for first in range(0, args.calls, 20):
                batch = [event for n in range(first, min(first + 20, args.calls))
                         for event in call_events(n, campaign_id, lead_ids[n % len(lead_ids)])]  # fmt: skip
                response = client.post("/api/call-events", json=batch,
                                       headers={"Authorization": f"Token {agent_token}"})  # fmt: skip
                if response.status_code != 202:
                    raise SystemExit(f"ingestion answered {response.status_code}: {response.text}")
            print(f"ingested {args.calls} calls over HTTP in {time.monotonic() - ingested:.1f} s")

            target = primary.query("SELECT pg_current_wal_lsn()::text")[0]
            waited = time.monotonic()
            wait_until(
                lambda: replica.query("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])[0],
                timeout=60,
                what="the replica's replay",
            )
            print(f"replica replayed up to {target} in {time.monotonic() - waited:.2f} s")

            paths = [
                f"/analytics/campaigns/{campaign_id}/metrics",
                f"/analytics/daily-stats?campaign_id={campaign_id}&days=7",
                f"/analytics/campaigns/{campaign_id}/funnel",
                f"/analytics/campaigns/{campaign_id}/objections",
                "/analytics/system",
                "/dashboard/overview",
                f"/dashboard/campaigns/{campaign_id}/summary",
            ]
            headers = {"Authorization": f"Token {manager_token}"}
            before = replica_transactions(replica)
            served = {path: client.get(path, headers=headers) for path in paths}
            time.sleep(1.5)  # the replica's statistics are flushed at most every second
            replica_reads = replica_transactions(replica) - before
        from rest_framework.test import APIClient

        on_primary = APIClient()
        on_primary.credentials(HTTP_AUTHORIZATION=f"Token {manager_token}")
        mismatches = 0
        for path in paths:
            expected = on_primary.get(path)
            same = served[path].status_code == expected.status_code == 200 and without_moments(
                served[path].json()
            ) == without_moments(expected.json())
            mismatches += not same
            figure = served[path].json().get("calls_made", "")
            print(f"{'same' if same else 'DIFFERENT':9} {path}" + (f" (calls_made {figure})"
                  if figure != "" else ""))  # fmt: skip
        print(f"replica transactions while the app answered: {replica_reads}")
        erasure_kept_out = export_after_erasure_on_a_lagging_replica(
            primary, replica, campaign_id, lead_ids[0]
        )
        ok = mismatches == 0 and replica_reads > 0 and erasure_kept_out
        verdict = "PASS" if ok else "FAIL"
        print(f"{verdict}: {len(paths) - mismatches}/{len(paths)} endpoints read from the replica "
              f"equal the primary's, the erased lead "
              f"{'kept out of' if erasure_kept_out else 'LEAKED into'} the export "
              f"({time.monotonic() - started:.0f} s in all)")  # fmt: skip
        return 0 if ok else 1
    finally:
        stop_process_groups(server)


def export_after_erasure_on_a_lagging_replica(primary, replica, campaign_id, lead_id):
    """In this process, with the replica as its `replica` alias: replay paused, a lead erased on
    the primary, then the campaign's lead list exported. The export must wait for the replica,
    give up after EXPORT_REPLICA_WAIT_SECONDS and read on the primary: the file holds no trace of
    the lead's name, which the paused replica still holds. True when it does not."""
    from django.contrib.auth.models import User
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.test.utils import override_settings

    from exports.services import csv_chunks
    from voiceagent.models import Campaign, Lead
    from voiceagent.personal_data.erasure import erase_lead

    connections.settings["replica"] = {
        **connections.settings[DEFAULT_DB_ALIAS],
        "PORT": replica.port,
    }
    manager = User.objects.get(username="drill-manager")
    lead = Lead.objects.get(pk=lead_id)
    name = lead.name
    replica.query("SELECT pg_wal_replay_pause()")
    try:
        erase_lead(lead=lead, reason="replica drill", erased_by=manager)
        campaign = Campaign.objects.get(pk=campaign_id)
        with override_settings(EXPORT_REPLICA_WAIT_SECONDS=1):
            # As a request streams it, and as the worker writes it (progress reported, its COPY
            # on a connection of its own, asked again).
            exported = b"".join(csv_chunks(kind="leads", campaign=campaign, user=manager)).decode()
            exported += b"".join(
                csv_chunks(kind="leads", campaign=campaign, user=manager, progress=lambda _: None)
            ).decode()
        on_replica = replica.query("SELECT name FROM voiceagent_lead WHERE id = %s", [lead_id])[0]
    finally:
        replica.query("SELECT pg_wal_replay_resume()")
        connections["replica"].close()
    kept_out = name not in exported and on_replica == name
    print(f"{'kept out' if kept_out else 'LEAKED':9} an erased lead from an export begun while the "
          f"replica had not replayed the erasure (2 exports, {exported.count(chr(10)) - 2} rows)")  # fmt: skip
    return kept_out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=int(os.environ.get("CALLS", 300)))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    workdir = Path(tempfile.mkdtemp(prefix="voiceagent-replica-drill-"))
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    # SIGTERM too ends in the `finally` blocks: servers stopped, directory removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        status = drill(args, workdir)
    except subprocess.CalledProcessError as error:
        print(f"replica-drill: {error.cmd[-1] if error.cmd else ''} failed: "
              f"{(error.stderr or b'').decode().strip()}", file=sys.stderr)  # fmt: skip
        status = 1
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
