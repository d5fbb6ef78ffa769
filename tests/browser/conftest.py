"""Browser tests: a real ASGI server (uvicorn, HTTP + WebSockets) on the test database, a Celery
worker for exports, and headless Debian Chromium driven by Playwright."""

import os
from contextlib import contextmanager, suppress

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from scripts.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    celery_command,
    free_port,
    log_in,
    start_process,
    stop_process_groups,
    uvicorn_command,
    wait_for_http,
)
from tests.processes import process_environment

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "pass-1234-word"


@pytest.fixture(autouse=True)
def _server_password_hasher(settings):
    # The server process verifies passwords with the default hashers only; the suite's fast MD5
    # hasher would make every login through the form fail.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]


def start_asgi_server(port, **settings_env):
    """uvicorn serving the project on the test database at `port`, answering when returned;
    `settings_env` adds environment variables (settings) of that server.

    Its look for follow-ups fallen due is set to once an hour: no browser test is about it (the
    live tests drive it through communicators), and a look every 5 s from the server reads the
    test database while a test's teardown truncates it, which PostgreSQL may end as a deadlock."""
    env = {"LIVE_DUE_CHECK_SECONDS": "3600", **settings_env}
    proc = start_process(uvicorn_command(port), env=process_environment(**env))
    try:
        wait_for_http(f"http://127.0.0.1:{port}/accounts/login/", process=proc)
    except (TimeoutError, RuntimeError):
        stop_process_groups(proc)
        raise
    return proc


@pytest.fixture(scope="session")
def live_server_url(django_db_setup):
    port = free_port()
    proc = start_asgi_server(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process_groups(proc)


@contextmanager
def celery_worker():
    """A real Celery worker on the Redis broker and the test database (exports run there)."""
    proc = start_process(
        celery_command("worker", "--loglevel", "WARNING", "--concurrency", "1", "--pool", "solo",
                       "--without-gossip", "--without-mingle", "--without-heartbeat"),
        env=process_environment(),
    )  # fmt: skip
    try:
        yield proc
    finally:
        stop_process_groups(proc)


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
        log_in(page, base_url, user.username, PASSWORD)
        return page

    yield open_page
    for context in contexts:
        # A page's scripts may still be fetching (a live page reads /dashboard/realtime when it
        # loads): let those requests finish first, or the server may be reading the tables
        # while pytest-django truncates them and PostgreSQL ends one of the two as a deadlock.
        for page in context.pages:
            with suppress(PlaywrightError):  # still busy after 3 s: closed anyway
                page.wait_for_load_state("networkidle", timeout=3_000)
        context.close()


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
