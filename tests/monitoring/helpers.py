"""Helpers of the monitoring tests: the exposition parsed, a fake external API, and other
processes (probes) run against the test database."""

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler

from prometheus_client.parser import text_string_to_metric_families

from scripts.harness import ROOT, serve_http


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

        self.server, self.url = serve_http(Handler)

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


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


def http_get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
