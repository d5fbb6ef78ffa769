"""Fast bulk reads and writes for ingestion on PostgreSQL: INSERT/UPDATE from one JSON document,
and reads and row locks by one array parameter, all of which a pipeline sends without waiting.

Django's bulk_create quotes every value client-side and bulk_update builds one CASE per field
and row; for 500-event batches those were most of the time spent. Array parameters (UNNEST)
cost less in SQL but psycopg still adapts them value by value in Python; one JSON document
(`jsonb_to_recordset`) is serialised in C (voiceagent.json_codec). Reads (`read_rows`, and
`lock_instances` for SELECT ... FOR NO KEY UPDATE) take their timestamptz columns as UTC text for
datetime.fromisoformat, Django's loader for them being pure Python. On other databases (SQLite
in embedded mode) all of them fall back to the ORM.
"""

import json
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter

import orjson
from django.db import connection, models

from voiceagent.json_codec import dumps_strict
from voiceagent.prepared import prepared_cursor, started


class JsonText(str):
    """A value already serialised as JSON (written as is by insert_documents, parsed for the ORM
    fallback)."""


def _is_postgres():
    return connection.vendor == "postgresql"


@contextmanager
def pipelined():
    """Statements run inside are sent without waiting for each one's result (PostgreSQL's
    pipeline mode): the server runs one while Python builds the next. They still run in order,
    in the surrounding transaction; reading a statement's rows (read_rows, lock_instances, a
    fetch) waits for every statement sent so far (psycopg reads the results in order), so
    what is read early is sent first; `rowcount` is -1 (unknown), COPY is refused
    (NotSupportedError), and a failure is raised, as Django raises it, at the latest when the
    block ends, on whichever statement is then running. Elsewhere: statements as usual."""
    if not _is_postgres():
        yield
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


def _created(model, fields, rows):
    """The ORM's fallback of the inserts below (SQLite): bulk_create of the rows (tuples of
    database values, in `fields` order), JsonText read back into the value it writes."""
    attnames = [model._meta.get_field(name).attname for name in fields]
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


def insert_values(model, fields, rows):
    """INSERT rows (tuples of database values, in `fields` order) without returning ids, in one
    statement that a pipeline sends without waiting: the rows as one JSON document on
    PostgreSQL. Elsewhere: bulk_create. Nothing is sent for no rows."""
    if not rows:
        return
    if not _is_postgres():
        _created(model, fields, rows)
        return
    concrete = [model._meta.get_field(name) for name in fields]
    with prepared_cursor() as cursor:
        cursor.execute(_insert_sql(model, concrete), [_records(rows, concrete, tuple)])


def insert_documents(model, fields, rows):
    """insert_values for rows whose JSON fields hold JsonText (documents checked already, as
    schema.storable_json checks an event) and whose other values are text, integers, booleans,
    aware datetimes or None: the event log's. The documents go into the statement's document as
    they are, not read and written again, and orjson writes the rest itself (datetimes in RFC
    3339): a fifth of what insert_values takes for a 500-event batch's log. Not for floats:
    orjson writes NaN as null, where dumps_strict refuses it."""
    if not rows:
        return
    if not _is_postgres():
        _created(model, fields, rows)
        return
    concrete = [model._meta.get_field(name) for name in fields]
    columns = [field.column for field in concrete]
    documents = [i for i, field in enumerate(concrete) if isinstance(field, models.JSONField)]
    records = []
    for row in rows:
        values = list(row)
        for index in documents:
            if values[index] is not None:
                values[index] = orjson.Fragment(str.__str__(values[index]))
        records.append(dict(zip(columns, values, strict=True)))
    with prepared_cursor() as cursor:
        cursor.execute(_insert_sql(model, concrete), [orjson.dumps(records).decode()])


def _insert_sql(model, fields):
    """INSERT of `fields` from the JSON document of _records (one parameter)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
        f"SELECT {', '.join(f'v.{quote(field.column)}' for field in fields)} "
        f"FROM {_recordset(fields)}"
    )


def reserve_ids_for_missing_later(model, *, column, values):
    """New primary keys of `model` drawn from its sequence (PostgreSQL), one for each of
    `values` that no row holds in `column` when the statement runs: for rows inserted later in
    the transaction with insert_rows(..., with_ids=True), so that rows referencing them
    (deferred foreign keys) can be written first. The statement is sent now and {value: id}
    read when the function it returns is called: inside pipelined(), with the locks of the
    rows that exist, in the same round trip (a row another transaction stores after the locks
    were taken has no id then). Elsewhere, the function returns None (SQLite: ids come from the
    insert itself)."""
    if not _is_postgres():
        return lambda: None
    values = sorted(values)
    if not values:
        return dict
    quote = connection.ops.quote_name
    table, key = model._meta.db_table, model._meta.get_field(column)
    pending = started(
        f"SELECT wanted.value, nextval(pg_get_serial_sequence(%s, %s)) "
        f"FROM unnest(%s::{key.db_type(connection)}[]) AS wanted (value) "
        f"WHERE NOT EXISTS (SELECT 1 FROM {quote(table)} t "
        f"WHERE t.{quote(key.column)} = wanted.value)",
        [quote(table), model._meta.pk.column, values],
    )
    return lambda: dict(pending.fetchall())


def _json_value(field, value):
    """A model value as the JSON that jsonb_to_recordset reads back as the column's type."""
    if value is None or isinstance(field, models.JSONField):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()  # with its offset and microseconds, for timestamptz
    if isinstance(value, Decimal):
        return str(value)
    return value


def _recordset(fields):
    """`jsonb_to_recordset(%s::jsonb) AS v(col type, ...)` reading `fields` by column name."""
    return _recordset_sql(tuple(fields))


@lru_cache(maxsize=64)
def _recordset_sql(fields):
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(field.column)} {field.db_type(connection)}" for field in fields)
    return f"jsonb_to_recordset(%s::jsonb) AS v({columns})"


def _records(objs, fields, values_of):
    """One JSON array of objects keyed by column, from `values_of(obj)` (the values in `fields`
    order): psycopg builds arrays parameters value by value in Python, orjson in C (a
    500-event batch's call updates: ~15 ms against ~2). Only the values JSON does not carry as
    they are (datetimes, decimals) go through _json_value."""
    columns = [field.column for field in fields]
    converted = [(index, field) for index, field in enumerate(fields) if not _as_is(field)]
    records = []
    for obj in objs:
        values = list(values_of(obj))
        for index, field in converted:
            values[index] = _json_value(field, values[index])
        records.append(dict(zip(columns, values, strict=True)))
    return dumps_strict(records)


def _as_is(field):
    """A field whose values (text, integers, booleans, a JSON document) JSON carries as they are."""
    if isinstance(field, models.ForeignKey):
        return _as_is(field.target_field)
    return isinstance(
        field,
        (models.CharField, models.TextField, models.IntegerField, models.BooleanField,
         models.JSONField),
    )  # fmt: skip


def _getter(fields):
    """The values of `fields` of an object, as a tuple (attrgetter reads them in C)."""
    get = attrgetter(*[field.attname for field in fields])
    return get if len(fields) > 1 else lambda obj: (get(obj),)


def _saved_values(fields):
    """The values bulk_create saves of each object: each field's pre_save (auto_now, ...), read
    directly where pre_save only reads the attribute."""
    get = _getter(fields)
    own = [
        (index, field)
        for index, field in enumerate(fields)
        if type(field).pre_save is not models.Field.pre_save
        and not (
            isinstance(field, models.DateField) and not field.auto_now and not field.auto_now_add
        )
    ]

    def values_of(obj):
        values = list(get(obj))
        for index, field in own:
            values[index] = field.pre_save(obj, True)
        return values

    return values_of


def update_rows(model, objs, fields):
    """UPDATE each object's `fields` by primary key, in one statement on PostgreSQL (the rows
    sent as one JSON document)."""
    if not objs:
        return
    if not _is_postgres():
        model.objects.bulk_update(objs, fields)
        return
    pk = model._meta.pk
    concrete = [model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table, key = quote(model._meta.db_table), quote(pk.column)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in concrete)
    # The keys named again on the table itself: joined only to the recordset (estimated at 100
    # rows whatever it holds), the planner read the whole table (a sequential scan and a hash:
    # every lead, for a batch's few dozen) instead of the rows by key.
    sql = (
        f"UPDATE {table} SET {assignments} FROM {_recordset([pk, *concrete])} "
        f"WHERE {table}.{key} = v.{key} "
        f"AND {table}.{key} = ANY(%s::{pk.db_type(connection)}[])"
    )
    records = _records(objs, [pk, *concrete], _getter([pk, *concrete]))
    with prepared_cursor() as cursor:
        cursor.execute(sql, [records, [obj.pk for obj in objs]])


def insert_rows(model, objs, *, set_ids=True, with_ids=False):
    """INSERT new model instances as bulk_create does (defaults, auto_now) and set their ids
    (unless `set_ids` is false: then nothing is read back, and in a pipeline nothing waits), in
    one statement on PostgreSQL (the rows sent as one JSON document). Elsewhere: bulk_create.
    `with_ids`: the instances have their ids already (reserve_ids_for_missing_later), and are
    inserted with them.

    A unique violation raises IntegrityError, as bulk_create's does."""
    if not objs:
        return
    if not _is_postgres():
        model.objects.bulk_create(objs)
        return
    pk = model._meta.pk
    if with_ids:
        set_ids = False
    fields = [field for field in model._meta.concrete_fields if with_ids or field is not pk]
    sql = _insert_sql(model, fields)
    records = _records(objs, fields, _saved_values(fields))
    if not set_ids:
        with prepared_cursor() as cursor:
            cursor.execute(sql, [records])
        if with_ids:
            for obj in objs:
                obj._state.adding, obj._state.db = False, connection.alias
        return
    # Ids come back in the rows' order, as bulk_create's INSERT ... RETURNING relies on.
    with prepared_cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {connection.ops.quote_name(pk.column)}", [records])
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk_value in zip(objs, ids, strict=True):
        obj.pk = pk_value
        obj._state.adding, obj._state.db = False, connection.alias


def read_rows(model, fields, *, column, values):
    """Rows (tuples in `fields` order) of `model` whose `column` is one of `values`.

    A field may also name one across a relation that gives at most one row, as values_list
    does ("follow_up__status": a forward foreign key or one-to-one, or a reverse one-to-one),
    read by a LEFT JOIN: None where there is no related row.

    PostgreSQL: one `= ANY(array)` parameter instead of one per value, and datetimes read as
    UTC text parsed by datetime.fromisoformat: Django's timestamptz loader is pure Python, about
    ten microseconds a value, which made reading a thousand calls cost more than the query.
    Elsewhere: values_list.
    """
    return read_rows_later(model, fields, column=column, values=values)()


def read_rows_later(model, fields, *, column, values):
    """read_rows, the statement sent now and its rows read when the function it returns is
    called: inside pipelined(), PostgreSQL runs it while Python goes on (elsewhere, or outside
    a pipeline, it is read before this returns)."""
    values = list(values)
    if not values:
        return lambda: []
    if not _is_postgres():
        rows = list(
            model.objects.filter(**{f"{column}__in": values}).order_by().values_list(*fields)
        )
        return lambda: rows
    sql, time_indexes = _read_statement(model, tuple(fields), column)
    pending = started(sql, [values])

    def rows():
        return _with_datetimes(pending.fetchall(), time_indexes)

    return rows


@lru_cache(maxsize=64)
def _read_statement(model, fields, column):
    """(SQL, indexes of its timestamptz columns) of read_rows."""
    quote = connection.ops.quote_name
    joins, columns, time_indexes = {}, [], []
    for index, name in enumerate(fields):
        alias, field = _column_of(model, name, joins)
        column_sql = f"{alias}.{quote(field.column)}"
        if isinstance(field, models.DateTimeField):
            column_sql = _utc_text(column_sql)
            time_indexes.append(index)
        columns.append(column_sql)
    where = model._meta.get_field(column)
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(model._meta.db_table)} t "
        f"{' '.join(joins.values())} "
        f"WHERE t.{quote(where.column)} = ANY(%s::{where.db_type(connection)}[])"
    )
    return sql, time_indexes


def _with_datetimes(rows, time_indexes):
    if not time_indexes:
        return rows
    parsed = []
    for row in rows:
        row = list(row)
        for index in time_indexes:
            if row[index] is not None:
                row[index] = datetime.fromisoformat(row[index])
        parsed.append(tuple(row))
    return parsed


def _utc_text(column_sql):
    """A timestamptz column as ISO text in UTC with its offset ("2025-01-15 18:29:59.12+00:00"),
    whatever the session's time zone: datetime.fromisoformat reads it back as an aware UTC
    datetime (timezone.utc), as the ORM does, in a tenth of a microsecond."""
    return f"(({column_sql} AT TIME ZONE 'UTC')::text || '+00:00')"


def _column_of(model, name, joins):
    """(table alias, field) of a read_rows field name; adds the LEFT JOIN it needs to `joins`."""
    if "__" not in name:
        return "t", model._meta.pk if name == "pk" else model._meta.get_field(name)
    relation_name, name = name.split("__", 1)
    relation = model._meta.get_field(relation_name)
    if relation.auto_created and relation.one_to_one:  # reverse one-to-one
        related = relation.related_model
        on = (relation.field.column, relation.field.target_field.column)
    elif relation.many_to_one or relation.one_to_one:  # forward foreign key or one-to-one
        related, on = relation.related_model, (relation.target_field.column, relation.column)
    else:
        raise ValueError(f"{relation_name} gives more than one row of {model.__name__}")
    if "__" in name:
        raise ValueError(f"read_rows follows one relation, not {relation_name}__{name}")
    quote, alias = connection.ops.quote_name, f"j_{relation_name}"
    joins.setdefault(
        alias,
        f"LEFT JOIN {quote(related._meta.db_table)} {alias} "
        f"ON {alias}.{quote(on[0])} = t.{quote(on[1])}",
    )
    return alias, related._meta.pk if name == "pk" else related._meta.get_field(name)


def lock_instances(model, *, column, values, order_by, related=None):
    """Model instances of the rows whose `column` is one of `values`, locked in `order_by` order
    (SELECT ... FOR NO KEY UPDATE OF the model's table alone), as the ORM's
    `select_for_update(of=("self",), no_key=True)` builds them; `related` names a foreign key
    whose row comes along, unlocked, as with select_related (one instance of each related row,
    shared by the rows naming it).

    FOR NO KEY UPDATE: ingestion writes its leads and calls but never their keys, and FOR UPDATE
    would also block every insert referencing them meanwhile (a foreign-key check takes FOR KEY
    SHARE): a follow-up added in the admin, a rollup rebuild's rows
    (voiceagent/campaigns/locks.py).

    PostgreSQL: one `= ANY(array)` parameter, and datetimes read as read_rows reads them: the
    ORM's timestamptz loader cost more than the rest of locking a batch's leads and calls.
    Elsewhere: the ORM.
    """
    return lock_instances_later(
        model, column=column, values=values, order_by=order_by, related=related
    )()


def lock_instances_later(model, *, column, values, order_by, related=None):
    """lock_instances, the statement sent now and the instances built when the function it
    returns is called: inside pipelined(), the locks of several tables are taken in one round
    trip, in the order they were asked for (elsewhere, or outside a pipeline, the rows are
    read before this returns)."""
    values = list(values)
    if not values:
        return list
    if not _is_postgres():
        locked = model.objects.select_for_update(of=("self",), no_key=True).filter(
            **{f"{column}__in": values}
        )
        objs = list((locked.select_related(related) if related else locked).order_by(order_by))
        return lambda: objs
    quote = connection.ops.quote_name
    parts = [_part(model, "t")]
    join = ""
    if related:
        key = model._meta.get_field(related)
        parts.append(_part(key.related_model, "r", key))
        join = (
            f"{'LEFT ' if key.null else ''}JOIN {quote(key.related_model._meta.db_table)} r "
            f"ON r.{quote(key.target_field.column)} = t.{quote(key.column)}"
        )
    where = model._meta.get_field(column)
    pending = started(
        f"SELECT {', '.join(part.columns for part in parts)} "
        f"FROM {quote(model._meta.db_table)} t {join} "
        f"WHERE t.{quote(where.column)} = ANY(%s::{where.db_type(connection)}[]) "
        f"ORDER BY t.{quote(model._meta.get_field(order_by).column)} FOR NO KEY UPDATE OF t",
        [values],
    )
    return lambda: _built(parts, pending.fetchall())


def _built(parts, rows):
    """Instances of the rows read by lock_instances_later, each related row's instance shared."""
    objs, related_built = [], {}
    for row in rows:
        obj = parts[0].build(row, 0)
        start = parts[0].width
        for part in parts[1:]:
            # One instance per related row: a batch's leads share a few campaigns.
            key = (part.key, row[start + part.pk_index])
            if key not in related_built:
                related_built[key] = part.build(row, start)
            part.key.set_cached_value(obj, related_built[key])
            start += part.width
        objs.append(obj)
    return objs


@lru_cache(maxsize=16)
def _part(model, alias, key=None):
    return _Part(model, alias, key)


class _Part:
    """One model's columns in a lock_instances row: its SELECT list and how to build it."""

    def __init__(self, model, alias, key=None):
        quote = connection.ops.quote_name
        self.model, self.key = model, key
        fields = model._meta.concrete_fields
        self.attnames = [field.attname for field in fields]
        self.width = len(fields)
        self.columns = ", ".join(
            _utc_text(f"{alias}.{quote(field.column)}")
            if isinstance(field, models.DateTimeField)
            else f"{alias}.{quote(field.column)}"
            for field in fields
        )
        # (index, converter) of the values the ORM converts: datetimes from UTC text here,
        # and every field's own from_db_value (a JSONField's json.loads).
        self.conversions = []
        for index, field in enumerate(fields):
            if isinstance(field, models.DateTimeField):
                self.conversions.append((index, _utc_datetime))
            for converter in field.get_db_converters(connection):
                self.conversions.append((index, _field_converter(converter, field.cached_col)))
        self.pk_index = fields.index(model._meta.pk)

    def build(self, row, start):
        values = list(row[start : start + self.width])
        if values[self.pk_index] is None:  # no related row (a LEFT JOIN)
            return None
        for index, convert in self.conversions:
            values[index] = convert(values[index])
        return self.model.from_db(connection.alias, self.attnames, values)


def _utc_datetime(value):
    return datetime.fromisoformat(value) if value is not None else value


def _field_converter(converter, expression):
    return lambda value: converter(value, expression, connection)


def read_rows_by_pairs_later(model, fields, *, columns, pairs):
    """The rows (tuples in `fields` order) of `model` whose two `columns` hold one of `pairs`,
    the statement sent now and its rows read when the function it returns is called: inside
    pipelined(), PostgreSQL runs it while Python goes on (elsewhere, or outside a pipeline,
    it is read before this returns). The second column is a number (a call's turn sequence,
    say); the first may name one across a relation, as `fields` may in read_rows
    ("call__call_sid").

    PostgreSQL: one range of the second column per value of the first (`unnest` of three array
    parameters), then only the pairs asked for: an index range scan per value instead of a probe
    per pair (a batch's turns of one call are consecutive numbers, stored ones mostly below
    them). Elsewhere: values_list on each column's values, then only the pairs asked for.
    """
    pairs = set(pairs)
    if not pairs:
        return list
    if not _is_postgres():
        firsts, seconds = zip(*pairs, strict=True)
        rows = model.objects.filter(
            **{f"{columns[0]}__in": firsts, f"{columns[1]}__in": seconds}
        ).values_list(*columns, *fields)
        found = [row[2:] for row in rows if row[:2] in pairs]
        return lambda: found
    ranges = {}
    for first, second in pairs:
        low, high = ranges.get(first, (second, second))
        ranges[first] = (min(low, second), max(high, second))
    pending = started(
        _pairs_statement(model, tuple(fields), tuple(columns)),
        [list(ranges), *(list(bounds) for bounds in zip(*ranges.values(), strict=True))],
    )
    return lambda: [row[2:] for row in pending.fetchall() if row[:2] in pairs]


@lru_cache(maxsize=16)
def _pairs_statement(model, fields, columns):
    quote = connection.ops.quote_name
    joins = {}
    selected = [_column_of(model, name, joins) for name in (*columns, *fields)]
    (key_alias, key), (number_alias, number) = selected[:2]
    return (
        f"SELECT {', '.join(f'{alias}.{quote(field.column)}' for alias, field in selected)} "
        f"FROM {quote(model._meta.db_table)} t {' '.join(joins.values())} "
        f"JOIN unnest(%s::{key.db_type(connection)}[], %s::{number.db_type(connection)}[], "
        f"%s::{number.db_type(connection)}[]) AS wanted (value, low, high) "
        f"ON {key_alias}.{quote(key.column)} = wanted.value "
        f"AND {number_alias}.{quote(number.column)} BETWEEN wanted.low AND wanted.high"
    )
