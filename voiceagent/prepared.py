"""Server-side prepared statements for the statements run on every ingestion batch or click.

Django binds parameters on the client and never prepares a statement: PostgreSQL parses and
plans each statement every time it runs. Ingestion's are long (a lead's score is one statement
of a few hundred lines; the rollups' upsert writes several tables at once) and their shape is the
same from batch to batch: parsing and planning them cost about as much as running them. Run
through `prepared_cursor()`, a statement is prepared on its connection the first time its text
(with its parameters' types) is seen, and runs by name afterwards: parsed once, and planned once
when PostgreSQL finds its generic plan as good as a planned-each-time one (after five runs).
The fixed statements of pages and endpoints (voiceagent.fixed_statements: one call's
conversation, say) run through it too. Measured in paired runs: a 500-event batch's ingestion
went from 0.31-0.32 to 0.34 of the bare INSERT; a conversation's request from 6.7-7.5 ms to
5.7-6.6. The token's user and the daily series (analytics.selectors._sums_by_day) run
through it too: a daily series' request at 1M calls went from 1.8 to 1.45 ms (its plan took
longer than its run). The other aggregate reads of the rollups showed no change, and stay as
they were.

psycopg keeps a connection's last 100 statements prepared (`prepared_max`). Statements are
prepared only on connections reused across requests: persistent ones (DB_CONN_MAX_AGE above 0)
or pooled ones (DB_POOL_SIZE above 0, Django's pool). A
connection pooler in transaction mode must pass prepared statements through, and the
`DEALLOCATE ALL` psycopg sends after a rollback (PgBouncer 1.22+ with
`max_prepared_statements`); `DB_PREPARED_STATEMENTS=0` turns them off (Django's cursor then).
"""

import time
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django_prometheus.db import metrics as db_metrics
from django_prometheus.db.common import ExceptionCounterByType

NEVER_BY_COUNT = 2**31 - 1


@contextmanager
def prepared_cursor(using=DEFAULT_DB_ALIAS):
    """A cursor of the `using` connection: on PostgreSQL, with connections that outlive a
    request (persistent or pooled: _prepares), its `execute(sql, params)` prepares `sql` (see
    the module docstring), and the statement shows in Django's query log and its metrics as
    Django's cursor shows it; otherwise Django's own cursor. A connection closed after each
    request would prepare each statement to run it once: one more round trip, nothing saved."""
    connection = connections[using]
    if not _prepares(connection):
        with connection.cursor() as cursor:
            yield cursor
        return
    with connection.wrap_database_errors, _preparing(connection) as raw:
        cursor = psycopg.Cursor(raw)  # server-side binding: $1, $2, ...
        try:
            yield _PreparingCursor(cursor, connection)
        finally:
            cursor.close()


def started(sql, params, using=DEFAULT_DB_ALIAS):
    """`sql` run as prepared_cursor runs it, its cursor left open: `fetchall()` reads its rows
    (inside a pipeline, only then waited for: PostgreSQL runs it while Python goes on) and
    closes it."""
    connection = connections[using]
    if not _prepares(connection):
        cursor = connection.cursor()
        try:
            cursor.execute(sql, params)
        except BaseException:
            cursor.close()
            raise
        return _Started(cursor, connection)
    with connection.wrap_database_errors, _preparing(connection) as raw:
        cursor = psycopg.Cursor(raw)
        try:
            _PreparingCursor(cursor, connection).execute(sql, params)
        except BaseException:
            cursor.close()
            raise
    return _Started(cursor, connection)


class _Started:
    def __init__(self, cursor, connection):
        self.cursor, self.connection = cursor, connection

    def fetchall(self):
        with self.connection.wrap_database_errors:
            try:
                return self.cursor.fetchall()
            finally:
                self.cursor.close()


@contextmanager
def _preparing(connection):
    """The raw psycopg connection, on which statements run inside are prepared because they
    ask to be (`prepare=True`)."""
    connection.ensure_connection()
    # As Django's cursor: no statement in a transaction an error has broken.
    connection.validate_no_broken_transaction()
    raw = connection.connection
    threshold = raw.prepare_threshold
    # Django's connections prepare nothing (None), and psycopg then ignores prepare=True. Inside,
    # a threshold no statement reaches: what runs here is prepared because it asks to be. Only
    # inside: with a threshold, psycopg would keep the text of every statement Django's own
    # cursors run (they bind on the client, values in the text) to count its runs.
    raw.prepare_threshold = NEVER_BY_COUNT
    try:
        yield raw
    finally:
        raw.prepare_threshold = threshold


def plan_generically(using=DEFAULT_DB_ALIAS):
    """Until the transaction ends, prepared statements run their generic plan from their first
    run (plan_cache_mode), where the connection prepares statements.

    PostgreSQL plans a prepared statement's first five runs for their values, then keeps the
    generic plan unless it looks costlier. Ingestion's writes from one JSON document (INSERT
    ... SELECT FROM jsonb_to_recordset, UPDATE ... FROM it) kept being planned for their values
    on every run: 0.2-0.5 ms of PostgreSQL's time a statement, about a millisecond a batch,
    for plans that do not depend on the values. Not for every statement: a page's read of the
    calls in progress (a few rows of a million by their status) is planned for its values, and
    its generic plan read every call (1.3 s instead of 3 ms). In a pipeline (bulk.pipelined),
    nothing waits for it. Inside an outer transaction (a savepoint: the demo data's build, a
    test) it lasts until that one ends."""
    connection = connections[using]
    if _prepares(connection):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")


def _prepares(connection):
    """On PostgreSQL, unless turned off, where connections outlive a request: persistent ones
    (CONN_MAX_AGE) or pooled ones (DB_POOL_SIZE), whose psycopg connection keeps what it
    prepared when it goes back to the pool."""
    return (
        connection.vendor == "postgresql"
        and settings.DATABASE_PREPARED_STATEMENTS
        and (
            connection.settings_dict["CONN_MAX_AGE"] != 0
            or bool(connection.settings_dict.get("OPTIONS", {}).get("pool"))
        )
    )


class _PreparingCursor:
    """psycopg's cursor, every statement prepared, each logged and counted as Django's cursor
    (django-prometheus's instrumented one) logs and counts it."""

    def __init__(self, cursor, connection):
        self.cursor, self.connection = cursor, connection
        self.labels = {"alias": connection.alias, "vendor": connection.vendor}

    def execute(self, sql, params=None):
        started = time.monotonic()
        db_metrics.execute_total.labels(**self.labels).inc()
        try:
            with (
                db_metrics.query_duration_seconds.labels(**self.labels).time(),
                ExceptionCounterByType(db_metrics.errors_total, extra_labels=self.labels),
            ):
                self.cursor.execute(sql, params, prepare=True)
        finally:
            if self.connection.queries_logged:
                # With its parameters in it, as Django logs a statement (only while logging).
                logged = psycopg.ClientCursor(self.cursor.connection).mogrify(sql, params)
                self.connection.queries_log.append(
                    {"sql": logged, "time": f"{time.monotonic() - started:.3f}"}
                )

    def fetchall(self):
        return self.cursor.fetchall()

    def fetchone(self):
        return self.cursor.fetchone()

    @property
    def rowcount(self):
        return self.cursor.rowcount
