"""Moves the rollup tables by the difference of calls' contributions, one upsert per table.

Every writer of calls goes through here: ingestion once per batch in its own transaction
(`apply_calls`), the ORM hooks (tracking) on single saves (`apply_changes`). Keys are written in
sorted order, so two transactions touching the same rows lock them in the same order and never
deadlock; each row is locked only from its upsert to the commit (ingestion writes the rollups
last). A writer holds the shared locks of the campaigns it moves (analytics/rollups/locks.py),
so that a rebuild of one of them waits for it or it waits for the rebuild, and no other
campaign waits: `apply_changes` takes them, ingestion takes them at the start of its
transaction.
"""

from functools import cache

from django.db import connection

from analytics.rollups.contribution import contribution
from analytics.rollups.locks import lock_campaigns_for_writing
from voiceagent.prepared import prepared_cursor


def difference(changes):
    """{Model: {key: {counter: delta}}} of (old, new) contribution pairs, zero deltas dropped."""
    total = {}
    for old, new in changes:
        for sign, side in ((-1, old), (1, new)):
            for model, rows in side.items():
                table = total.setdefault(model, {})
                for key, counters in rows.items():
                    moved = table.get(key)
                    if moved is None:
                        moved = table[key] = {}
                    for counter, amount in counters.items():
                        moved[counter] = moved.get(counter, 0) + sign * amount
    result = {}
    for model, rows in total.items():
        moved = {
            key: {c: amount for c, amount in counters.items() if amount}
            for key, counters in rows.items()
        }
        moved = {key: counters for key, counters in moved.items() if counters}
        if moved:
            result[model] = moved
    return result


def apply_changes(changes):
    """Add new − old of each (old, new) contribution pair to the tables, taking the shared locks
    of the campaigns it moves first (every rollup key starts with the campaign)."""
    moved = difference(changes)
    lock_campaigns_for_writing({key[0] for rows in moved.values() for key in rows})
    upsert_tables(moved)


def apply_calls(pairs):
    """Ingestion's apply_changes, for (old, new) pairs of contribution() arguments (call, turns,
    objections). Takes no lock: ingestion holds its campaigns' shared locks from before it locks
    its leads (locks.py says why)."""
    upsert_tables(
        difference(
            (contribution(*old) if old else {}, contribution(*new) if new else {})
            for old, new in pairs
        )
    )


MAX_PARAMETERS = 30000  # below SQLite's 32,766 and PostgreSQL's 65,535 per statement


def counter_fields(model):
    keys = set(model._meta.pk.field_names)
    return [
        field
        for field in model._meta.concrete_fields
        if field.name not in keys and not field.primary_key
    ]


def upsert(model, rows):
    """Add {key tuple: {counter: delta}} to the model's table."""
    upsert_tables({model: rows})


def upsert_tables(moved):
    """INSERT ... ON CONFLICT (key) DO UPDATE SET counter = counter + excluded.counter for each
    table of {Model: {key tuple: {counter: delta}}}, tables in name order and keys sorted. On
    PostgreSQL all tables go in one statement (data-modifying WITH clauses, one array parameter
    per column), elsewhere one per table and MAX_PARAMETERS values."""
    statements = [
        statement
        for model in sorted(moved, key=lambda model: model._meta.db_table)
        for statement in _upserts(model, moved[model])
    ]
    with prepared_cursor() as cursor:
        if connection.vendor == "postgresql":
            _execute_together(cursor, statements)
        else:
            for sql, params in statements:
                cursor.execute(sql, params)


def _execute_together(cursor, statements):
    if not statements:
        return
    if len(statements) == 1:
        cursor.execute(*statements[0])
        return
    clauses = ", ".join(f"upsert_{index} AS ({sql})" for index, (sql, _) in enumerate(statements))
    cursor.execute(
        f"WITH {clauses} SELECT 1", [value for _, params in statements for value in params]
    )


@cache
def _table(model):
    """(key fields, counter fields, INSERT head, ON CONFLICT clause, PostgreSQL's unnest
    casts) of a rollup table: the same for every batch, built once."""
    key_fields = [model._meta.get_field(name) for name in model._meta.pk.field_names]
    counters = counter_fields(model)
    quote = connection.ops.quote_name
    key_columns = [quote(field.column) for field in key_fields]
    counter_columns = [quote(field.column) for field in counters]
    head = (
        f"INSERT INTO {quote(model._meta.db_table)} AS current "
        f"({', '.join(key_columns + counter_columns)})"
    )
    updates = ", ".join(f"{c} = current.{c} + excluded.{c}" for c in counter_columns)
    conflict = f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET {updates}"
    casts = ", ".join(f"%s::{field.db_type(connection)}[]" for field in [*key_fields, *counters])
    return key_fields, counters, head, conflict, casts


def _int_array(values):
    """Integers (counters, ids) as a PostgreSQL array literal ("{3,-1,0}"): psycopg adapts a list value
    by value in Python, and these were most of adapting a batch's upsert. Anything else stays a
    list for psycopg."""
    if all(type(value) is int for value in values):
        return "{" + ",".join(map(str, values)) + "}"
    return values


def _upserts(model, rows):
    if not rows:
        return
    key_fields, counters, head, conflict, casts = _table(model)
    keys = sorted(rows)
    if connection.vendor == "postgresql":
        # One array per column: a short statement whatever the number of rows.
        # psycopg adapts aware datetimes, ints and strings itself.
        arrays = [_int_array([key[index] for key in keys]) for index in range(len(key_fields))] + [
            _int_array([rows[key].get(field.name, 0) for key in keys]) for field in counters
        ]
        yield f"{head} SELECT * FROM unnest({casts}) {conflict}", arrays
        return
    placeholders = "(" + ", ".join(["%s"] * (len(key_fields) + len(counters))) + ")"
    per_statement = MAX_PARAMETERS // (len(key_fields) + len(counters))
    for start in range(0, len(keys), per_statement):
        chunk = keys[start : start + per_statement]
        params = []
        for key in chunk:
            values = rows[key]
            params.extend(
                field.get_db_prep_save(value, connection)
                for field, value in zip(key_fields, key, strict=True)
            )
            params.extend(values.get(field.name, 0) for field in counters)
        yield f"{head} VALUES {', '.join([placeholders] * len(chunk))} {conflict}", params
