"""Documents and series rows serialised by plain conversions give exactly DRF's representation."""

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from rest_framework import serializers

from analytics.serializers import (
    ConversationSerializer,
    DailyStatSerializer,
    DailyStatsSerializer,
    FunnelStepSerializer,
    HourSlotSerializer,
    LeadActivitySerializer,
)
from voiceagent.web.rows import FlatRowsSerializer, PlainRepresentationMixin, conversions_of

DAY_ROWS = [
    {
        "date": date(2026, 11, 29),
        "calls_made": 12,
        "calls_answered": 7,
        "calls_qualified": 2,
        "answer_rate": Decimal("58.33"),
        "qualification_rate": Decimal("28.57"),
        "avg_call_duration": Decimal("93.5"),
        "total_call_time": 901,
    },
    {
        "date": date(2026, 11, 30),
        "calls_made": 0,
        "calls_answered": 0,
        "calls_qualified": 0,
        "answer_rate": None,
        "qualification_rate": None,
        "avg_call_duration": None,
        "total_call_time": 0,
    },
]


PERIOD = {"from": date(2026, 11, 29), "to": date(2026, 11, 30), "label": "29–30 Nov 2026"}
DAILY_REPORT = {
    "campaign_id": 7,
    "days": 2,
    "timezone": "Asia/Kolkata",
    "from": PERIOD["from"],
    "to": PERIOD["to"],
    "period": PERIOD,
    "stats": DAY_ROWS,
}
TOTALS = {name: value for name, value in DAY_ROWS[0].items() if name != "date"}
COMPARED_REPORT = {
    **DAILY_REPORT,
    "totals": TOTALS,
    "previous": {"period": PERIOD, "stats": DAY_ROWS, "totals": TOTALS},
    "change": None,
}


def drf_document(serializer):
    """What DRF's own Serializer.to_representation gives."""
    return super(PlainRepresentationMixin, serializer).to_representation(serializer.instance)


@pytest.mark.parametrize("report", [DAILY_REPORT, COMPARED_REPORT], ids=["plain", "compared"])
def test_a_daily_document_is_drfs_representation(report):
    serializer = DailyStatsSerializer(report)
    assert serializer.data == drf_document(DailyStatsSerializer(report))
    assert ("previous" in serializer.data, serializer.data["period"]["from"]) == (
        report is COMPARED_REPORT,
        "2026-11-29",
    )


def test_a_document_missing_a_required_key_gets_drfs_error():
    with pytest.raises(KeyError, match="days"):
        _ = DailyStatsSerializer({k: v for k, v in DAILY_REPORT.items() if k != "days"}).data


def drf_representation(serializer_class, rows):
    return serializers.ListSerializer(child=serializer_class()).to_representation(rows)


def test_a_days_rows_are_drfs_representation_field_for_field():
    fast = DailyStatSerializer(many=True).to_representation(DAY_ROWS)
    assert fast == drf_representation(DailyStatSerializer, DAY_ROWS)
    assert fast[0] == {
        "date": "2026-11-29",
        "calls_made": 12,
        "calls_answered": 7,
        "calls_qualified": 2,
        "answer_rate": 58.33,
        "qualification_rate": 28.57,
        "avg_call_duration": 93.5,
        "total_call_time": 901,
    }
    assert fast[1]["answer_rate"] is None


def test_the_plain_conversions_run_instead_of_drfs_field_machinery(monkeypatch):
    _ = DailyStatsSerializer(DAILY_REPORT).data  # the conversions of its classes, worked out once

    def refuse(self, instance):
        raise AssertionError("DRF read a field's attribute")

    monkeypatch.setattr(serializers.Field, "get_attribute", refuse)
    document = DailyStatsSerializer(DAILY_REPORT).data
    assert (document["from"], document["stats"][0]["calls_made"]) == ("2026-11-29", 12)


@pytest.mark.parametrize("serializer_class", [HourSlotSerializer, FunnelStepSerializer])
def test_the_weekly_slots_and_funnel_steps_use_them_too(serializer_class):
    assert isinstance(serializer_class(many=True), FlatRowsSerializer)


class WithChoice(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("a", "A")])
    count = serializers.IntegerField()

    class Meta:
        list_serializer_class = FlatRowsSerializer


def test_a_row_with_another_kind_of_field_is_left_to_drf(monkeypatch):
    ran = []
    original = serializers.ChoiceField.to_representation

    def counted(self, value):
        ran.append(value)
        return original(self, value)

    monkeypatch.setattr(serializers.ChoiceField, "to_representation", counted)
    rows = [{"kind": "a", "count": Decimal("3")}]
    assert WithChoice(many=True).to_representation(rows) == [{"kind": "a", "count": 3}]
    assert ran == ["a"]


class Stamped(PlainRepresentationMixin, serializers.Serializer):
    at = serializers.DateTimeField()
    note = serializers.CharField(required=False)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
def test_a_datetime_is_given_in_the_current_time_zone_as_drf_gives_it(zone, settings):
    from django.utils import timezone

    document = {"at": datetime(2026, 11, 29, 18, 31, 5, tzinfo=UTC)}
    with timezone.override(zone):
        plain = Stamped(document).data
        assert plain == drf_document(Stamped(document))
    assert plain == {
        "at": {"UTC": "2026-11-29T18:31:05Z", "Asia/Kolkata": "2026-11-30T00:01:05+05:30"}[zone]
    }


class WithDisplay(serializers.Serializer):
    """A nested serializer adding to DRF's representation: only DRF gives its output."""

    amount = serializers.IntegerField()

    def to_representation(self, instance):
        return {**super().to_representation(instance), "display": f"₹{instance['amount']}"}


class WithDisplayRows(WithDisplay):
    class Meta:
        list_serializer_class = FlatRowsSerializer


class Costed(PlainRepresentationMixin, serializers.Serializer):
    cost = WithDisplay()
    costs = WithDisplay(many=True)


def test_a_serializer_with_its_own_representation_is_left_to_drf():
    document = {"cost": {"amount": 5}, "costs": [{"amount": 7}]}
    assert Costed(document).data == {
        "cost": {"amount": 5, "display": "₹5"},
        "costs": [{"amount": 7, "display": "₹7"}],
    }
    assert WithDisplayRows(many=True).to_representation([{"amount": 7}]) == [
        {"amount": 7, "display": "₹7"}
    ]


class Called(PlainRepresentationMixin, serializers.Serializer):
    cost = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=False)
    stages = serializers.ListField(child=serializers.CharField())
    collected = serializers.DictField(child=serializers.JSONField())
    sid = serializers.CharField(source="call_sid")


CALLED = {
    "cost": Decimal("12.345"),
    "stages": ["greeting", None],
    "collected": {"budget": "80 lakh", "rooms": [2, 3], "notes": None},
    "call_sid": "CA-1",
}


def test_decimals_lists_dicts_and_another_key_are_plain_and_drfs_representation(monkeypatch):
    _ = Called(CALLED).data

    def refuse(self, instance):
        raise AssertionError("DRF read a field's attribute")

    monkeypatch.setattr(serializers.Field, "get_attribute", refuse)
    document = Called(CALLED).data
    monkeypatch.undo()
    assert document == drf_document(Called(CALLED))
    assert document == {
        "cost": Decimal("12.34"),  # DRF rounds half to even
        "stages": ["greeting", None],
        "collected": {"budget": "80 lakh", "rooms": [2, 3], "notes": None},
        "sid": "CA-1",
    }


class Greeting(serializers.CharField):
    """A representation depending on the context: the name of the request's user."""

    def conversion_for(self, context):
        asked.append(context["user"])
        return lambda value: f"{value}, {context['user']}"

    def to_representation(self, value):
        return self.conversion_for(self.context)(value)


asked = []


class GreetedRow(serializers.Serializer):
    text = Greeting()
    again = Greeting(source="text")

    class Meta:
        list_serializer_class = FlatRowsSerializer


class Greeted(PlainRepresentationMixin, serializers.Serializer):
    first = GreetedRow()
    rows = GreetedRow(many=True)


def test_a_conversion_for_the_context_is_asked_once_per_field_of_a_document():
    document = {"first": {"text": "Hello"}, "rows": [{"text": "Hi"}, {"text": "Hey"}]}
    asked.clear()
    plain = Greeted(document, context={"user": "Asha"}).data
    assert plain == {
        "first": {"text": "Hello, Asha", "again": "Hello, Asha"},
        "rows": [
            {"text": "Hi, Asha", "again": "Hi, Asha"},
            {"text": "Hey, Asha", "again": "Hey, Asha"},
        ],
    }
    assert asked == ["Asha"] * 4
    assert plain == drf_document(Greeted(document, context={"user": "Asha"}))
    assert GreetedRow(many=True, context={"user": "Ravi"}).to_representation([{"text": "Hi"}]) == [
        {"text": "Hi, Ravi", "again": "Hi, Ravi"}
    ]


def viewer(*, staff):
    """A request's user as the phone fields ask about it (staff see phones in full)."""
    user = SimpleNamespace(is_authenticated=True, is_active=True, is_staff=staff)
    user.has_perm = lambda permission: False
    return {"request": SimpleNamespace(user=user)}


LEAD_ROW = {
    "lead_id": 3, "name": "Asha Rao", "phone": "+919812345678", "city": "Pune", "campaign_id": 1,
    "campaign_name": "Powai", "status": "contacted", "is_dnc": False, "call_attempts": 2,
    "last_call_at": None, "last_outcome": "", "call_in_progress": None,
    "next_action": {"reason": "retry", "scheduled_for": datetime(2026, 11, 30, 4, 0, tzinfo=UTC)},
    "score": 40, "score_reasons": "",
}  # fmt: skip


@pytest.mark.parametrize(
    "staff, phone, display",
    [(True, "+919812345678", "+91 98123 45678"), (False, "+91 98XXX XX678", "+91 98XXX XX678")],
)
def test_lead_activity_rows_are_plain_with_phones_as_the_user_may_see_them(staff, phone, display):
    rows = LeadActivitySerializer(many=True, context=viewer(staff=staff))
    assert isinstance(rows, FlatRowsSerializer) and conversions_of(rows.child) is not None
    plain = rows.to_representation([LEAD_ROW])
    assert plain == drf_representation_in(LeadActivitySerializer, [LEAD_ROW], viewer(staff=staff))
    assert (plain[0]["phone"], plain[0]["phone_display"]) == (phone, display)
    assert plain[0]["next_action"] == {
        "reason": "retry",
        "scheduled_for": "2026-11-30T09:30:00+05:30",
    }


def drf_representation_in(serializer_class, rows, context):
    return serializers.ListSerializer(child=serializer_class(), context=context).to_representation(
        rows
    )


def test_a_conversation_is_plain_with_the_leads_phone_as_the_user_may_see_it():
    turn = {
        "sequence": 1, "speaker": "lead", "text": "Hello", "stage": "greeting",
        "started_at": datetime(2026, 11, 30, 4, 0, tzinfo=UTC), "stt_ms": 210, "llm_ms": None,
        "tts_ms": 90, "llm_input_tokens": None, "llm_output_tokens": None, "tts_characters": 5,
    }  # fmt: skip
    latency = {"avg": 210.0, "p95": 210.0, "samples": 1}
    conversation = {
        "call_sid": "CA-1", "campaign_id": 1, "campaign_name": "Powai",
        "lead": {"id": 3, "name": "Asha Rao", "phone": "+919812345678", "city": "Pune"},
        "attempt_number": 1, "status": "completed", "outcome": "qualified", "ended_by": "lead",
        "initiated_at": turn["started_at"], "answered_at": None, "ended_at": None,
        "duration_seconds": 60, "current_stage": "greeting", "recording_url": "", "error": "",
        "errors": [], "cost_inr": Decimal("1.5"), "exchanges": 1, "stages_reached": ["greeting"],
        "objections": [], "qualification": {"budget": "80 lakh"},
        "latency": {"stt_ms": latency, "llm_ms": latency, "tts_ms": latency},
        "transcript": [turn],
    }  # fmt: skip
    assert conversions_of(ConversationSerializer()) is not None
    for staff, phone in [(True, "+919812345678"), (False, "+91 98XXX XX678")]:
        serializer = ConversationSerializer(conversation, context=viewer(staff=staff))
        assert serializer.data == drf_document(serializer)
        assert (serializer.data["lead"]["phone"], serializer.data["cost_inr"]) == (
            phone,
            Decimal("1.50"),
        )
