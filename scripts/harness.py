"""Process helpers shared by the scripts (load, faults, embedded) and the tests that start servers:
free ports, waiting, starting and stopping process groups, the project's command lines.

Plain standard library, no Django: importable as `scripts.harness` before settings exist.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def free_port():
    """A loopback TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout=60, what="condition", interval=0.2):
    """Call `predicate` until it returns something truthy and return that; TimeoutError after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def serve_http(handler_class):
    """A threaded HTTP server on a free loopback port, serving in a daemon thread: (server, url).
    Stop it with `server.shutdown(); server.server_close()`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def http_status(url, timeout=2):
    """The status `url` answers with, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_for_http(url, *, timeout=30, process=None):
    """Poll `url` until it answers below 500 (a server answering 5xx is not up yet) and return
    the status. RuntimeError as soon as `process` (the server) has exited."""

    def answered():
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode} before answering")
        status = http_status(url)
        return status if status is not None and status < 500 else None

    return wait_until(answered, timeout=timeout, what=url)


def child_environment(**overrides):
    """This process's environment for a child process of the project, with `overrides`."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="voiceagent.settings", PYTHONUNBUFFERED="1")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # children keep Django's async safety
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def database_url(db):
    """A postgres:// URL from a Django DATABASES entry (NAME, USER, PASSWORD, HOST, PORT)."""
    auth = quote(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return (
        f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


def start_process(args, *, env, log=None, cwd=ROOT):
    """Start `args` (in the project directory) as the leader of a new process group, so that
    stopping it stops its children too; its output appended to the file `log` if given."""
    if log is None:
        return subprocess.Popen(args, cwd=cwd, env=env, start_new_session=True)
    with open(log, "ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(
            args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_process_groups(*processes, sig=signal.SIGTERM, timeout=20):
    """Send `sig` to the process group of each running process (a Celery worker's pool children
    and uvicorn's workers too), wait for all of them at most `timeout` seconds together, then
    SIGKILL the groups still running."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        _signal_group(process, sig)
    deadline = time.monotonic() + timeout
    for process in running:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()


def stop_process_leaders(*processes, sig=signal.SIGTERM, timeout=20):
    """Send `sig` to each running process itself (not its group), so that it stops its own
    children (a Celery worker's warm shutdown of its pool); wait for all of them at most
    `timeout` seconds together, then SIGKILL what is left of each group."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
    deadline = time.monotonic() + timeout
    for process in running:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
        else:
            _signal_group(process, signal.SIGKILL)  # children that outlived their leader


def _signal_group(process, sig):
    with contextlib.suppress(ProcessLookupError):  # ended meanwhile
        os.killpg(process.pid, sig)


def uvicorn_command(port, *, workers=1, log_level="warning"):
    """The ASGI app served by uvicorn on loopback `port` (no access log: one line a request)."""
    command = [PYTHON, "-m", "uvicorn", "voiceagent.asgi:application", "--host", "127.0.0.1",
               "--port", str(port), "--no-access-log", "--log-level", log_level]  # fmt: skip
    return command + (["--workers", str(workers)] if workers > 1 else [])


def celery_command(*args):
    """`celery -A voiceagent` with `args` (worker, beat and their options)."""
    return [PYTHON, "-m", "celery", "-A", "voiceagent", *args]


def manage_command(*args):
    return [PYTHON, "manage.py", *args]


def migrate_and_collect_static(env):
    """What a server needs before it starts: its database migrated, its static files collected."""
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(manage_command(*command, "-v", "0"), cwd=ROOT, env=env, check=True)


def log_in(page, base_url, username, password):
    """Log a Playwright page in through the login form, as a person would."""
    page.goto(base_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/")
