"""voiceagent.ingestion.bulk.read_rows: the rows the ORM would read, with aware UTC datetimes;
read_rows_by_pairs: only the rows of the pairs asked for."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.factories import make_call, make_campaign, make_lead, make_turn
from voiceagent.ingestion.bulk import read_rows, read_rows_by_pairs
from voiceagent.models import CallSession, ConversationTurn

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


def test_read_rows_by_pairs_reads_the_pairs_asked_for_not_every_combination_of_their_values():
    lead = make_lead(make_campaign())
    first, second = make_call(lead, call_sid="P1"), make_call(lead, call_sid="P2")
    for call in (first, second):
        for sequence in (1, 2, 3):
            make_turn(call, sequence, text=f"{call.call_sid}#{sequence}")

    rows = read_rows_by_pairs(
        ConversationTurn, ("call_id", "sequence", "text"), columns=("call", "sequence"),
        pairs=[(first.pk, 1), (second.pk, 1), (second.pk, 3), (second.pk, 4)],
    )  # fmt: skip

    assert sorted(rows) == [(first.pk, 1, "P1#1"), (second.pk, 1, "P2#1"), (second.pk, 3, "P2#3")]
    assert (
        read_rows_by_pairs(ConversationTurn, ("pk",), columns=("call", "sequence"), pairs=[]) == []
    )
