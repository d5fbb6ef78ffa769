"""Helpers of the monitoring tests: the exposition parsed, a fake external API, ports, and
other processes (web, worker) run against the test database."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]


def parse_exposition(text):
    """{(sample name, frozenset of label items): value} from Prometheus text."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def sample(samples, metric, /, **labels):
    """A sample's value, 0 when absent (a counter never incremented)."""
    return samples.get((metric, frozenset(labels.items())), 0.0)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeAPI:
    """A local stand-in for an external API: answers 200 when the request carries the expected
    header, 401 otherwise; or hangs (mode "hang") until released."""

    def __init__(self):
        self.mode = "ok"
        self.expected_header = ("Authorization", "")
        self.requests = []
        self.release = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                api.requests.append((self.path, dict(self.headers)))
                if api.mode == "hang":
                    api.release.wait(10)
                    return
                name, value = api.expected_header
                status = 200 if self.headers.get(name) == value else 401
                body = json.dumps({"ok": status == 200}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def database_url_of_tests():
    """The test database as a URL, for processes started by a test."""
    params = connection.settings_dict
    auth = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
    return f"postgres://{auth}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{params['NAME']}"


def process_env(**extra):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "voiceagent.settings", "PYTHONUNBUFFERED": "1"}
    env["DATABASE_URL"] = database_url_of_tests()
    env.update({key: str(value) for key, value in extra.items()})
    return env


def run_python(code, *, env, timeout=60, stdin=None):
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
    )


def wait_for_http(url, *, timeout=30, process=None):
    """Poll `url` until it answers (any HTTP status), or fail with the process's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"process exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def http_get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
