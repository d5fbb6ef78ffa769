"""scripts.harness against real sockets, a real HTTP server and real process groups."""

import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scripts.harness import (
    PYTHON,
    ROOT,
    celery_command,
    child_environment,
    database_url,
    free_port,
    start_process,
    stop_process_groups,
    uvicorn_command,
    wait_for_http,
    wait_until,
)


@pytest.fixture
def http_server():
    """A local http.server answering every GET with the status in `server.status`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(self.server.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            return

    servers = []

    def serve(status, port=0):
        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.status = status
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_free_port_can_be_bound_and_listened_on():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        assert sock.getsockname() == ("127.0.0.1", port)


def test_nothing_listens_on_a_free_port():
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", free_port()), timeout=2)


def test_wait_for_http_returns_the_status_a_server_answers(http_server):
    assert wait_for_http(http_server(204) + "/health/live", timeout=5) == 204


def test_wait_for_http_counts_a_4xx_as_up(http_server):
    assert wait_for_http(http_server(401) + "/metrics", timeout=5) == 401


def test_wait_for_http_waits_for_a_server_that_starts_later(http_server):
    port = free_port()
    threading.Timer(0.6, http_server, args=(200, port)).start()
    assert wait_for_http(f"http://127.0.0.1:{port}/", timeout=10) == 200


def test_wait_for_http_does_not_count_a_5xx_as_up(http_server):
    with pytest.raises(TimeoutError, match="/health/ready"):
        wait_for_http(http_server(503) + "/health/ready", timeout=0.5)


def test_wait_for_http_gives_up_after_the_timeout_when_nothing_listens():
    with pytest.raises(TimeoutError):
        wait_for_http(f"http://127.0.0.1:{free_port()}/", timeout=0.5)


def test_wait_for_http_fails_at_once_when_the_server_process_exited():
    process = start_process([PYTHON, "-c", "raise SystemExit(3)"], env=child_environment())
    process.wait(10)
    with pytest.raises(RuntimeError, match="exited with 3"):
        wait_for_http(f"http://127.0.0.1:{free_port()}/", timeout=30, process=process)


def test_wait_until_returns_the_first_truthy_value():
    answers = iter([None, 0, "", "ready", "later"])
    assert wait_until(lambda: next(answers), timeout=5, interval=0.01) == "ready"


def alive(pid):
    """True while `pid` runs (a zombie waiting for its parent's wait() counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_stop_process_groups_stops_the_leader_and_its_children(tmp_path):
    child_pid = tmp_path / "child.pid"
    shell = start_process(
        ["sh", "-c", f"sleep 120 & echo $! > {child_pid}; wait"], env=child_environment()
    )
    pid = int(wait_until(lambda: child_pid.exists() and child_pid.read_text().strip(), timeout=10))
    assert alive(pid)

    stop_process_groups(shell, timeout=10)

    assert shell.returncode == -signal.SIGTERM
    wait_until(lambda: not alive(pid), timeout=5, what="the child to end")


def test_stop_process_groups_kills_a_group_that_ignores_sigterm(tmp_path):
    log = tmp_path / "stubborn.log"
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); " \
        "print('ignoring', flush=True); time.sleep(120)"  # fmt: skip
    process = start_process([PYTHON, "-c", stubborn], env=child_environment(), log=log)
    wait_until(lambda: log.read_text() == "ignoring\n", timeout=10)

    stop_process_groups(process, timeout=0.5)

    assert process.returncode == -signal.SIGKILL


def test_stop_process_groups_leaves_ended_processes_alone():
    process = start_process([PYTHON, "-c", "pass"], env=child_environment())
    process.wait(10)
    stop_process_groups(process)
    assert process.returncode == 0


def test_start_process_runs_in_the_project_directory_with_the_environment_given(tmp_path):
    log = tmp_path / "out.log"
    code = "import os; print(os.getcwd(), os.environ['HARNESS_PROBE'])"
    process = start_process([PYTHON, "-c", code], env=child_environment(HARNESS_PROBE=42), log=log)
    assert process.wait(10) == 0
    assert log.read_text() == f"{ROOT} 42\n"


def test_child_environment_keeps_djangos_async_safety(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    env = child_environment(PORT=8001)
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in env
    assert (env["PORT"], env["PYTHONUNBUFFERED"]) == ("8001", "1")
    assert env["DJANGO_SETTINGS_MODULE"] == "voiceagent.settings"


def test_database_url_of_a_django_database_entry():
    db = {"NAME": "voiceagent", "USER": "app", "PASSWORD": "p@ss:word", "HOST": "", "PORT": ""}
    assert database_url(db) == "postgres://app:p%40ss%3Aword@127.0.0.1:5432/voiceagent"
    db = {"NAME": "test_voiceagent", "USER": "postgres", "PASSWORD": "", "HOST": "db", "PORT": 6543}
    assert database_url(db) == "postgres://postgres@db:6543/test_voiceagent"


def test_uvicorn_command_serves_the_asgi_app_on_loopback():
    assert uvicorn_command(8123) == [
        sys.executable, "-m", "uvicorn", "voiceagent.asgi:application", "--host", "127.0.0.1",
        "--port", "8123", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    assert uvicorn_command(8123, workers=2, log_level="info")[-5:] == [
        "--no-access-log", "--log-level", "info", "--workers", "2",
    ]  # fmt: skip


def test_celery_command_names_the_project_app():
    assert celery_command("beat", "-s", "x") == [
        sys.executable, "-m", "celery", "-A", "voiceagent", "beat", "-s", "x",
    ]  # fmt: skip


def test_serve_http_answers_on_a_free_loopback_port_until_shut_down():
    from http.server import BaseHTTPRequestHandler

    from scripts.harness import http_status, serve_http

    class Teapot(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(418)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            return

    server, url = serve_http(Teapot)
    try:
        assert url.startswith("http://127.0.0.1:")
        assert http_status(url + "/") == 418
    finally:
        server.shutdown()
        server.server_close()
    assert http_status(url + "/") is None
