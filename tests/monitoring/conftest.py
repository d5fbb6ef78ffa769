"""Monitoring fixtures: a clean cache per test, the exposition parsed, a fake external API,
closed and hanging ports."""

import socket

import pytest
from django.core.cache import cache

from monitoring import checks, external
from scripts.harness import free_port
from tests.monitoring.helpers import FakeAPI, parse_exposition


@pytest.fixture(autouse=True)
def _fresh_monitoring_state():
    """Each test starts with no cached check result (Redis database of this worktree only)."""
    cache.clear()
    external.forget_results()
    checks.forget_worker_ping()
    yield
    external.forget_results()
    checks.forget_worker_ping()


@pytest.fixture
def scrape(client):
    """GET /health/metrics and parse it."""

    def get(path="/health/metrics", **headers):
        response = client.get(path, **headers)
        assert response.status_code == 200, response.content
        return parse_exposition(response.content.decode())

    return get


@pytest.fixture
def closed_port():
    """A local port nothing listens on: connections are refused at once."""
    return free_port()


@pytest.fixture
def hanging_port():
    """A local port that accepts TCP connections (the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def fake_api():
    api = FakeAPI()
    yield api
    api.close()
