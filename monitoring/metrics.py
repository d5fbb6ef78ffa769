"""Every Prometheus metric of voiceagent, defined once, with the spec's names.

Counters and histograms are fed by the call domain's events (monitoring.receivers) and by
`record_error`; they live in prometheus_client's registry, which is per process, or in
PROMETHEUS_MULTIPROC_DIR's files when several processes serve (multiprocess mode).
active_calls, queued_calls, campaign_status and campaign_info are not stored anywhere: a
collector reads them from the database when Prometheus scrapes, so they never drift.
Labels are bounded: a campaign's id (its name only in campaign_info), an outcome, an error's
type and component. Never a call or a lead.
"""

import collections
import hmac
import logging
import time
from bisect import bisect_left

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.metrics import disable_created_metrics
from prometheus_client.multiprocess import MultiProcessCollector

from monitoring import components, heartbeat, selectors
from voiceagent.models import CampaignStatus

logger = logging.getLogger(__name__)

# `*_created` samples are not kept in multiprocess mode; dropping them everywhere keeps the
# embedded and multiprocess expositions alike.
disable_created_metrics()

# Sub-second resolution where the AI services live, up to the 10 s a turn must never take.
AI_LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
CALL_DURATION_BUCKETS = (5, 15, 30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 3600)
LABEL_VALUE_MAX_LENGTH = 64

calls_initiated_total = Counter(
    "calls_initiated_total",
    "Calls initiated (dialled: the first call.initiated of a call session), by campaign id.",
    ["campaign"],
)
calls_completed_total = Counter(
    "calls_completed_total",
    "Finished calls (completed, no answer, busy or failed; canceled never counts), "
    "by campaign id and outcome.",
    ["campaign", "outcome"],
)
call_duration_seconds = Histogram(
    "call_duration_seconds",
    "Duration of answered calls in seconds (the glossary's avg_call_duration population).",
    ["campaign"],
    buckets=CALL_DURATION_BUCKETS,
)
llm_request_duration_seconds = Histogram(
    "llm_request_duration_seconds",
    "LLM latency of each conversation turn, in seconds.",
    buckets=AI_LATENCY_BUCKETS,
)
stt_request_duration_seconds = Histogram(
    "stt_request_duration_seconds",
    "Speech-to-text latency of each conversation turn, in seconds.",
    buckets=AI_LATENCY_BUCKETS,
)
tts_request_duration_seconds = Histogram(
    "tts_request_duration_seconds",
    "Text-to-speech latency of each conversation turn, in seconds.",
    buckets=AI_LATENCY_BUCKETS,
)
# livesum: the open sockets of live processes only; a dead process's count leaves with it.
websocket_connections = Gauge(
    "websocket_connections",
    "Open live-dashboard WebSocket connections.",
    multiprocess_mode="livesum",
)
errors_total = Counter(
    "errors_total",
    "Errors by type and component: ingestion rejections, export failures, failed health "
    "checks, WebSocket errors, AI and telephony errors reported during calls (ai_error).",
    ["type", "component"],
)


# Series that exist from the start at 0, so rate() and increase() see their first error (a
# series born at 1 looks like no increase at all).
KNOWN_ERRORS = (
    ("rejected_event", "ingestion"),
    ("export_failed", "exports"),
    ("websocket_error", "websocket"),
    ("delivery_failed", "notifications"),
    *(("ai_error", component) for component in ("llm", "stt", "tts", "telephony")),
    *(
        ("health_check_failed", component)
        for component in (
            "database",
            "redis",
            "celery_worker",
            "scheduler",
            "exotel",
            "deepgram",
            "openai",
            "elevenlabs",
        )
    ),
)
for _type, _component in KNOWN_ERRORS:
    errors_total.labels(type=_type, component=_component)


def _bounded(value):
    return str(value)[:LABEL_VALUE_MAX_LENGTH]


def record_error(type, component, *, count=1):
    """Count `count` errors (parameters named as the labels, so positional and keyword calls
    both read naturally). `type` and `component` must come from a small fixed vocabulary
    (e.g. "rejected_event"/"ingestion", "export_failed"/"exports"), never from user input."""
    errors_total.labels(type=_bounded(type), component=_bounded(component)).inc(count)


def observe_all(histogram, amounts):
    """`histogram.observe(amount)` for each of `amounts` (a histogram without labels, or one
    child of a labelled one), with each bucket and the sum incremented once: observing is a
    walk over the buckets per value, and each increment in multiprocess mode a write to the
    process's file. Exemplars are not kept (observe keeps none without being given one). For
    numbers (a NaN would land in the first bucket, which observe leaves it out of): latencies
    and durations, never NaN."""
    if not amounts:
        return
    histogram._raise_if_not_observable()
    bounds = histogram._upper_bounds  # ascending, the last +Inf
    counts = collections.Counter(bisect_left(bounds, amount) for amount in amounts)
    histogram._sum.inc(sum(amounts))
    for index, count in counts.items():
        histogram._buckets[index].inc(count)


def scrape_authorized(authorization):
    """Whether a scrape with this Authorization header may read the metrics: always when
    METRICS_TOKEN is empty, else only with `Bearer <METRICS_TOKEN>`."""
    expected = settings.METRICS_TOKEN
    if not expected:
        return True
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), expected.encode()
    )


class DatabaseGaugeCollector:
    """active_calls, queued_calls, campaign_status and campaign_info, read at scrape time.

    Custom collectors are not merged across processes, so this one is added to the scrape's
    own registry (beside MultiProcessCollector), never to a process's global registry.
    """

    def collect(self):
        try:
            in_progress, queued_sessions = selectors.calls_in_progress_and_queued()
            due = selectors.scheduled_calls_due()
            campaigns = selectors.monitored_campaigns()
        except DatabaseError:
            logger.warning("Database gauges skipped: the database did not answer", exc_info=True)
            record_error("scrape_query_failed", "metrics")
            return
        yield GaugeMetricFamily(
            "active_calls",
            "Calls in progress now (initiated, ringing or in progress), from the database.",
            value=in_progress,
        )
        yield GaugeMetricFamily(
            "queued_calls",
            "Calls waiting: call sessions queued plus pending scheduled calls due now, of "
            "running campaigns only, from the database.",
            value=queued_sessions + due,
        )
        status = GaugeMetricFamily(
            "campaign_status",
            "1 when the campaign is running, else 0 (campaign id; name in campaign_info).",
            labels=["campaign"],
        )
        info = InfoMetricFamily(
            "campaign", "Name and status of each campaign by id.", labels=["campaign"]
        )
        for campaign in campaigns:
            running = campaign.status == CampaignStatus.RUNNING
            status.add_metric([str(campaign.id)], 1 if running else 0)
            info.add_metric([str(campaign.id)], {"name": campaign.name, "status": campaign.status})
        yield status
        yield info


class ComponentStatusCollector:
    """Component health from the background checks' cache, for the worker/scheduler alerts."""

    def collect(self):
        healthy = GaugeMetricFamily(
            "component_healthy",
            "1 when the component's latest background check passed, 0 when it failed "
            "(absent when not configured or not checked yet).",
            labels=["component"],
        )
        for name, status in components.component_statuses().items():
            if status in ("healthy", "unhealthy"):
                healthy.add_metric([name], 1 if status == "healthy" else 0)
        yield healthy
        try:
            beat = heartbeat.last_heartbeat()
        except Exception:  # the cache is down: the component gauges above already say so
            beat = None
        if beat is not None:
            yield GaugeMetricFamily(
                "scheduler_heartbeat_timestamp_seconds",
                "Unix time of the latest Celery beat heartbeat run by a worker.",
                value=beat,
            )


ROLLUP_VERIFICATION_KEY = "monitoring:rollups:verification"


def record_rollup_verification(*, drift, now=None):
    """Keep the result of `manage.py verify_rollups` for the rollup_drift gauge (in the cache,
    shared by every process, like the scheduler's heartbeat; kept for a week)."""
    cache.set(
        ROLLUP_VERIFICATION_KEY,
        {"drift": drift, "at": time.time() if now is None else now},
        7 * 24 * 3600,
    )


class RollupDriftCollector:
    """rollup_drift: counters the latest `manage.py verify_rollups` found different from the raw
    rows (0 when exact; absent before the first run or after a week without one)."""

    def collect(self):
        try:
            latest = cache.get(ROLLUP_VERIFICATION_KEY)
        except Exception:  # the cache is down: component_healthy says so
            latest = None
        if latest is None:
            return
        yield GaugeMetricFamily(
            "rollup_drift",
            "Rollup counters that differed from the raw rows at the latest verify_rollups run.",
            value=latest["drift"],
        )
        yield GaugeMetricFamily(
            "rollup_verified_timestamp_seconds",
            "Unix time of the latest verify_rollups run.",
            value=latest["at"],
        )


class _ProcessMetrics:
    """This process's own registry (embedded mode) as one collector of the scrape registry."""

    def collect(self):
        return REGISTRY.collect()


def process_metrics_registry():
    """What this kind of process itself recorded: every process's files in multiprocess mode,
    else the in-process registry (django-prometheus' metrics included either way)."""
    registry = CollectorRegistry()
    if settings.PROMETHEUS_MULTIPROC_DIR:
        MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        registry.register(_ProcessMetrics())
    return registry


def scrape_registry():
    """The web's /health/metrics: process metrics plus the database and component gauges."""
    registry = process_metrics_registry()
    registry.register(DatabaseGaugeCollector())
    registry.register(ComponentStatusCollector())
    registry.register(RollupDriftCollector())
    return registry
