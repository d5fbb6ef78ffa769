"""Series rows serialised by plain conversions give exactly DRF's representation."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework import serializers

from analytics.serializers import DailyStatSerializer, FunnelStepSerializer, HourSlotSerializer
from voiceagent.web.rows import FlatRowsSerializer

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


def test_the_plain_conversions_run_instead_of_the_fields(monkeypatch):
    def refuse(self, value):
        raise AssertionError("a field's own representation ran")

    monkeypatch.setattr(serializers.IntegerField, "to_representation", refuse)
    monkeypatch.setattr(serializers.FloatField, "to_representation", refuse)
    assert DailyStatSerializer(many=True).to_representation(DAY_ROWS)[0]["calls_made"] == 12


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
