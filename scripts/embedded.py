"""Embedded mode (`make run`): the ASGI server, a Celery worker with beat on kombu's filesystem
transport, and the call simulator, as child processes; Ctrl-C stops every one of them."""

import os
import shutil
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as scripts/embedded.py

from scripts.harness import (  # noqa: E402
    ROOT,
    celery_command,
    manage_command,
    start_process,
    stop_process_groups,
    uvicorn_command,
)

VAR = ROOT / "var"


def prepare_environment(port):
    env = dict(os.environ, DEBUG=os.environ.get("DEBUG", "1"), PYTHONUNBUFFERED="1")
    # prometheus_client multiprocess mode: one fresh directory shared by every child.
    metrics_dir = VAR / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    for folder in ("celery/queue", "celery/processed", "media", "cache"):
        (VAR / folder).mkdir(parents=True, exist_ok=True)
    env.setdefault("EMBEDDED_URL", f"http://127.0.0.1:{port}")
    return env


def commands(port):
    base = f"http://127.0.0.1:{port}"
    procs = {
        "web": uvicorn_command(port, log_level="info"),
        "worker": celery_command("worker", "--beat", "--loglevel", "INFO", "--concurrency", "2",
                                 "--schedule", str(VAR / "celerybeat-schedule")),
    }  # fmt: skip
    if (ROOT / "voiceagent" / "management" / "commands" / "simulate_calls.py").exists():
        procs["simulator"] = manage_command("simulate_calls", "--url", base, "--rate", "0.5",
                                            "--wait-for-server")  # fmt: skip
    return procs


def main():
    port = int(os.environ.get("PORT", "8000"))
    env = prepare_environment(port)
    children = {}
    for name, cmd in commands(port).items():
        children[name] = start_process(cmd, env=env)
    print(
        f"\nvoiceagent is starting at http://127.0.0.1:{port}/  (Ctrl-C stops everything)\n",
        flush=True,
    )

    def stop(*_):
        stop_process_groups(*children.values(), timeout=10)
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while True:
        for name, proc in children.items():
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}; stopping the others.", flush=True)
                stop()
        time.sleep(0.5)


if __name__ == "__main__":
    main()
