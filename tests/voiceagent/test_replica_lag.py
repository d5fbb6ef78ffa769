"""`replica_caught_up` on a real streaming standby: a primary and its replica of their own (initdb
and pg_basebackup in a temporary directory, as `make replica-drill` builds them), replay paused
and resumed with PostgreSQL's own functions."""

import os
import shutil
import tempfile
from contextlib import suppress
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from scripts.harness import free_port
from scripts.replica_drill import DATABASE, Cluster, build_clusters, postgres_bin
from voiceagent.db_routers import replica_caught_up

PRIMARY, REPLICA = "lag_primary", "lag_replica"


@pytest.fixture(scope="module")
def clusters(django_db_blocker):
    # Not under pytest's tmp_path: its root-only parent would keep the postgres user out.
    workdir = Path(tempfile.mkdtemp(prefix="voiceagent-replica-lag-"))
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    bindir = postgres_bin()
    primary = Cluster(bindir, workdir, "primary", free_port())
    replica = Cluster(bindir, workdir, "replica", free_port())
    try:
        build_clusters(primary, replica)
        primary.query("CREATE TABLE erasures (lead_id integer)")
        for alias, cluster in ((PRIMARY, primary), (REPLICA, replica)):
            connections.settings[alias] = {
                **connections.settings[DEFAULT_DB_ALIAS],
                "NAME": DATABASE,
                "HOST": "127.0.0.1",
                "PORT": cluster.port,
                "USER": "postgres",
                "PASSWORD": "",
                "TEST": {},
            }
        with django_db_blocker.unblock():
            yield primary, replica
            for alias in (PRIMARY, REPLICA):
                connections[alias].close()
    finally:
        for alias in (PRIMARY, REPLICA):
            connections.settings.pop(alias, None)
            with suppress(AttributeError):  # never connected
                del connections[alias]
        for cluster in (replica, primary):
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def caught_up(timeout, replica=REPLICA):
    return replica_caught_up(timeout=timeout, primary=PRIMARY, replica=replica, poll=0.01)


def test_a_standby_that_has_not_replayed_a_write_is_not_caught_up_until_it_has(clusters):
    primary, replica = clusters
    assert caught_up(timeout=5)
    replica.query("SELECT pg_wal_replay_pause()")
    try:
        primary.query("INSERT INTO erasures VALUES (42)")

        assert not caught_up(timeout=0.3)
        assert replica.query("SELECT count(*) FROM erasures")[0] == 0
    finally:
        replica.query("SELECT pg_wal_replay_resume()")

    assert caught_up(timeout=10)
    assert replica.query("SELECT count(*) FROM erasures")[0] == 1


def test_the_connection_that_will_read_is_the_one_asked(clusters):
    primary, replica = clusters
    own = connections.create_connection(REPLICA)
    replica.query("SELECT pg_wal_replay_pause()")
    try:
        primary.query("INSERT INTO erasures VALUES (43)")
        assert not replica_caught_up(timeout=0.2, primary=PRIMARY, replica=own, poll=0.01)
    finally:
        replica.query("SELECT pg_wal_replay_resume()")
        own.close()
    assert caught_up(timeout=10)


def test_a_replica_that_cannot_be_reached_is_not_caught_up(clusters):
    connections.settings["lag_nowhere"] = {
        **connections.settings[REPLICA],
        "PORT": free_port(),  # nobody listens there
    }
    try:
        assert not caught_up(timeout=5, replica="lag_nowhere")
    finally:
        connections["lag_nowhere"].close()
        connections.settings.pop("lag_nowhere")
        del connections["lag_nowhere"]


def test_a_server_that_is_no_standby_is_caught_up_at_once(clusters):
    # The primary itself (or the test suite's mirror alias) as the "replica": nothing to replay.
    assert caught_up(timeout=0, replica=PRIMARY)
