"""Every index of our tables earns its writes: a row's insert, and an update of an indexed column,
writes each index of its table, so none repeats the leading columns of another (which serves
the same reads)."""

import pytest
from django.apps import apps
from django.db import connection

from voiceagent.models import CallSession

OUR_APPS = ("voiceagent", "analytics", "notifications", "reports", "exports")

# Pairs (index, another index of its table) where the first one's key columns, with their
# operator classes and orders, are the leading key columns of the second: the first serves no
# read the second does not.
COVERED = """
    SELECT t.relname, covered.relname, covering.relname
      FROM pg_index x
      JOIN pg_class covered ON covered.oid = x.indexrelid
      JOIN pg_class t ON t.oid = x.indrelid
      JOIN pg_index y ON y.indrelid = x.indrelid AND y.indexrelid <> x.indexrelid
      JOIN pg_class covering ON covering.oid = y.indexrelid
     WHERE t.relname = ANY(%s)
       AND NOT x.indisunique AND x.indpred IS NULL AND x.indexprs IS NULL
       AND y.indpred IS NULL AND y.indexprs IS NULL
       AND covered.relam = covering.relam AND x.indnkeyatts <= y.indnkeyatts
       AND (SELECT bool_and(x.indkey[k] = y.indkey[k] AND x.indclass[k] = y.indclass[k]
                            AND x.indoption[k] = y.indoption[k])
              FROM generate_series(0, x.indnkeyatts - 1) AS k)
     ORDER BY 1, 2, 3
"""


def _our_tables():
    """The tables of our apps' models (not the join tables Django makes for a many-to-many)."""
    return sorted(
        model._meta.db_table
        for name in OUR_APPS
        for model in apps.get_app_config(name).get_models()
        if model._meta.managed and not model._meta.proxy
    )


@pytest.mark.django_db
def test_no_index_of_ours_repeats_the_leading_columns_of_another():
    tables = _our_tables()
    assert {"voiceagent_callsession", "analytics_callrollup"} <= set(tables)
    with connection.cursor() as cursor:
        cursor.execute(COVERED, [tables])
        assert cursor.fetchall() == []


@pytest.mark.django_db
def test_a_call_sid_has_one_index_unique_and_none_for_like():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexdef LIKE '%%(call_sid%%' ORDER BY 1",
            [CallSession._meta.db_table],
        )
        assert cursor.fetchall() == [
            (
                "call_sid_unique",
                "CREATE UNIQUE INDEX call_sid_unique ON public.voiceagent_callsession "
                "USING btree (call_sid)",
            )
        ]
