"""voiceagent.ingestion.bulk insert_rows and update_rows: the rows the ORM would have written."""

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import make_call, make_campaign, make_lead
from voiceagent.ingestion.bulk import insert_rows, update_rows
from voiceagent.models import CallSession, Lead

pytestmark = pytest.mark.django_db

IST = timezone(timedelta(hours=5, minutes=30))


def test_insert_rows_stores_every_field_and_sets_the_ids_in_order(django_assert_num_queries):
    lead = make_lead(make_campaign())
    calls = [
        CallSession(
            call_sid=f"W{n}",
            campaign_id=lead.campaign_id,
            lead_id=lead.pk,
            attempt_number=n,
            status="completed",
            initiated_at=datetime(2025, 1, 15, 23, 59, 59, 120000 + n, IST),
            qualification={"budget": "80 lakh", "note": "मेरा बजट", "rooms": 2, "loan": None},
            stage_first_reached={"greeting": "2025-01-15T18:30:09.000000+00:00"},
            error='quote " and \\ backslash',
        )
        for n in (1, 2, 3)
    ]

    with django_assert_num_queries(1):
        insert_rows(CallSession, calls)

    stored = {call.pk: call for call in CallSession.objects.all()}
    assert [stored[call.pk].call_sid for call in calls] == ["W1", "W2", "W3"]
    assert all(not call._state.adding for call in calls)
    first = stored[calls[0].pk]
    assert first.initiated_at == datetime(2025, 1, 15, 18, 29, 59, 120001, UTC)
    assert first.ended_at is None and first.duration_seconds is None
    assert first.qualification == {"budget": "80 lakh", "note": "मेरा बजट", "rooms": 2, "loan": None}
    assert first.error == 'quote " and \\ backslash'
    assert first.updated_at == calls[0].updated_at  # auto_now, set as bulk_create sets it


def test_update_rows_writes_the_fields_named_and_only_those(django_assert_num_queries):
    lead = make_lead(make_campaign())
    started = datetime(2025, 1, 15, 23, 59, 0, tzinfo=IST)
    first = make_call(lead, call_sid="U1", initiated_at=started)
    second = make_call(lead, call_sid="U2", initiated_at=started)
    first.status, first.duration_seconds = "completed", 61
    first.ended_at = datetime(2025, 1, 16, 0, 0, 0, 5, IST)
    first.qualification = {"purpose": "buy"}
    second.status, second.ended_at, second.duration_seconds = "no_answer", None, None
    second.qualification = {}
    second.error = "not written"

    with django_assert_num_queries(1):
        update_rows(
            CallSession,
            [first, second],
            ["status", "ended_at", "duration_seconds", "qualification"],
        )

    assert dict(CallSession.objects.values_list("call_sid", "status")) == {
        "U1": "completed",
        "U2": "no_answer",
    }
    stored = {call.call_sid: call for call in CallSession.objects.all()}
    assert stored["U1"].ended_at == datetime(2025, 1, 15, 18, 30, 0, 5, UTC)  # 61 s after start
    assert (stored["U1"].duration_seconds, stored["U1"].qualification) == (61, {"purpose": "buy"})
    assert (stored["U2"].ended_at, stored["U2"].duration_seconds) == (None, None)
    assert (stored["U2"].qualification, stored["U2"].error) == ({}, "")


def test_update_rows_reaches_its_rows_by_key_instead_of_reading_the_whole_table():
    campaign = make_campaign()
    leads = Lead.objects.bulk_create(
        Lead(campaign=campaign, name=f"Lead {n}", phone=f"+9198{n:08d}") for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE voiceagent_lead")
    for lead in leads[:3]:
        lead.status = "contacted"

    with CaptureQueriesContext(connection) as captured:
        update_rows(Lead, leads[:3], ["status"])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {captured[0]['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Seq Scan on voiceagent_lead" not in plan
    assert Lead.objects.filter(status="contacted").count() == 3


def test_insert_rows_without_ids_writes_the_rows_and_reads_nothing_back():
    lead = make_lead(make_campaign())
    calls = [
        CallSession(
            call_sid=f"N{n}", campaign_id=lead.campaign_id, lead_id=lead.pk, status="queued"
        )
        for n in range(3)
    ]

    with CaptureQueriesContext(connection) as captured:
        insert_rows(CallSession, calls, set_ids=False)

    assert [call.pk for call in calls] == [None, None, None]
    assert "RETURNING" not in captured.captured_queries[0]["sql"]
    assert sorted(CallSession.objects.values_list("call_sid", flat=True)) == ["N0", "N1", "N2"]


def test_rows_referencing_calls_go_first_and_the_calls_follow_with_their_drawn_ids():
    """reserve_ids_for_missing_later draws ids from the calls' sequence for the call_sids no
    call holds; turns naming them are inserted first (a deferred foreign key), the calls after
    them with those ids, all in one pipeline that waits for nothing but the ids; the sequence
    goes on after the drawn ids."""
    from django.db import transaction

    from voiceagent.ingestion.bulk import insert_values, pipelined, reserve_ids_for_missing_later
    from voiceagent.models import ConversationTurn

    lead = make_lead(make_campaign())
    make_call(lead, call_sid="R-stored")
    calls = [
        CallSession(call_sid=f"R{n}", campaign_id=lead.campaign_id, lead_id=lead.pk)
        for n in range(2)
    ]
    started = datetime(2025, 1, 15, 23, 59, 59, 5, IST)

    with transaction.atomic():
        with pipelined():
            drawn = reserve_ids_for_missing_later(
                CallSession, column="call_sid", values=["R1", "R-stored", "R0"]
            )
            drawn_ids = drawn()
        assert sorted(drawn_ids) == ["R0", "R1"]  # none for the stored call_sid
        ids = [drawn_ids["R0"], drawn_ids["R1"]]
        for call, pk in zip(calls, ids, strict=True):
            call.pk = pk
        with CaptureQueriesContext(connection) as captured, pipelined():
            insert_values(
                ConversationTurn,
                ["call", "sequence", "speaker", "text", "stage", "started_at", "stt_ms"],
                [
                    (calls[1].pk, 1, "agent", 'नमस्ते, "Asha"?', "greeting", started, None),
                    (calls[0].pk, 1, "lead", "Hello", "greeting", started, 210),
                ],
            )
            insert_rows(CallSession, calls, with_ids=True)

    assert [q["sql"].split(" (")[0] for q in captured.captured_queries] == [
        'INSERT INTO "voiceagent_conversationturn"',
        'INSERT INTO "voiceagent_callsession"',
    ]
    assert ids[1] > ids[0]
    assert all(not call._state.adding for call in calls)
    assert sorted(
        CallSession.objects.exclude(call_sid="R-stored").values_list("pk", "call_sid")
    ) == [
        (ids[0], "R0"),
        (ids[1], "R1"),
    ]
    assert sorted(
        ConversationTurn.objects.values_list("call__call_sid", "text", "started_at", "stt_ms")
    ) == [
        ("R0", "Hello", datetime(2025, 1, 15, 18, 29, 59, 5, UTC), 210),
        ("R1", 'नमस्ते, "Asha"?', datetime(2025, 1, 15, 18, 29, 59, 5, UTC), None),
    ]
    later = CallSession.objects.create(call_sid="R2", campaign_id=lead.campaign_id, lead=lead)
    assert later.pk > ids[1]


def test_pipelined_statements_run_in_order_in_the_transaction():
    from django.db import transaction

    from voiceagent.ingestion.bulk import pipelined

    lead = make_lead(make_campaign(), "Asha Rao")
    with transaction.atomic(), pipelined():
        Lead.objects.filter(pk=lead.pk).update(call_attempts=1)
        Lead.objects.filter(pk=lead.pk, call_attempts=1).update(call_attempts=2)
        # A read waits for the statements before it.
        seen = Lead.objects.get(pk=lead.pk).call_attempts

    assert seen == 2
    assert Lead.objects.get(pk=lead.pk).call_attempts == 2


def test_a_pipelined_statement_failing_raises_djangos_error_and_stores_nothing():
    from django.db import IntegrityError, transaction

    from voiceagent.ingestion.bulk import pipelined

    lead = make_lead(make_campaign(), "Asha Rao")
    with pytest.raises(IntegrityError), transaction.atomic(), pipelined():
        Lead.objects.filter(pk=lead.pk).update(name="Changed")
        Lead.objects.filter(pk=lead.pk).update(call_attempts=-1)  # a CHECK constraint
        Lead.objects.filter(pk=lead.pk).update(city="Pune")

    lead.refresh_from_db()
    assert (lead.name, lead.call_attempts, lead.city) == ("Asha Rao", 0, "")


def test_an_exception_inside_a_pipeline_is_the_one_raised():
    from django.db import transaction

    from voiceagent.ingestion.bulk import pipelined

    lead = make_lead(make_campaign(), "Asha Rao")
    with pytest.raises(ZeroDivisionError), transaction.atomic(), pipelined():
        Lead.objects.filter(pk=lead.pk).update(name="Changed")
        1 / 0  # noqa: B018

    assert Lead.objects.get(pk=lead.pk).name == "Asha Rao"


@pytest.mark.django_db(transaction=True)
def test_the_logs_rows_are_stored_while_the_iterator_still_makes_them():
    """Inside the pipeline, each LOG_ROWS_PER_STATEMENT rows go to the server as soon as they
    are made: another transaction holding one of the first rows' event_ids makes the first
    statement wait while the iterator is still making later rows."""
    import psycopg

    from voiceagent.ingestion.bulk import JsonText, pipelined
    from voiceagent.ingestion.services import LOG_ROWS_PER_STATEMENT, _insert_log_rows
    from voiceagent.models import CallEvent

    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other = psycopg.connect(**connection.get_connection_params())
    other.execute(
        "INSERT INTO voiceagent_callevent (event_id, type, call_sid, occurred_at, payload, "
        "source, received_at) VALUES ('S-0050', 'call.queued', 'S', now(), '{}', 'api', now())"
    )
    waited = []

    def rows():
        for number in range(3 * LOG_ROWS_PER_STATEMENT):
            if number == 2 * LOG_ROWS_PER_STATEMENT:
                # The first statement waits for the other transaction's S-0050 only if sent.
                for _ in range(50):
                    # The view is read once per transaction unless its snapshot is cleared.
                    other.execute("SELECT pg_stat_clear_snapshot()")
                    waiting = other.execute(
                        "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
                        [pid],
                    ).fetchone()[0]
                    if waiting:
                        break
                    time.sleep(0.1)
                waited.append(waiting)
                other.rollback()
            yield (f"S-{number:04}", "call.queued", "S", at, JsonText("{}"), "api", at)

    try:
        with transaction.atomic(), pipelined():
            _insert_log_rows(rows())
    finally:
        other.rollback()
        other.close()

    assert waited == [True]
    assert CallEvent.objects.filter(event_id__startswith="S-").count() == 300


def test_insert_documents_writes_json_text_as_it_is_and_datetimes_as_instants():
    from voiceagent.ingestion.bulk import JsonText, insert_documents
    from voiceagent.ingestion.services import LOG_FIELDS
    from voiceagent.models import CallEvent

    at = datetime(2025, 1, 15, 23, 59, 59, 5, IST)
    payload = '{"text": "नमस्ते \\\\ \\"Asha\\"", "stt_ms": null, "nested": {"n": [1, 2.5]}}'
    insert_documents(
        CallEvent, LOG_FIELDS, [("D-1", "call.turn", "D", at, JsonText(payload), "api", at)]
    )

    row = CallEvent.objects.values_list("event_id", "occurred_at", "payload", "received_at").get()
    assert row == (
        "D-1",
        datetime(2025, 1, 15, 18, 29, 59, 5, UTC),
        {"text": 'नमस्ते \\ "Asha"', "stt_ms": None, "nested": {"n": [1, 2.5]}},
        datetime(2025, 1, 15, 18, 29, 59, 5, UTC),
    )
