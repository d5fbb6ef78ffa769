"""Browser tests: a real ASGI server (uvicorn, HTTP + WebSockets) on the test database, a Celery
worker for exports, and headless Debian Chromium driven by Playwright."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from django.conf import settings
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
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
PASSWORD = "pass-1234-word"


@pytest.fixture(autouse=True)
def _server_password_hasher(settings):
    # The server process verifies passwords with the default hashers only; the suite's fast MD5
    # hasher would make every login through the form fail.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url():
    """DATABASE_URL of the test database pytest-django created (test_<name>)."""
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def server_environment():
    env = dict(os.environ, DATABASE_URL=test_database_url(), PYTHONUNBUFFERED="1")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the servers keep Django's async safety
    return env


def wait_until_up(url, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[2]} exited with {proc.returncode} before answering")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_asgi_server(port):
    """uvicorn serving the project on the test database at `port`, answering when returned."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "voiceagent.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=server_environment(),
    )  # fmt: skip
    try:
        wait_until_up(f"http://127.0.0.1:{port}/accounts/login/", proc)
    except RuntimeError:
        stop(proc)
        raise
    return proc


@pytest.fixture(scope="session")
def live_server_url(django_db_setup):
    port = free_port()
    proc = start_asgi_server(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@contextmanager
def celery_worker():
    """A real Celery worker on the Redis broker and the test database (exports run there)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "voiceagent", "worker", "--loglevel", "WARNING",
         "--concurrency", "1", "--pool", "solo", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        cwd=ROOT, env=server_environment(),
    )  # fmt: skip
    try:
        yield proc
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop running in this thread while it is open; the ORM
    # calls that build test data are still plain synchronous code, so Django's guard against
    # async contexts is off for exactly that long (never for the rest of the suite).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


class ConsoleErrors(list):
    def watch(self, page):
        page.on(
            "console",
            lambda message: (
                self.append(f"console: {message.text}") if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: self.append(f"page error: {error}"))


@pytest.fixture
def console_errors():
    return ConsoleErrors()


@pytest.fixture
def page_for(browser, live_server_url, console_errors):
    """A logged-in page of `user` (through the login form) at a given width; errors collected."""
    contexts = []

    def open_page(user, *, width=1280, height=900, base_url=live_server_url):
        context = browser.new_context(
            base_url=base_url,
            viewport={"width": width, "height": height},
            timezone_id="Asia/Kolkata",
            locale="en-IN",
            accept_downloads=True,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        console_errors.watch(page)
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/")
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
