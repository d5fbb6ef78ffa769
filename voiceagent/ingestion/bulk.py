"""Fast bulk writes for ingestion: COPY and UPDATE ... FROM unnest() on PostgreSQL.

Django's bulk_create quotes every value client-side and bulk_update builds one CASE per field
and row; for 500-event batches those were most of the time spent. On other databases (SQLite
in embedded mode) both fall back to the ORM.
"""

import json
import time

from django.db import connection


class JsonText(str):
    """A value already serialised as JSON (written as is by COPY, parsed for the ORM fallback)."""


def _is_postgres():
    return connection.vendor == "postgresql"


def copy_rows(model, fields, rows):
    """INSERT rows (tuples of database values, in `fields` order) without returning ids.

    PostgreSQL: one COPY (a unique violation still raises IntegrityError). Elsewhere: bulk_create.
    """
    if not rows:
        return
    concrete = [model._meta.get_field(name) for name in fields]
    if not _is_postgres():
        attnames = [field.attname for field in concrete]
        model.objects.bulk_create(
            [
                model(
                    **{
                        name: json.loads(value) if isinstance(value, JsonText) else value
                        for name, value in zip(attnames, row, strict=True)
                    }
                )
                for row in rows
            ]
        )
        return
    columns = ", ".join(connection.ops.quote_name(field.column) for field in concrete)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    started = time.monotonic()
    # The raw psycopg cursor bypasses Django's error translation: restore it (IntegrityError).
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    if connection.queries_logged:
        # Bypassing the cursor wrapper also hides COPY from query counts; it is one statement.
        connection.queries_log.append(
            {"sql": f"{sql} ({len(rows)} rows)", "time": f"{time.monotonic() - started:.3f}"}
        )


def update_rows(model, objs, fields):
    """UPDATE each object's `fields` by primary key, in one statement on PostgreSQL."""
    if not objs:
        return
    if not _is_postgres():
        model.objects.bulk_update(objs, fields)
        return
    concrete = [model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    columns = [quote(field.column) for field in concrete]
    casts = ", ".join(f"%s::{field.db_type(connection)}[]" for field in [model._meta.pk, *concrete])
    sql = (
        f"UPDATE {table} SET {', '.join(f'{c} = v.{c}' for c in columns)} "
        f"FROM unnest({casts}) AS v({pk}, {', '.join(columns)}) WHERE {table}.{pk} = v.{pk}"
    )
    params = [[obj.pk for obj in objs]] + [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objs]
        for field in concrete
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
