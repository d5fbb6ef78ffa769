"""Fixed SQL statements whose rows come back converted as the ORM converts the fields they read.

Building a query with the ORM costs more than running it when the query reads a handful of rows
by an index (one call and its turns, a page of leads, the calls in progress), and those are read
on every click or every few seconds. A statement written once skips that cost; its rows still
come back as the ORM gives them: JSON parsed (Django has psycopg hand jsonb over as text), and
on SQLite datetimes made aware, booleans and decimals converted, by the converters the ORM and
`raw()` apply (`SQLCompiler.get_converters`). On PostgreSQL each is prepared on its connection
(voiceagent.prepared): parsed and planned once, not on every request.
"""

from django.db import connections
from django.db.models.sql import Query

from voiceagent.prepared import prepared_cursor


def column_list(quote, columns):
    """The select list of [(table alias, model field)]: `c."call_sid", ...`."""
    return ", ".join(f"{alias}.{quote(field.column)}" for alias, field in columns)


def fetch(database, sql, params, fields):
    """The rows of `sql` run with `params` on `database`, as lists, column i converted as the
    ORM converts the model field `fields[i]` (None: as the driver gives it)."""
    connection = connections[database]
    compiler = connection.ops.compiler("SQLCompiler")(Query(None), connection, database)
    converters = compiler.get_converters(
        [None if field is None else field.get_col(field.model._meta.db_table) for field in fields]
    )
    with prepared_cursor(database) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return list(compiler.apply_converters(rows, converters))
