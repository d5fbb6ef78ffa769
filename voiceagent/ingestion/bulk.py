"""Fast bulk writes for ingestion: COPY and UPDATE ... FROM unnest() on PostgreSQL.

Django's bulk_create quotes every value client-side and bulk_update builds one CASE per field
and row; for 500-event batches those were most of the time spent. On other databases (SQLite
in embedded mode) both fall back to the ORM.
"""

import json
import time
from datetime import UTC, datetime

from django.db import connection, models


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


def read_rows(model, fields, *, column, values):
    """Rows (tuples in `fields` order) of `model` whose `column` is one of `values`.

    PostgreSQL: one `= ANY(array)` parameter instead of one per value, and datetimes read as
    UTC text parsed by datetime.fromisoformat: Django's timestamptz loader is pure Python, about
    ten microseconds a value, which made reading a thousand calls cost more than the query.
    Elsewhere: values_list.
    """
    values = list(values)
    if not values:
        return []
    if not _is_postgres():
        return list(
            model.objects.filter(**{f"{column}__in": values}).order_by().values_list(*fields)
        )
    concrete = [model._meta.pk if name == "pk" else model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    times = [isinstance(field, models.DateTimeField) for field in concrete]
    columns = ", ".join(
        f"({quote(field.column)} AT TIME ZONE 'UTC')::text" if is_time else quote(field.column)
        for field, is_time in zip(concrete, times, strict=True)
    )
    where = model._meta.get_field(column)
    array_type = f"{where.db_type(connection)}[]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(where.column)} = ANY(%s::{array_type})",
            [values],
        )
        rows = cursor.fetchall()
    if not any(times):
        return rows
    return [
        tuple(
            datetime.fromisoformat(value).replace(tzinfo=UTC) if is_time and value else value
            for value, is_time in zip(row, times, strict=True)
        )
        for row in rows
    ]
