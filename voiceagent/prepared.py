"""Server-side prepared statements for the statements every ingestion batch runs.

Django binds parameters on the client and never prepares a statement: PostgreSQL parses and
plans each statement every time it runs. Ingestion's are long (a lead's score is one statement
of a few hundred lines; the rollups' upsert writes several tables at once) and their shape is the
same from batch to batch: parsing and planning them cost about as much as running them. Run
through `prepared_cursor()`, a statement is prepared on its connection the first time its text
(with its parameters' types) is seen, and runs by name afterwards: parsed once, and planned once
when PostgreSQL finds its generic plan as good as a planned-each-time one (after five runs).

psycopg keeps a connection's last 100 statements prepared (`prepared_max`). A connection pooler
in transaction mode must pass prepared statements through (PgBouncer 1.21+ with
`max_prepared_statements`); `DB_PREPARED_STATEMENTS=0` turns them off (Django's cursor then).
"""

import time
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import connection

NEVER_BY_COUNT = 2**31 - 1


@contextmanager
def prepared_cursor():
    """A cursor of the default connection: on PostgreSQL its `execute(sql, params)` prepares
    `sql` (see the module docstring) and the statement shows in Django's query log; elsewhere,
    or with prepared statements turned off, Django's own cursor."""
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
            yield _PreparingCursor(cursor)
        finally:
            cursor.close()


class _PreparingCursor:
    """psycopg's cursor, every statement prepared, each logged as Django's cursor logs it."""

    def __init__(self, cursor):
        self.cursor = cursor

    def execute(self, sql, params=None):
        started = time.monotonic()
        try:
            self.cursor.execute(sql, params, prepare=True)
        finally:
            if connection.queries_logged:
                # With its parameters in it, as Django logs a statement (only while logging).
                logged = psycopg.ClientCursor(self.cursor.connection).mogrify(sql, params)
                connection.queries_log.append(
                    {"sql": logged, "time": f"{time.monotonic() - started:.3f}"}
                )

    def fetchall(self):
        return self.cursor.fetchall()

    def fetchone(self):
        return self.cursor.fetchone()

    @property
    def rowcount(self):
        return self.cursor.rowcount
