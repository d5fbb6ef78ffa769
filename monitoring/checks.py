"""Health checks: one django-health-check `HealthCheck` per dependency, run together in threads
under one deadline, so a hanging dependency costs a probe that deadline and no more.

database and redis (cache and broker) decide readiness; celery_worker, scheduler and the
external APIs only degrade /health/detailed. Messages name what failed and how, never a
password, token or URL (monitoring.redaction).
"""

import asyncio
import dataclasses
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

import redis
from django.conf import settings
from django.core.cache import cache, caches
from health_check.base import HealthCheck, HealthCheckResult
from health_check.checks import Database
from health_check.exceptions import HealthCheckException, ServiceUnavailable
from kombu import Connection

from monitoring import components, external, heartbeat
from monitoring.metrics import record_error
from monitoring.redaction import scrub

logger = logging.getLogger(__name__)
HEALTHY, UNHEALTHY, NOT_CONFIGURED = external.HEALTHY, external.UNHEALTHY, external.NOT_CONFIGURED
CORE_COMPONENTS = ("database", "redis")
BROKER_TIMEOUT_SECONDS = 1.0
WORKER_PING_TIMEOUT_SECONDS = 1.0
WORKER_PING_REUSE_SECONDS = 5.0
# A component reported by the checks under another name in monitoring.components.
STORED_AS = {"celery_worker": "worker"}


class NotConfigured(HealthCheckException):
    """The dependency has no credentials here: neither healthy nor a failure."""

    message_type = "Not configured"


@dataclasses.dataclass
class DatabaseCheck(Database):
    """django-health-check's `SELECT 1` on a temporary connection (closed after the probe)."""

    component: ClassVar[str] = "database"
    message: ClassVar[str] = "SELECT 1 answered"


@dataclasses.dataclass
class RedisCheck(HealthCheck):
    """The cache (set, get, delete of a probe key) and the Celery broker (a ping)."""

    component: ClassVar[str] = "redis"

    def run(self):
        key = f"monitoring:probe:{uuid.uuid4().hex}"
        try:
            cache.set(key, "ok", 30)
            stored = cache.get(key)
            cache.delete(key)
        except Exception as exc:
            raise ServiceUnavailable(f"cache unreachable ({type(exc).__name__})") from exc
        if stored != "ok":
            raise ServiceUnavailable("cache did not return the value just stored")
        ping_broker()
        self.message = (
            f"cache ({type(caches['default']).__name__}) and broker ({broker_kind()}) answered"
        )


def broker_kind():
    return settings.CELERY_BROKER_URL.split("://", 1)[0]


CACHE_KINDS = {
    "RedisCache": "Redis",
    "FileBasedCache": "file",
    "LocMemCache": "memory",
    "DatabaseCache": "database",
    "DummyCache": "none",
}


def cache_and_broker_name():
    """What the `redis` component checks, named for what runs: "Redis" in production, and e.g.
    "Cache: file, broker: filesystem" under `make run` (no Redis there)."""
    cache_class = type(caches["default"]).__name__
    cache_name = CACHE_KINDS.get(cache_class, cache_class)
    broker = broker_kind()
    broker_name = "Redis" if broker in ("redis", "rediss") else broker
    if cache_name == "Redis" and broker_name == "Redis":
        return "Redis"
    return f"Cache: {cache_name}, broker: {broker_name}"


def ping_broker():
    """A bounded round trip to the Celery broker; ServiceUnavailable when it does not answer."""
    url = settings.CELERY_BROKER_URL
    try:
        if broker_kind() in ("redis", "rediss"):
            client = redis.Redis.from_url(
                url,
                socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
                socket_timeout=BROKER_TIMEOUT_SECONDS,
            )
            try:
                client.ping()
            finally:
                client.close()
        else:
            with Connection(
                url,
                connect_timeout=BROKER_TIMEOUT_SECONDS,
                transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            ) as connection:
                connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:
        raise ServiceUnavailable(f"broker unreachable ({type(exc).__name__})") from exc


@dataclasses.dataclass
class CeleryWorkerCheck(HealthCheck):
    """A ping answered by at least one worker. The broker is pinged first: Celery's own ping
    once hung when the broker was down. A ping broadcasts to every worker, so its answer is
    reused for WORKER_PING_REUSE_SECONDS: a flood of probes is not a flood of broadcasts."""

    component: ClassVar[str] = "celery_worker"

    def run(self):
        ping_broker()
        if not worker_answered_ping():
            raise ServiceUnavailable(
                f"no worker answered the ping within {WORKER_PING_TIMEOUT_SECONDS:g} s"
            )
        self.message = "a worker answered the ping"


_last_ping = {"broker": None, "at": 0.0, "answered": False}
_ping_lock = threading.Lock()


def worker_answered_ping():
    from voiceagent.celery import app

    url = settings.CELERY_BROKER_URL
    with _ping_lock:
        if (
            _last_ping["broker"] == url
            and time.monotonic() - _last_ping["at"] < WORKER_PING_REUSE_SECONDS
        ):
            return _last_ping["answered"]
    with app.connection_for_write(url) as connection:
        replies = app.control.ping(
            timeout=WORKER_PING_TIMEOUT_SECONDS, limit=1, connection=connection
        )
    with _ping_lock:
        _last_ping.update(broker=url, at=time.monotonic(), answered=bool(replies))
    return bool(replies)


def forget_worker_ping():
    """Ping afresh on the next check (tests; a worker just started)."""
    with _ping_lock:
        _last_ping.update(broker=None, at=0.0, answered=False)


@dataclasses.dataclass
class SchedulerCheck(HealthCheck):
    """Celery beat's heartbeat (written by a worker) no older than two intervals."""

    component: ClassVar[str] = "scheduler"

    def run(self):
        try:
            beat = heartbeat.last_heartbeat()
        except Exception as exc:
            raise ServiceUnavailable(f"cache unreachable ({type(exc).__name__})") from exc
        if beat is None:
            raise ServiceUnavailable("no heartbeat recorded")
        age = max(0.0, time.time() - beat)
        limit = heartbeat.heartbeat_max_age()
        if age > limit:
            raise ServiceUnavailable(f"last heartbeat {age:.0f} s ago (limit {limit} s)")
        self.message = f"last heartbeat {age:.0f} s ago"


@dataclasses.dataclass
class ExternalServiceCheck(HealthCheck):
    """An external API's latest background result; a probe never calls out itself (at most it
    awaits the one refresh it found needed)."""

    service: str
    records_failures: ClassVar[bool] = False  # external.refresh counts them, once per check

    @property
    def component(self):
        return self.service

    def run(self):
        wait = max(0.1, settings.HEALTH_CHECK_DEADLINE_SECONDS - 0.3)
        result = external.current_status(self.service, wait=wait)
        self.response_time_ms = result.get("response_time_ms")
        if result["status"] == NOT_CONFIGURED:
            raise NotConfigured(result["message"])
        if result["status"] != HEALTHY:
            raise ServiceUnavailable(result["message"])
        self.message = result["message"]


def readiness_checks():
    return [DatabaseCheck(), RedisCheck()]


def detailed_checks():
    return [
        DatabaseCheck(),
        RedisCheck(),
        CeleryWorkerCheck(),
        SchedulerCheck(),
        *(ExternalServiceCheck(service=name) for name in external.SERVICES),
    ]


def local_checks():
    """What the background task stores for /analytics/system besides the external APIs."""
    return [DatabaseCheck(), RedisCheck(), CeleryWorkerCheck(), SchedulerCheck()]


@dataclasses.dataclass(frozen=True)
class CheckOutcome:
    name: str
    status: str
    response_time_ms: float
    message: str


def run_checks(checks, *, deadline=None):
    """Run `checks` in parallel threads; each answers within `deadline` seconds or is reported
    unhealthy (its thread is left to finish on its own client timeout)."""
    deadline = settings.HEALTH_CHECK_DEADLINE_SECONDS if deadline is None else deadline
    results = asyncio.run(_gather(checks, deadline))
    outcomes = [_outcome(result) for result in results]
    for check, outcome in zip(checks, outcomes, strict=True):
        if outcome.status == UNHEALTHY and getattr(check, "records_failures", True):
            logger.warning("Health check %s failed: %s", outcome.name, outcome.message)
            record_error("health_check_failed", outcome.name)
    return outcomes


async def _gather(checks, deadline):
    executor = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="health-check")
    try:
        return await asyncio.gather(*(_within(check, executor, deadline) for check in checks))
    finally:
        # Never wait for a hanging check: the probe's answer must not.
        executor.shutdown(wait=False, cancel_futures=True)


async def _within(check, executor, deadline):
    try:
        return await asyncio.wait_for(check.get_result(executor), deadline)
    except TimeoutError:
        error = ServiceUnavailable(f"no answer within {deadline:g} s")
        return HealthCheckResult(check=check, error=error, time_taken=deadline)


def _outcome(result):
    check, error = result.check, result.error
    if error is None:
        status, message = HEALTHY, getattr(check, "message", "ok")
    elif isinstance(error, NotConfigured):
        status, message = NOT_CONFIGURED, error.message
    else:
        status, message = UNHEALTHY, error.message
    response_time_ms = getattr(check, "response_time_ms", None)
    if response_time_ms is None:
        response_time_ms = round(result.time_taken * 1000, 1)
    return CheckOutcome(
        name=check.component,
        status=status,
        response_time_ms=response_time_ms,
        message=scrub(str(message)),
    )


def overall_status(outcomes):
    """unhealthy when the database or redis fails (the app cannot serve), degraded when any
    other check fails, else healthy; not_configured never counts against it."""
    failed = {outcome.name for outcome in outcomes if outcome.status == UNHEALTHY}
    if failed & set(CORE_COMPONENTS):
        return "unhealthy"
    return "degraded" if failed else "healthy"


def store_outcomes(outcomes):
    """Keep the local checks' results for /analytics/system (externals store their own)."""
    for outcome in outcomes:
        if outcome.name in external.SERVICES:
            continue
        try:
            components.store_status(
                STORED_AS.get(outcome.name, outcome.name),
                outcome.status,
                message=outcome.message,
                response_time_ms=outcome.response_time_ms,
                checked_at=time.time(),
            )
        except Exception:  # the cache is down; the outcome already says so
            return
