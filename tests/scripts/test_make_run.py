"""`make run`'s embedded start (scripts/embedded.py) in a subprocess: one line per set-up step, the
banner printed last once web, worker and simulator are up, no warning or error on the terminal or
in the logs through start and Ctrl-C; and var/embedded.env, through which every `manage.py`
command of the README works in that setup.

The start skips the demo data (a minute or two) and uses a SQLite database, logs and settings
file of its own; the Celery worker uses the checkout's var/celery queue folders like `make run`.
"""

import os
import re
import signal
import subprocess
import time

import pytest

from scripts.harness import PYTHON, ROOT, free_port, start_process, stop_process_groups, wait_until
from voiceagent.embedded_env import (
    apply_embedded_env,
    embedded_defaults,
    read_embedded_env,
    write_embedded_env,
)

# What the test process has from `make test` and an embedded start must not inherit.
NOT_EMBEDDED = ("DEBUG", "SECRET_KEY", "REDIS_URL", "CELERY_BROKER_URL", "WEBHOOK_ALLOW_PRIVATE",
                "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR",
                "EMBEDDED_ENV_FILE", "STATIC_ROOT", "DJANGO_ALLOW_ASYNC_UNSAFE")  # fmt: skip
NOISE = ("warning", "error", "traceback")


def plain_environment(**values):
    env = {name: value for name, value in os.environ.items() if name not in NOT_EMBEDDED}
    return {**env, "PYTHONUNBUFFERED": "1", **values}


def noisy_lines(text):
    return [line for line in text.splitlines() if any(word in line.lower() for word in NOISE)]


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """scripts/embedded.py started on a free port; yields (process, paths, port, banner output)
    once the banner is out; stopped with SIGINT (Ctrl-C) at the end of the module."""
    folder = tmp_path_factory.mktemp("embedded")
    paths = {
        "out": folder / "terminal.txt",
        "logs": folder / "log",
        "db": folder / "db.sqlite3",
        "settings": folder / "embedded.env",
    }
    port = free_port()
    env = plain_environment(
        DATABASE_URL=f"sqlite:///{paths['db']}", EMBEDDED_ENV_FILE=str(paths["settings"])
    )
    command = [PYTHON, "scripts/embedded.py", "--port", str(port), "--no-demo-data",
               "--log-dir", str(paths["logs"])]  # fmt: skip
    process = start_process(command, env=env, log=paths["out"])
    try:
        wait_until(
            lambda: process.poll() is not None or "=" * 72 + "\n" in _after_banner(paths["out"]),
            timeout=180,
            what="the banner",
        )
        assert process.poll() is None, paths["out"].read_text()
        yield process, paths, port, paths["out"].read_text()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(40)
            except subprocess.TimeoutExpired:
                stop_process_groups(process)


def _after_banner(path):
    text = path.read_text()
    start = text.find("voiceagent is running at")
    return text[start:] if start >= 0 else ""


@pytest.mark.slow
def test_the_set_up_prints_a_line_per_step_and_the_banner_last(embedded):
    _, paths, port, output = embedded
    steps, banner = output.split("\n\n", 1)
    lines = steps.splitlines()
    assert [line.split(":")[0] for line in lines[:4]] == [
        "Settings",
        "PDF reports",
        "Database",
        "Demo logins",
    ]
    assert re.fullmatch(
        r"Starting the web server, the Celery worker with beat and the call simulator \.\.\. "
        r"up in \d+ s",
        lines[4],
    )
    assert len(lines) == 5
    assert banner.splitlines()[1] == f"  voiceagent is running at http://127.0.0.1:{port}/"
    assert "    admin / admin-demo-pass  — staff admin (sees everything, /admin/)" in banner
    assert "    manager / manager-demo-pass  — manager (sees their team's campaigns)" in banner
    assert f"  Logs:      {paths['logs']}/  (web.log, worker.log, simulator.log" in banner
    assert "  Stop:      Ctrl-C  (stops the web server, the worker and the simulator)" in banner
    assert banner.rstrip("\n").endswith("=" * 72)  # nothing after the banner


@pytest.mark.slow
def test_a_normal_start_shows_no_warning_or_error_anywhere(embedded):
    _, paths, _, output = embedded
    time.sleep(3)  # a few beat tasks and simulated calls go by
    assert noisy_lines(output) == []
    logs = {log.name: noisy_lines(log.read_text()) for log in sorted(paths["logs"].iterdir())}
    assert logs == {"setup.log": [], "simulator.log": [], "web.log": [], "worker.log": []}
    worker_log = (paths["logs"] / "worker.log").read_text()
    assert " ready." in worker_log and "superuser privileges" not in worker_log


@pytest.mark.slow
def test_manage_py_commands_work_with_only_the_settings_file(embedded, tmp_path):
    _, paths, _, _ = embedded
    # The settings file `make run` writes, pointing at the database this start set up.
    settings_file = tmp_path / "embedded.env"
    write_embedded_env(settings_file, embedded_defaults(paths["db"].parent))
    result = subprocess.run(
        [PYTHON, "manage.py", "drf_create_token", "manager"],
        cwd=ROOT,
        env=plain_environment(EMBEDDED_ENV_FILE=str(settings_file)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Generated token ")
    assert result.stdout.rstrip().endswith(" for user manager")
    assert noisy_lines(result.stderr) == []


@pytest.mark.slow
def test_ctrl_c_stops_everything_without_an_error_line(embedded):
    process, paths, port, _ = embedded
    process.send_signal(signal.SIGINT)
    assert process.wait(40) == 0
    output = paths["out"].read_text()
    assert output.rstrip().endswith("Stopped the web server, the worker and the simulator.")
    assert noisy_lines(output) == []
    for log in paths["logs"].iterdir():
        assert noisy_lines(log.read_text()) == [], log.name
    assert "Warm shutdown" in (paths["logs"] / "worker.log").read_text()


def test_the_settings_file_fills_only_what_the_environment_leaves_unset(tmp_path):
    path = tmp_path / "embedded.env"
    path.write_text("# comment\nDEBUG=1\nSECRET_KEY=from-file\n\nWEBHOOK_ALLOW_PRIVATE=1\n")
    environ = {"EMBEDDED_ENV_FILE": str(path), "SECRET_KEY": ""}
    assert apply_embedded_env(environ) == ["DEBUG", "WEBHOOK_ALLOW_PRIVATE"]
    assert environ == {
        "EMBEDDED_ENV_FILE": str(path),
        "SECRET_KEY": "",  # set, even empty: the environment wins
        "DEBUG": "1",
        "WEBHOOK_ALLOW_PRIVATE": "1",
    }


@pytest.mark.parametrize("service", ["DATABASE_URL", "REDIS_URL"])
def test_a_process_pointed_at_real_services_ignores_the_settings_file(tmp_path, service):
    path = tmp_path / "embedded.env"
    path.write_text("DEBUG=1\n")
    environ = {"EMBEDDED_ENV_FILE": str(path), service: "postgres://db/x"}
    assert apply_embedded_env(environ) == []
    assert "DEBUG" not in environ


def test_a_missing_settings_file_changes_nothing(tmp_path):
    environ = {"EMBEDDED_ENV_FILE": str(tmp_path / "absent.env")}
    assert apply_embedded_env(environ) == []
    assert environ == {"EMBEDDED_ENV_FILE": str(tmp_path / "absent.env")}


def test_the_written_settings_keep_their_secret_key_across_runs(tmp_path):
    path = tmp_path / "embedded.env"
    first = write_embedded_env(path, embedded_defaults(tmp_path))
    second = write_embedded_env(path, embedded_defaults(tmp_path))
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) >= 50
    assert read_embedded_env(path) == {
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path.resolve() / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://localhost/",
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "SECRET_KEY": first["SECRET_KEY"],
    }


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        (
            "DATABASE_URL",
            "postgres://owner:s3cret-pw@127.0.0.1:1/production",
            "names a postgres database",
        ),
        ("REDIS_URL", "redis://:s3cret-pw@127.0.0.1:1/0", "REDIS_URL is set"),
    ],
)
def test_make_run_refuses_real_services_and_never_prints_their_credentials(
    tmp_path, variable, value, says
):
    env = plain_environment(**{variable: value}, EMBEDDED_ENV_FILE=str(tmp_path / "embedded.env"))
    command = [PYTHON, "scripts/embedded.py", "--no-demo-data", "--log-dir", str(tmp_path / "log")]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert says in result.stderr
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert not (tmp_path / "embedded.env").exists()


def test_the_image_never_takes_make_runs_settings_file_or_database():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"var/", ".venv/", "*.sqlite3"} <= set(ignored)
    assert "COPY . ." in (ROOT / "Dockerfile").read_text()
