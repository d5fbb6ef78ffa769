"""Embedded mode (DEBUG=1, no REDIS_URL): kombu's filesystem transport keeps its folders in var/,
wherever the worker is started from, so none can land in the repository."""

import pytest

from scripts.harness import (
    PYTHON,
    ROOT,
    celery_command,
    child_environment,
    free_port,
    start_process,
    stop_process_groups,
    wait_until,
)

pytestmark = pytest.mark.slow

PING = """
import django
django.setup()
from voiceagent.celery import app
print(app.control.ping(timeout=1))
"""


def embedded_environment():
    env = child_environment(DEBUG="1", PYTHONPATH=ROOT)
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL"):
        env.pop(name, None)
    return env


def test_a_worker_and_its_ping_write_nothing_outside_var(tmp_path):
    for folder in ("queue", "processed"):  # as `make run` prepares them
        (ROOT / "var" / "celery" / folder).mkdir(parents=True, exist_ok=True)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    env = embedded_environment()
    # Its own queue: it never takes the tasks of a `make run` of this checkout.
    queue = f"embedded-test-{free_port()}"
    worker = start_process(
        celery_command("worker", "--pool", "solo", "--loglevel", "WARNING", "--queues", queue,
                       "--hostname", f"{queue}@%h"),
        env=env, log=tmp_path / "worker.log", cwd=workdir,
    )  # fmt: skip
    try:

        def answered():
            pinged = start_process(
                [PYTHON, "-c", PING], env=env, log=tmp_path / "ping.log", cwd=workdir
            )
            assert pinged.wait(30) == 0, (tmp_path / "ping.log").read_text()
            return queue in (tmp_path / "ping.log").read_text().splitlines()[-1]

        wait_until(answered, what="the embedded worker to answer its ping")
    finally:
        stop_process_groups(worker)

    assert list(workdir.iterdir()) == []
    assert (ROOT / "var" / "celery" / "control").is_dir()
    assert not (ROOT / "control").exists()
