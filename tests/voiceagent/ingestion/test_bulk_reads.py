"""voiceagent.ingestion.bulk.read_rows and lock_instances: the rows and instances the ORM would
read, with aware UTC datetimes, across a one-to-one or a foreign key too; read_rows_by_pairs_later:
only the rows of the pairs asked for."""

from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from django.db import connection, transaction

from tests.factories import make_call, make_campaign, make_lead, make_scheduled_call, make_turn
from voiceagent.ingestion.bulk import (
    lock_instances,
    lock_instances_later,
    pipelined,
    read_rows,
    read_rows_by_pairs_later,
)
from voiceagent.models import (
    CallSession,
    ConversationTurn,
    Lead,
    ScheduledCall,
    ScheduledCallStatus,
)

pytestmark = pytest.mark.django_db


def test_read_rows_gives_the_values_the_orm_reads_with_microseconds_and_nulls():
    lead = make_lead(make_campaign())
    ist = timezone(timedelta(hours=5, minutes=30))
    first = make_call(
        lead, call_sid="R1", initiated_at=datetime(2025, 1, 15, 23, 59, 59, 120000, ist)
    )
    make_call(lead, call_sid="R2", initiated_at=datetime(2025, 1, 16, 0, 0, tzinfo=ist))
    CallSession.objects.filter(pk=first.pk).update(ended_at=None)

    rows = read_rows(
        CallSession, ("pk", "call_sid", "initiated_at", "ended_at"), column="lead_id",
        values=[lead.pk],
    )  # fmt: skip

    assert sorted(rows, key=lambda row: row[1]) == sorted(
        CallSession.objects.values_list("pk", "call_sid", "initiated_at", "ended_at"),
        key=lambda row: row[1],
    )
    by_sid = {row[1]: row for row in rows}
    assert by_sid["R1"][2] == datetime(2025, 1, 15, 18, 29, 59, 120000, UTC)
    assert by_sid["R1"][2].tzinfo == UTC
    assert by_sid["R1"][3] is None
    assert read_rows(CallSession, ("pk",), column="lead_id", values=[]) == []


def test_read_rows_reads_a_follow_up_across_the_one_to_one_as_the_orm_does_and_none_without():
    lead = make_lead(make_campaign())
    called_back = make_call(lead, call_sid="F1")
    make_call(lead, call_sid="F2")
    make_scheduled_call(
        lead,
        source_call=called_back,
        scheduled_for=datetime(2025, 1, 16, 10, 30, 0, 250000, UTC),
        status=ScheduledCallStatus.DONE,
    )
    fields = ("call_sid", "follow_up__pk", "follow_up__scheduled_for", "follow_up__status")

    rows = read_rows(CallSession, fields, column="lead_id", values=[lead.pk])

    follow_up = ScheduledCall.objects.get()
    assert sorted(rows) == [
        ("F1", follow_up.pk, datetime(2025, 1, 16, 10, 30, 0, 250000, UTC), "done"),
        ("F2", None, None, None),
    ]
    assert sorted(rows) == sorted(CallSession.objects.values_list(*fields))


def field_values(obj):
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_lock_instances_builds_the_instances_the_orm_builds_with_the_related_row_attached():
    ist = timezone(timedelta(hours=5, minutes=30))
    campaign = make_campaign(
        score_weights={"answered": 7}, started_at=datetime(2025, 1, 2, tzinfo=ist)
    )
    second = make_lead(campaign, "Second", last_call_at=datetime(2025, 1, 15, 23, 59, 59, 5, ist))
    first = make_lead(campaign, "First")
    make_lead(campaign, "Not asked for")

    with transaction.atomic():
        leads = lock_instances(
            Lead, column="id", values={second.pk, first.pk}, order_by="id", related="campaign"
        )

    orm = list(
        Lead.objects.select_related("campaign").filter(pk__in=[first.pk, second.pk]).order_by("id")
    )
    assert [lead.name for lead in leads] == ["Second", "First"]  # in id order
    assert [field_values(lead) for lead in leads] == [field_values(lead) for lead in orm]
    assert [field_values(lead.campaign) for lead in leads] == [
        field_values(lead.campaign) for lead in orm
    ]
    assert leads[0].last_call_at == datetime(2025, 1, 15, 18, 29, 59, 5, UTC)
    assert leads[0].last_call_at.tzinfo == UTC
    assert leads[0].campaign.score_weights == {"answered": 7}
    assert (leads[0]._state.adding, leads[0]._state.db) == (False, "default")


def test_lock_instances_builds_each_related_row_once_for_the_rows_naming_it():
    """A batch's leads share a few campaigns: one Campaign instance each, not one per lead."""
    north, south = make_campaign("North"), make_campaign("South")
    leads = [make_lead(north, "A"), make_lead(south, "B"), make_lead(north, "C")]

    with transaction.atomic():
        locked = lock_instances(
            Lead, column="id", values={lead.pk for lead in leads}, order_by="id", related="campaign"
        )

    assert [(lead.name, lead.campaign.name) for lead in locked] == [
        ("A", "North"),
        ("B", "South"),
        ("C", "North"),
    ]
    assert locked[0].campaign is locked[2].campaign
    assert locked[1].campaign is not locked[0].campaign


def test_lock_instances_reads_json_and_null_datetimes_of_calls_as_the_orm_does():
    lead = make_lead(make_campaign())
    make_call(lead, call_sid="L2", qualification={"budget": "80 lakh", "rooms": 2})
    make_call(lead, call_sid="L1", status="no_answer", answered=False, ingest_state={"seen": [1]})

    with transaction.atomic():
        calls = lock_instances(
            CallSession, column="call_sid", values=["L1", "L2", "L9"], order_by="call_sid"
        )

    orm = list(CallSession.objects.order_by("call_sid"))
    assert [field_values(call) for call in calls] == [field_values(call) for call in orm]
    assert [call.call_sid for call in calls] == ["L1", "L2"]
    assert calls[0].answered_at is None and calls[0].ingest_state == {"seen": [1]}
    assert lock_instances(CallSession, column="call_sid", values=[], order_by="call_sid") == []


def test_read_rows_reads_across_a_foreign_key_as_the_orm_does():
    lead = make_lead(make_campaign(), "Priya Sharma", last_call_at=datetime(2025, 1, 2, tzinfo=UTC))
    make_call(lead, call_sid="K1")
    fields = ("call_sid", "lead__name", "lead__last_call_at")

    rows = read_rows(CallSession, fields, column="lead_id", values=[lead.pk])

    assert rows == [("K1", "Priya Sharma", datetime(2025, 1, 2, tzinfo=UTC))]
    assert rows == list(CallSession.objects.values_list(*fields))


def test_read_rows_by_pairs_reads_the_pairs_asked_for_not_every_combination_of_their_values():
    lead = make_lead(make_campaign())
    first, second = make_call(lead, call_sid="P1"), make_call(lead, call_sid="P2")
    for call in (first, second):
        for sequence in (1, 2, 3):
            make_turn(call, sequence, text=f"{call.call_sid}#{sequence}")

    rows = read_rows_by_pairs_later(
        ConversationTurn, ("call_id", "sequence", "text"), columns=("call", "sequence"),
        pairs=[(first.pk, 1), (second.pk, 1), (second.pk, 3), (second.pk, 4)],
    )()  # fmt: skip

    assert sorted(rows) == [(first.pk, 1, "P1#1"), (second.pk, 1, "P2#1"), (second.pk, 3, "P2#3")]
    assert (
        read_rows_by_pairs_later(
            ConversationTurn, ("pk",), columns=("call", "sequence"), pairs=[]
        )()
        == []
    )


def test_read_rows_by_pairs_reads_by_a_column_across_a_relation():
    """Ingestion reads stored turns by call_sid, before the calls' locks are read."""
    lead = make_lead(make_campaign())
    call = make_call(lead, call_sid="P1")
    for sequence in (1, 2):
        make_turn(call, sequence, text=f"P1#{sequence}")

    rows = read_rows_by_pairs_later(
        ConversationTurn, ("call__call_sid", "sequence", "text"),
        columns=("call__call_sid", "sequence"), pairs=[("P1", 2), ("P1", 3), ("P9", 1)],
    )()  # fmt: skip

    assert rows == [("P1", 2, "P1#2")]


@pytest.mark.django_db(transaction=True)
def test_lock_instances_later_locks_two_tables_in_one_pipeline_and_builds_them_after():
    """Ingestion sends its leads' and calls' locks together: both are held once the pipeline
    ends (another transaction cannot take them), and the instances are built when asked for."""
    lead = make_lead(make_campaign("North"), "Asha")
    make_call(lead, call_sid="P1")
    with transaction.atomic():
        with pipelined():
            leads_locked = lock_instances_later(
                Lead, column="id", values=[lead.pk], order_by="id", related="campaign"
            )
            calls_locked = lock_instances_later(
                CallSession, column="call_sid", values=["P1", "P9"], order_by="call_sid"
            )
        assert [(each.name, each.campaign.name) for each in leads_locked()] == [("Asha", "North")]
        assert [call.call_sid for call in calls_locked()] == ["P1"]
        assert lock_instances_later(Lead, column="id", values=[], order_by="id")() == []
        elsewhere = (
            ("SELECT 1 FROM voiceagent_lead WHERE id = %s FOR UPDATE NOWAIT", lead.pk),
            ("SELECT 1 FROM voiceagent_callsession WHERE call_sid = %s FOR UPDATE NOWAIT", "P1"),
        )
        for sql, key in elsewhere:
            with (
                psycopg.connect(_server_dsn(), autocommit=True) as other,
                pytest.raises(psycopg.errors.LockNotAvailable),
            ):
                other.execute(sql, [key])


def _server_dsn():
    settings = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
    )
