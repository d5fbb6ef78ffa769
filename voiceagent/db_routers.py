"""Where queries go: every write, and every read by default, to the primary (`default`);
analytics reads to the streaming replica (`replica`, set by DATABASE_REPLICA_URL) where the code
asks for it explicitly.

The analytics API, the analytics pages and the exports read much and write little, and a
replica a few milliseconds behind shows them the same figures. They say so with
`analytics_reads()` (a context, or `@analytics_reads_view` on a view) or, for rows read lazily
after a view returns (an export streamed to the client), with `.using(analytics_alias())`. An
export is a file kept after the request: it reads there only once the replica has replayed what
the primary had committed when it began (`replica_caught_up`), so that a lead erased before it
starts is not in it.
Everything else stays on the primary because it must read what it has just written: ingestion,
campaign and lead CRUD, the admin, export jobs, the live counts of /dashboard/realtime (their
timestamps must be comparable with the live pushes', read on the primary), and, even inside
`analytics_reads()`, users, tokens, sessions and permissions (PRIMARY_APPS).

Campaign membership is read with the figures it scopes (one SQL statement cannot span two
databases), so it is as fresh as the replica: a member just removed from a campaign still sees
its figures until the replica replays the removal (replication lag, milliseconds when healthy;
the `DATABASE_REPLICA_URL` row of README says how to watch it).
"""

import time
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
# Logins, tokens and permissions are read on the primary even inside analytics_reads(): a
# password just changed or a token just revoked must count at once.
PRIMARY_APPS = frozenset({"auth", "authtoken", "sessions", "admin", "contenttypes"})

_analytics_reads = ContextVar("analytics_reads", default=False)


def replica_configured():
    return REPLICA in connections.settings


def analytics_alias():
    """The alias analytics reads use: the replica when there is one, else the primary."""
    return REPLICA if replica_configured() else DEFAULT_DB_ALIAS


def replica_caught_up(*, timeout, primary=DEFAULT_DB_ALIAS, replica=REPLICA, poll=0.05):
    """Whether `replica` (an alias, or a connection of its own) has replayed everything
    `primary` had written when asked, waiting up to `timeout` seconds for it: True at once when
    `replica` is not a standby (not in recovery: the primary itself, or the test mirror), False
    when it cannot be reached.

    What reads on a standby trails by its replay lag; an export is a file kept after the
    request, so one that began after an erasure must not hold the erased lead because the
    standby had not replayed it yet. The primary's WAL position when asked
    (`pg_current_wal_lsn()`) covers every transaction committed before. Ask on the connection
    that will read: behind a pooler spreading connections over several standbys, another
    connection may reach another standby."""
    database = connections[replica] if isinstance(replica, str) else replica
    with connections[primary].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    try:
        with database.cursor() as cursor:
            while True:
                cursor.execute(
                    "SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= %s::pg_lsn",
                    [target],
                )
                if cursor.fetchone()[0]:
                    return True
                if time.monotonic() >= deadline:
                    return False
                time.sleep(poll)
    except DatabaseError:
        return False


@contextmanager
def analytics_reads():
    """Inside, the ORM's reads (but those of PRIMARY_APPS) go to analytics_alias()."""
    token = _analytics_reads.set(True)
    try:
        yield
    finally:
        _analytics_reads.reset(token)


def analytics_reads_view(view):
    """A view (function, or a class-based view's `dispatch`) whose reads are analytics reads."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with analytics_reads():
            return view(*args, **kwargs)

    return wrapper


class AnalyticsReplicaRouter:
    """DATABASE_ROUTERS' only router: see the module's docstring."""

    def db_for_read(self, model, **hints):
        if _analytics_reads.get() and model._meta.app_label not in PRIMARY_APPS:
            return analytics_alias()
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same database.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica replays the primary's migrations; nothing is migrated on it directly.
        return db != REPLICA
