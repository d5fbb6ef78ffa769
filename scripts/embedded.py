"""Embedded mode (`make run`): set up quietly (one line per step, details in var/log/), start the
ASGI server, a Celery worker with beat on kombu's filesystem transport and the call simulator as
child processes (their output in var/log/), and print the banner once all are up. Ctrl-C stops
every one of them."""

import argparse
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as scripts/embedded.py

from scripts.harness import (  # noqa: E402
    ROOT,
    celery_command,
    manage_command,
    start_process,
    stop_process_leaders,
    uvicorn_command,
    wait_for_http,
    wait_until,
)


def _load_embedded_env_module():
    """voiceagent/embedded_env.py, loaded by path: importing the voiceagent package would load
    the Django settings (its Celery app reads them) before the embedded ones are in place."""
    spec = importlib.util.spec_from_file_location(
        "voiceagent_embedded_env", ROOT / "voiceagent" / "embedded_env.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


embedded_env = _load_embedded_env_module()
VAR = ROOT / "var"
# What the embedded mode sets even where the environment names its own database (the file is
# ignored then): development mode, its key, loopback webhooks.
ALWAYS_EMBEDDED = ("DEBUG", "SECRET_KEY", "WEBHOOK_ALLOW_PRIVATE")
# Celery warns when its worker runs as root (containers, CI); the embedded worker is a local
# development process, where the warning is noise. Matched by message: the category's module
# cannot be named before Celery is importable.
ROOT_WARNING_FILTER = "ignore:You're running the worker with superuser privileges"


class StepFailed(Exception):
    pass


def say(text, end="\n"):
    print(text, end=end, flush=True)


def relative(path):
    path = Path(path).resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def run_step(command, *, env, log):
    """Run a set-up command with its output appended to `log`; its stdout. StepFailed if it
    fails."""
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(str(part) for part in command)}\n{result.stdout}{result.stderr}")
    if result.returncode != 0:
        raise StepFailed(f"{' '.join(str(part) for part in command[-2:])} failed")
    return result.stdout


def refuse_real_services(environ=os.environ):
    """None, or why this environment is not for the embedded mode: it names a real database or
    Redis, which `make run` would seed with demo data and demo logins in development mode."""
    database = environ.get("DATABASE_URL", "")
    if database and not database.startswith("sqlite:"):
        scheme = database.split(":", 1)[0]
        return (
            f"DATABASE_URL names a {scheme} database: `make run` is the embedded mode (SQLite, "
            "demo data, demo logins). Unset DATABASE_URL to run it; README shows the production "
            "topology."
        )
    if environ.get("REDIS_URL"):
        return (
            "REDIS_URL is set: `make run` is the embedded mode and needs no Redis. Unset it to "
            "run it; README shows the production topology."
        )
    return None


def prepare_environment(port):
    """The settings file (var/embedded.env) written and applied to this process, whose
    environment every child inherits; the folders of the filesystem broker, media and cache; a
    fresh prometheus_client multiprocess directory."""
    path = embedded_env.embedded_env_path()
    written = embedded_env.write_embedded_env(path, embedded_env.embedded_defaults(VAR))
    embedded_env.apply_embedded_env()
    for name in ALWAYS_EMBEDDED:
        os.environ.setdefault(name, written[name])
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    metrics_dir = VAR / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    for folder in ("celery/queue", "celery/processed", "media", "cache"):
        (VAR / folder).mkdir(parents=True, exist_ok=True)
    env.setdefault("EMBEDDED_URL", f"http://127.0.0.1:{port}")
    return env, path


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


def set_up(env, log, *, demo_data=True):
    """The set-up steps, one line each; the demo logins as create_demo_users printed them."""
    pdf = subprocess.run(
        [str(ROOT / "scripts" / "ensure_pdf.sh"), "--soft"], cwd=ROOT, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"$ scripts/ensure_pdf.sh --soft\n{pdf.stdout}{pdf.stderr}")
    missing = "WARNING" in pdf.stderr
    say(
        "PDF reports: Pango or the Noto fonts are missing, PDFs are off "
        f"(the rest works; see {relative(log)})"
        if missing
        else "PDF reports: ready"
    )
    say("Database: migrating ... ", end="")
    run_step(manage_command("migrate", "--noinput", "-v", "0"), env=env, log=log)
    say(f"done ({env['DATABASE_URL'].split('///')[-1]})")  # SQLite only: refuse_real_services
    if demo_data:
        say("Demo data: loading (the first time takes a minute or two) ... ", end="")
        started = time.monotonic()
        output = run_step(manage_command("seed_demo"), env=env, log=log)
        if "already present" in output:
            say("already loaded")
        else:
            say(f"{output.strip().splitlines()[-1].split(': ', 1)[-1].split(' in ')[0]} "
                f"({time.monotonic() - started:.0f} s)")  # fmt: skip
    output = run_step(manage_command("create_demo_users"), env=env, log=log)
    say("Demo logins: ready")
    return [line.strip() for line in output.splitlines() if " / " in line]


def start_children(port, env, log_dir):
    """Start every child with its output in log_dir/<name>.log; the processes by name."""
    children = {}
    for name, command in commands(port).items():
        child_env = dict(env)
        if name == "worker":
            child_env["PYTHONWARNINGS"] = ROOT_WARNING_FILTER
        log = log_dir / f"{name}.log"
        log.write_text("")
        children[name] = start_process(command, env=child_env, log=log)
    return children


def wait_until_up(port, children, log_dir):
    """Until the web answers, the worker says it is ready and the simulator runs."""
    wait_for_http(f"http://127.0.0.1:{port}/health/live", timeout=60, process=children["web"])

    def said(name, text):
        if children[name].poll() is not None:
            raise RuntimeError(f"the {name} exited with {children[name].returncode}")
        return text in (log_dir / f"{name}.log").read_text(errors="replace")

    wait_until(lambda: said("worker", " ready."), timeout=90, what="the Celery worker")
    if "simulator" in children:
        wait_until(lambda: said("simulator", "Simulating"), timeout=60, what="the simulator")


def banner(port, logins, log_dir, settings_file):
    rule = "=" * 72
    names = ", ".join(f"{name}.log" for name in ("web", "worker", "simulator"))
    lines = [
        rule,
        f"  voiceagent is running at http://127.0.0.1:{port}/",
        "",
        "  Log in as:",
        *(f"    {login}" for login in logins),
        "",
        f"  Logs:      {relative(log_dir)}/  ({names}; set-up: setup.log)",
        f"  Settings:  {relative(settings_file)}  (manage.py reads it: e.g.",
        "             .venv/bin/python manage.py drf_create_token manager)",
        "  Stop:      Ctrl-C  (stops the web server, the worker and the simulator)",
        rule,
    ]
    return "\n".join(lines)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--log-dir", type=Path, default=VAR / "log")
    parser.add_argument(
        "--no-demo-data", action="store_true", help="Skip loading the demo data (tests)."
    )
    return parser.parse_args()


def main():
    args = parse_args()
    refused = refuse_real_services()
    if refused:
        sys.exit(refused)
    args.log_dir.mkdir(parents=True, exist_ok=True)
    setup_log = args.log_dir / "setup.log"
    env, settings_file = prepare_environment(args.port)
    say(f"Settings: {relative(settings_file)} (DEBUG on, SQLite, filesystem broker)")
    children = {}

    def stop(*_):
        # The leaders only: the worker's warm shutdown stops its own pool processes (signalling
        # its whole group would kill them first, and the worker logs each death as an ERROR).
        stop_process_leaders(*children.values(), timeout=15)
        say("\nStopped the web server, the worker and the simulator.")
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        logins = set_up(env, setup_log, demo_data=not args.no_demo_data)
        say("Starting the web server, the Celery worker with beat and the call simulator ... ", "")
        started = time.monotonic()
        children.update(start_children(args.port, env, args.log_dir))
        wait_until_up(args.port, children, args.log_dir)
        say(f"up in {time.monotonic() - started:.0f} s")
    except (StepFailed, RuntimeError, TimeoutError) as error:
        say(f"failed: {error}; see {relative(args.log_dir)}/")
        stop_process_leaders(*children.values(), timeout=15)
        sys.exit(1)
    say("\n" + banner(args.port, logins, args.log_dir, settings_file))
    while True:
        for name, proc in children.items():
            if proc.poll() is not None:
                say(f"The {name} exited with {proc.returncode}; stopping the others "
                    f"(see {relative(args.log_dir)}/{name}.log).")  # fmt: skip
                stop()
        time.sleep(0.5)


if __name__ == "__main__":
    main()
