"""voiceagent.ingestion.bulk.read_rows: the rows the ORM would read, with aware UTC datetimes,
across a one-to-one too."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.factories import make_call, make_campaign, make_lead, make_scheduled_call
from voiceagent.ingestion.bulk import read_rows
from voiceagent.models import CallSession, ScheduledCall, ScheduledCallStatus

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
