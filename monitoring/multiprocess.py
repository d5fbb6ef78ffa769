"""prometheus_client multiprocess bookkeeping: a process that exits takes its live gauges along.

The directory itself is wiped by the start command, before any process starts (docker-compose,
scripts/embedded.py): wiping it from Python would race the other processes.
"""

import atexit
import os

from prometheus_client.multiprocess import mark_process_dead


def multiprocess_dir():
    """The directory prometheus_client writes to in this process (read from the environment at
    its import, as prometheus_client does), or None in single-process mode."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def mark_current_process_dead(pid=None):
    """Remove this process's livesum/liveall gauge files (websocket_connections), so the sum
    covers live processes only. Counters and histograms stay: they are totals."""
    path = multiprocess_dir()
    if path and os.path.isdir(path):
        mark_process_dead(os.getpid() if pid is None else pid, path)


def _at_exit():
    # Read the pid at exit: a forked child inherits this hook and must mark itself, not its parent.
    mark_current_process_dead(os.getpid())


def install_exit_hook():
    """Uvicorn workers (spawned, exiting through sys.exit) and the Celery main process run
    atexit hooks; Celery's forked pool processes do not (see monitoring.worker)."""
    if multiprocess_dir():
        atexit.register(_at_exit)
