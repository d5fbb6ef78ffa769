"""The Celery side of monitoring: the worker's own /health/metrics, pool-process cleanup, and a
first heartbeat and status refresh as soon as beat starts (not one interval later).

In production the worker runs in its own container with its own PROMETHEUS_MULTIPROC_DIR, so
Prometheus scrapes it directly (deploy/prometheus.yml, job voiceagent-worker): when
WORKER_METRICS_PORT is set, the worker's main process serves the merged files of its pool
processes at /health/metrics (METRICS_TOKEN applies as on the web). Where web and worker share
one directory (`make run`), the web's scrape already includes the worker and the port stays 0.
"""

import logging
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from celery.signals import beat_init, worker_process_shutdown, worker_ready, worker_shutdown
from django.conf import settings
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from monitoring import metrics
from monitoring.multiprocess import mark_current_process_dead

logger = logging.getLogger(__name__)
METRICS_PATHS = ("/health/metrics", "/health/metrics/", "/metrics", "/metrics/")


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # every scrape would log a line otherwise
        return


def metrics_app(environ, start_response):
    """WSGI: the worker's metrics at METRICS_PATHS, bearer token when METRICS_TOKEN is set."""
    if environ.get("PATH_INFO") not in METRICS_PATHS:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not found: metrics are at /health/metrics\n"]
    if not metrics.scrape_authorized(environ.get("HTTP_AUTHORIZATION")):
        start_response(
            "401 Unauthorized",
            [("Content-Type", "application/json"), ("WWW-Authenticate", 'Bearer realm="metrics"')],
        )
        return [
            b'{"detail": "A valid \'Authorization: Bearer <METRICS_TOKEN>\' header is required."}'
        ]
    body = generate_latest(metrics.process_metrics_registry())
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_PLAIN_0_0_4)])
    return [body]


def start_metrics_server(*, port, addr):
    """Serve metrics_app in a daemon thread; returns the server (its port when 0 was asked)."""
    server = make_server(
        addr, port, metrics_app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    return server


@worker_ready.connect(dispatch_uid="monitoring.worker_metrics_server")
def _serve_worker_metrics(sender=None, **kwargs):
    port = settings.WORKER_METRICS_PORT
    if not port:
        return
    if not settings.PROMETHEUS_MULTIPROC_DIR:
        logger.warning(
            "WORKER_METRICS_PORT is set without PROMETHEUS_MULTIPROC_DIR: "
            "a prefork pool's metrics will not be seen."
        )
    server = start_metrics_server(port=port, addr=settings.WORKER_METRICS_ADDR)
    logger.info("Worker metrics at http://%s:%s/health/metrics", *server.server_address[:2])


@worker_process_shutdown.connect(dispatch_uid="monitoring.pool_process_dead")
def _pool_process_exits(pid=None, **kwargs):
    # Sent inside the exiting pool process, which leaves through os._exit: no atexit there.
    mark_current_process_dead(pid)


@worker_shutdown.connect(dispatch_uid="monitoring.worker_dead")
def _worker_exits(**kwargs):
    mark_current_process_dead()


@beat_init.connect(dispatch_uid="monitoring.beat_started")
def _beat_starts(sender=None, **kwargs):
    # Beat runs an interval task one interval after it starts: without this, /health/detailed
    # would call the scheduler unhealthy for the first minute of every deployment. Chained: the
    # refresh checks the scheduler after this start's heartbeat, never against the previous
    # run's (stale) one, which would log a false "scheduler failed" at every restart.
    from celery import chain

    from monitoring import tasks

    chain(tasks.record_scheduler_heartbeat.si(), tasks.refresh_component_statuses.si()).delay()
