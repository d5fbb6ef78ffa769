"""Real receivers for the notification tests: an SMTP server (aiosmtpd) in the test process and
a local HTTP server recording what Slack, Exotel's SMS API and webhook receivers are sent."""

import copy
import email
import json
import threading
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller

from scripts.harness import free_port, serve_http

EXOTEL_SID = "skyline1"


class SMTPRecorder:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted for delivery"


class HTTPRecorder:
    """Records every request; answers the statuses queued per path (200 once they run out).

    `hold(path)` makes the next request to that path wait, unanswered, until `release()`.
    Only requests that were answered are in `requests`: one that never got an answer (its
    sender died) was not accepted, as with a real service.
    """

    def __init__(self):
        self.requests = []
        self.statuses = {}
        self.held = {}
        self.arrived = threading.Event()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                gate = recorder.held.pop(self.path, None)
                if gate is not None:
                    recorder.arrived.set()
                    gate.wait(30)
                    return
                queued = recorder.statuses.get(self.path) or []
                status = queued.pop(0) if queued else 200
                recorder.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body,
                     "status": status}
                )  # fmt: skip
                if status in (301, 302, 307):
                    self.send_response(status)
                    self.send_header("Location", f"{recorder.url}/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                payload = b"ok" if status < 300 else b"receiver error"
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format, *args):
                return

        self.server, self.url = serve_http(Handler)

    def hold(self, path):
        self.held[path] = threading.Event()
        return self.held[path]

    def to(self, path):
        return [r for r in self.requests if r["path"] == path]

    def json_to(self, path):
        return [json.loads(r["body"]) for r in self.to(path)]

    def form_to(self, path):
        return [
            {key: values[0] for key, values in parse_qs(r["body"].decode()).items()}
            for r in self.to(path)
        ]

    def close(self):
        for gate in self.held.values():
            gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp_server():
    recorder = SMTPRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    recorder.port = controller.port
    yield recorder
    controller.stop()


@pytest.fixture
def receiver():
    recorder = HTTPRecorder()
    yield recorder
    recorder.close()


SMS_PATH = f"/v1/Accounts/{EXOTEL_SID}/Sms/send.json"


@pytest.fixture
def channels(settings, smtp_server, receiver):
    """Settings sending email to the SMTP server and SMS to the recorder as Exotel."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "alerts@skyline.example"
    settings.SITE_URL = "https://voiceagent.example"
    services = copy.deepcopy(settings.EXTERNAL_SERVICES)
    services["exotel"].update(
        base_url=receiver.url, account_sid=EXOTEL_SID, api_key="key1", api_token="token1"
    )
    settings.EXTERNAL_SERVICES = services
    settings.EXOTEL_SMS_FROM = "08047112233"
    settings.WEBHOOK_ALLOW_PRIVATE = True
    return settings
