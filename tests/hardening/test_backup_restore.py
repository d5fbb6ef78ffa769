"""`make backup` / `make restore`: the database and MEDIA_ROOT come back exactly as backed up."""

import os
import sqlite3
import subprocess

import psycopg
import pytest
from django.conf import settings


def run(script, *args, env):
    out = subprocess.run(
        [str(settings.BASE_DIR / "scripts" / script), *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def rows(url):
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT id, name FROM campaign_copy ORDER BY id").fetchall()


@pytest.fixture
def media(tmp_path):
    root = tmp_path / "media"
    (root / "exports").mkdir(parents=True)
    (root / "exports" / "results.csv").write_text("call_sid,outcome\nCA1,qualified\n")
    return root


def test_postgresql_backup_and_restore_round_trip(scratch_database_url, media, tmp_path):
    with psycopg.connect(scratch_database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE campaign_copy (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO campaign_copy VALUES (1, 'Powai launch'), (2, 'Whitefield')")
    env = {"DATABASE_URL": scratch_database_url, "MEDIA_ROOT": str(media)}
    backup = run("backup.sh", str(tmp_path / "backups"), env=env)

    with psycopg.connect(scratch_database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM campaign_copy WHERE id = 1")
        conn.execute("INSERT INTO campaign_copy VALUES (3, 'After the backup')")
    (media / "exports" / "results.csv").unlink()
    (media / "exports" / "later.xlsx").write_bytes(b"later")
    run("restore.sh", backup, env=env)

    assert rows(scratch_database_url) == [(1, "Powai launch"), (2, "Whitefield")]
    assert sorted(p.relative_to(media).as_posix() for p in media.rglob("*")) == [
        "exports",
        "exports/results.csv",
    ]
    assert (media / "exports" / "results.csv").read_text() == "call_sid,outcome\nCA1,qualified\n"


def test_sqlite_backup_and_restore_round_trip(media, tmp_path):
    db = tmp_path / "db.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE campaign_copy (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO campaign_copy VALUES (1, 'Powai launch')")
    env = {"DATABASE_URL": f"sqlite:///{db}", "MEDIA_ROOT": str(media)}
    backup = run("backup.sh", str(tmp_path / "backups"), env=env)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM campaign_copy")
    run("restore.sh", backup, env=env)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT id, name FROM campaign_copy").fetchall() == [
            (1, "Powai launch")
        ]


def test_restore_of_a_missing_backup_fails_and_changes_nothing(media, tmp_path):
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(media),
    }
    out = subprocess.run(
        [str(settings.BASE_DIR / "scripts" / "restore.sh"), str(tmp_path / "nothing")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert (out.returncode, out.stderr.strip()) == (
        2,
        f"restore: {tmp_path / 'nothing'}/db.sqlite3 not found",
    )
    assert (media / "exports" / "results.csv").exists()
