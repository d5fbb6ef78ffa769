"""Checks of the paid external APIs (Exotel, Deepgram, OpenAI, ElevenLabs), run in the background.

Each service has a small client making one cheap authenticated read with a short timeout, at a
base URL from settings.EXTERNAL_SERVICES (tests point it at a local fake server). Results are
cached for EXTERNAL_CHECK_INTERVAL_SECONDS: Celery beat refreshes them every interval, and a
probe that finds a result stale starts one refresh in a background thread (at most one per
service and process at a time) instead of calling out itself.
"""

import abc
import hashlib
import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import httpx
from django.conf import settings

from monitoring import components
from monitoring.metrics import record_error

logger = logging.getLogger(__name__)

HEALTHY, UNHEALTHY, NOT_CONFIGURED = "healthy", "unhealthy", "not_configured"


class ServiceClient(abc.ABC):
    """One external API: whether credentials are configured, and its cheap authenticated read."""

    name = ""
    credentials = ("api_key",)

    def __init__(self, config):
        self.config = config

    @property
    def configured(self):
        return all(self.config.get(field) for field in self.credentials)

    @property
    def base_url(self):
        # Accept base URLs given with or without the API version, as their SDKs do.
        base = (self.config.get("base_url") or "").rstrip("/")
        return base.removesuffix("/v1")

    @abc.abstractmethod
    def request(self):
        """(path, {headers/auth/params}) of the read that proves the credentials work."""

    def probe(self, *, timeout):
        if not self.configured:
            return _result(NOT_CONFIGURED, "no credentials configured")
        path, options = self.request()
        started = time.monotonic()
        try:
            with httpx.Client(base_url=self.base_url, timeout=timeout) as client:
                response = client.get(path, **options)
        except httpx.TimeoutException:
            return _result(UNHEALTHY, f"no answer within {timeout:g} s", started)
        except httpx.HTTPError as exc:
            # The exception's text can carry the URL: name its kind only.
            return _result(UNHEALTHY, f"request failed ({type(exc).__name__})", started)
        if response.is_success:
            return _result(HEALTHY, f"HTTP {response.status_code}", started)
        if response.status_code in (401, 403):
            return _result(
                UNHEALTHY, f"credentials rejected (HTTP {response.status_code})", started
            )
        return _result(UNHEALTHY, f"HTTP {response.status_code}", started)


class ExotelClient(ServiceClient):
    name = "exotel"
    credentials = ("account_sid", "api_key", "api_token")

    def request(self):
        return (
            f"/v1/Accounts/{self.config['account_sid']}/Calls.json",
            {
                "params": {"PageSize": 1},
                "auth": (self.config["api_key"], self.config["api_token"]),
            },
        )


class DeepgramClient(ServiceClient):
    name = "deepgram"

    def request(self):
        return "/v1/projects", {"headers": {"Authorization": f"Token {self.config['api_key']}"}}


class OpenAIClient(ServiceClient):
    name = "openai"

    def request(self):
        return "/v1/models", {"headers": {"Authorization": f"Bearer {self.config['api_key']}"}}


class ElevenLabsClient(ServiceClient):
    name = "elevenlabs"

    def request(self):
        return "/v1/user", {"headers": {"xi-api-key": self.config["api_key"]}}


CLIENTS = {
    client.name: client for client in (ExotelClient, DeepgramClient, OpenAIClient, ElevenLabsClient)
}
SERVICES = tuple(CLIENTS)


def _result(status, message, started=None):
    elapsed = None if started is None else round((time.monotonic() - started) * 1000, 1)
    return {
        "status": status,
        "message": message,
        "response_time_ms": elapsed,
        "checked_at": time.time(),
    }


def client_for(name):
    return CLIENTS[name](settings.EXTERNAL_SERVICES.get(name, {}))


def _fingerprint(name):
    """Identifies the configuration a result was obtained with (a hash: no secret is stored)."""
    config = json.dumps(settings.EXTERNAL_SERVICES.get(name, {}), sort_keys=True)
    return hashlib.sha256(config.encode()).hexdigest()[:16]


_lock = threading.Lock()
_in_flight = {}  # service -> Future of its running refresh
_latest = {}  # service -> last result in this process, for when the cache itself is down


def refresh(name):
    """Check one service now, store the result (cache and this process) and return it."""
    result = client_for(name).probe(timeout=settings.EXTERNAL_CHECK_TIMEOUT_SECONDS)
    result["config"] = _fingerprint(name)
    _latest[name] = result
    if result["status"] == UNHEALTHY:
        record_error("health_check_failed", name)
    try:
        components.store_status(name, **result)
    except Exception:  # the cache is down; this process still has the result
        logger.warning("Could not cache the %s check result", name, exc_info=True)
    return result


def refresh_all():
    """Check every service in parallel (the beat task): about one timeout at worst."""
    with ThreadPoolExecutor(max_workers=len(SERVICES)) as pool:
        return dict(zip(SERVICES, pool.map(refresh, SERVICES), strict=True))


def _is_fresh(result, name):
    return (
        result is not None
        and result.get("config") == _fingerprint(name)
        and time.time() - result.get("checked_at", 0) < settings.EXTERNAL_CHECK_INTERVAL_SECONDS
    )


def _cached(name):
    try:
        result = components.read_status(name)
    except Exception:
        result = None
    if _is_fresh(result, name):
        return result
    result = _latest.get(name)
    return result if _is_fresh(result, name) else None


def _refresh_in_background(name):
    with _lock:
        future = _in_flight.get(name)
        if future is not None:
            return future
        future = _in_flight[name] = Future()

    def run():
        try:
            future.set_result(refresh(name))
        except Exception as exc:  # never leave a waiting probe without an answer
            logger.exception("The %s check failed unexpectedly", name)
            future.set_exception(exc)
        finally:
            with _lock:
                if _in_flight.get(name) is future:
                    del _in_flight[name]

    threading.Thread(target=run, name=f"check-{name}", daemon=True).start()
    return future


def current_status(name, *, wait):
    """The service's latest result: cached when fresh; else one background refresh, awaited at
    most `wait` seconds. Without credentials, `not_configured` with no network at all."""
    if not client_for(name).configured:
        return _result(NOT_CONFIGURED, "no credentials configured")
    cached = _cached(name)
    if cached is not None:
        return cached
    future = _refresh_in_background(name)
    try:
        return future.result(timeout=wait)
    except FutureTimeout:
        return _result(UNHEALTHY, f"no answer within {wait:g} s")
    except Exception:
        return _result(UNHEALTHY, "check failed")


def forget_results():
    """Drop this process's remembered results and refreshes (tests; a changed configuration)."""
    with _lock:
        _latest.clear()
        _in_flight.clear()
