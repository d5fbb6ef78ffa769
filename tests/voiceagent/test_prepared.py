"""voiceagent.prepared: ingestion's statements prepared once per connection, on PostgreSQL."""

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import make_campaign, make_lead
from voiceagent.ingestion.bulk import pipelined, update_rows
from voiceagent.models import Lead
from voiceagent.prepared import prepared_cursor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def persistent_connection(monkeypatch):
    """Statements are prepared on persistent connections only (the test run's close after
    each request)."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)


STATEMENT = "SELECT name FROM voiceagent_lead WHERE id = ANY(%s::bigint[]) ORDER BY id"


def prepared_statements():
    """The statements prepared on this connection, as PostgreSQL lists them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_is_prepared_once_and_runs_by_name_after():
    campaign = make_campaign()
    leads = [make_lead(campaign, name) for name in ("Asha Rao", "Vikram Shah")]

    rows = []
    for lead in leads:
        with prepared_cursor() as cursor:
            cursor.execute(STATEMENT, [[lead.pk]])
            rows.append(cursor.fetchall())

    assert rows == [[("Asha Rao",)], [("Vikram Shah",)]]
    # Server-side binding: the one text with $1, prepared once for both runs.
    assert [s for s in prepared_statements() if "voiceagent_lead" in s] == [
        "SELECT name FROM voiceagent_lead WHERE id = ANY($1::bigint[]) ORDER BY id"
    ]


def test_the_query_log_shows_the_statement_with_its_values_as_djangos_does():
    lead = make_lead(make_campaign(), "Asha Rao")

    with CaptureQueriesContext(connection) as captured, prepared_cursor() as cursor:
        cursor.execute("SELECT id FROM voiceagent_lead WHERE name = %s", ["Asha Rao"])
        assert cursor.fetchall() == [(lead.pk,)]

    assert [q["sql"] for q in captured.captured_queries] == [
        "SELECT id FROM voiceagent_lead WHERE name = 'Asha Rao'"
    ]


@pytest.mark.parametrize("why", ["turned off", "connections closed after each request"])
def test_statements_go_through_djangos_cursor_unprepared(why, settings, monkeypatch):
    if why == "turned off":
        settings.DATABASE_PREPARED_STATEMENTS = False
    else:  # preparing would cost a round trip and save nothing
        monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    lead = make_lead(make_campaign(), "Asha Rao")

    with prepared_cursor() as cursor:
        cursor.execute(STATEMENT, [[lead.pk]])
        assert cursor.fetchall() == [("Asha Rao",)]

    assert not [s for s in prepared_statements() if "voiceagent_lead" in s]


def test_a_failing_prepared_statement_raises_djangos_error():
    lead = make_lead(make_campaign(), "Asha Rao")

    with pytest.raises(IntegrityError), transaction.atomic():
        update_rows(Lead, [Lead(pk=lead.pk, call_attempts=-1)], ["call_attempts"])  # a CHECK

    lead.refresh_from_db()
    assert lead.call_attempts == 0


def test_prepared_statements_run_in_a_pipeline_in_order():
    lead = make_lead(make_campaign(), "Asha Rao")

    with transaction.atomic(), pipelined():
        update_rows(Lead, [Lead(pk=lead.pk, call_attempts=1)], ["call_attempts"])
        update_rows(Lead, [Lead(pk=lead.pk, city="Pune")], ["city"])
        with prepared_cursor() as cursor:
            cursor.execute(
                "SELECT call_attempts, city FROM voiceagent_lead WHERE id = %s", [lead.pk]
            )
            seen = cursor.fetchone()

    assert seen == (1, "Pune")
    updates = {s for s in prepared_statements() if s.startswith('UPDATE "voiceagent_lead"')}
    assert {s.split(" FROM ")[0] for s in updates} == {
        'UPDATE "voiceagent_lead" SET "call_attempts" = v."call_attempts"',
        'UPDATE "voiceagent_lead" SET "city" = v."city"',
    }


def test_fixed_statements_run_prepared_on_the_connection_they_are_given():
    from voiceagent import fixed_statements

    lead = make_lead(make_campaign(), "Asha Rao")
    sql = "SELECT id, name FROM voiceagent_lead WHERE id = %s"

    rows = fixed_statements.fetch("default", sql, [lead.pk], [None, Lead._meta.get_field("name")])

    assert rows == [[lead.pk, "Asha Rao"]]
    assert "SELECT id, name FROM voiceagent_lead WHERE id = $1" in prepared_statements()


def test_djangos_own_statements_are_not_kept_for_counting_between_prepared_ones():
    lead = make_lead(make_campaign(), "Asha Rao")
    with prepared_cursor() as cursor:
        cursor.execute(STATEMENT, [[lead.pk]])

    Lead.objects.filter(pk=lead.pk).update(city="Pune")  # Django's cursor, values in its text

    assert connection.connection.prepare_threshold is None  # as Django left it
    assert not [key for key in connection.connection._prepared._counts if b"Pune" in key[0]]


def test_prepared_statements_are_counted_in_the_database_metrics():
    from django_prometheus.db.metrics import execute_total

    lead = make_lead(make_campaign(), "Asha Rao")
    counter = execute_total.labels(alias="default", vendor="postgresql")
    before = counter._value.get()

    with prepared_cursor() as cursor:
        cursor.execute(STATEMENT, [[lead.pk]])
        cursor.execute(STATEMENT, [[lead.pk]])

    assert counter._value.get() - before == 2


def test_the_ingest_permission_is_checked_by_a_prepared_statement():
    """The calling agent's every batch asks it (voiceagent.access.can_ingest)."""
    from tests.factories import make_ingest_user
    from voiceagent.access import can_ingest

    agent, other = make_ingest_user("agent"), make_ingest_user("other")
    other.groups.clear()

    assert (can_ingest(agent), can_ingest(other)) == (True, False)
    assert len([s for s in prepared_statements() if '"auth_permission"' in s]) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("conn_max_age", "inside"), [(600, "force_generic_plan"), (0, "auto")])
def test_generic_plans_are_asked_for_until_the_transaction_ends(conn_max_age, inside, monkeypatch):
    """plan_generically: prepared statements' generic plans from their first run, for the
    transaction only (a page's statements keep theirs), where the connection prepares."""
    from voiceagent.prepared import plan_generically

    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", conn_max_age)

    def mode():
        with connection.cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            return cursor.fetchone()[0]

    with transaction.atomic():
        plan_generically()
        during = mode()

    assert (during, mode()) == (inside, "auto")


def test_a_pooled_connection_keeps_what_it_prepared_from_one_request_to_the_next(monkeypatch):
    """With Django's pool (DB_POOL_SIZE), a connection goes back to the pool at the end of a
    request, and the next request's statement runs by the name the first one prepared."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    options = {**connection.settings_dict["OPTIONS"], "pool": {"min_size": 1, "max_size": 1}}
    pooled = connections["default"].__class__(
        {**connection.settings_dict, "CONN_MAX_AGE": 0, "OPTIONS": options}, alias="pooled"
    )
    connections["pooled"] = pooled
    try:
        seen = []
        for value in (1, 2):
            with prepared_cursor(using="pooled") as cursor:
                cursor.execute("SELECT %s::int + 40", [value])
                answer = cursor.fetchone()[0]
            with pooled.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_backend_pid(), array_agg(statement) FROM pg_prepared_statements "
                    "WHERE NOT from_sql"
                )
                pid, statements = cursor.fetchone()
            seen.append((answer, pid, statements))
            pooled.close()  # back to the pool, as at the end of a request
    finally:
        pooled.close_pool()
        del connections["pooled"]

    (first, first_pid, first_prepared), (second, second_pid, second_prepared) = seen
    assert (first, second) == (41, 42)
    assert second_pid == first_pid  # the one pooled connection, not a new one
    assert first_prepared == second_prepared == ["SELECT $1::int + 40"]
