"""Documents and series rows serialised by plain conversions give exactly DRF's representation."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework import serializers

from analytics.serializers import (
    DailyStatSerializer,
    DailyStatsSerializer,
    FunnelStepSerializer,
    HourSlotSerializer,
)
from voiceagent.web.rows import FlatRowsSerializer, PlainRepresentationMixin

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
    from datetime import UTC, datetime

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
