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
5.7-6.6. Aggregate reads of the rollups showed no change, and stay as they were.

psycopg keeps a connection's last 100 statements prepared (`prepared_max`). A connection pooler
in transaction mode must pass prepared statements through (PgBouncer 1.21+ with
`max_prepared_statements`); `DB_PREPARED_STATEMENTS=0` turns them off (Django's cursor then).
"""

import time
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

NEVER_BY_COUNT = 2**31 - 1


@contextmanager
def prepared_cursor(using=DEFAULT_DB_ALIAS):
    """A cursor of the `using` connection: on PostgreSQL its `execute(sql, params)` prepares
    `sql` (see the module docstring) and the statement shows in Django's query log; elsewhere,
    or with prepared statements turned off, Django's own cursor."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    # As Django's cursor: no statement in a transaction an error has broken.
    connection.validate_no_broken_transaction()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django's connections prepare nothing (None); psycopg then ignores prepare=True. A
        # threshold no statement reaches prepares only those run here (Django's own cursors
        # bind on the client and never prepare).
        raw.prepare_threshold = NEVER_BY_COUNT
    with connection.wrap_database_errors:
        cursor = psycopg.Cursor(raw)  # server-side binding: $1, $2, ...
        try:
            yield _PreparingCursor(cursor, connection)
        finally:
            cursor.close()


class _PreparingCursor:
    """psycopg's cursor, every statement prepared, each logged as Django's cursor logs it."""

    def __init__(self, cursor, connection):
        self.cursor, self.connection = cursor, connection

    def execute(self, sql, params=None):
        started = time.monotonic()
        try:
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
