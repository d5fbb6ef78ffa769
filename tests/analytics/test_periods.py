"""The period object: one function names the days every figure covers."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from analytics.periods import DEFAULT_PERIOD_DAYS, Period, default_period, describe_period

NOW = datetime(2026, 11, 29, 23, 30, tzinfo=ZoneInfo("Asia/Kolkata"))


@pytest.mark.parametrize(
    "period, label",
    [
        (None, "All time"),
        (Period(date(2026, 11, 29), date(2026, 11, 29)), "Today"),
        (Period(date(2026, 10, 31), date(2026, 11, 29)), "Last 30 days"),
        (Period(date(2026, 11, 1), date(2026, 11, 28)), "1–28 Nov 2026"),
        (Period(date(2026, 11, 3), date(2026, 11, 3)), "3 Nov 2026"),
        (Period(date(2026, 10, 28), date(2026, 11, 3)), "28 Oct – 3 Nov 2026"),
        (Period(date(2025, 12, 28), date(2026, 1, 3)), "28 Dec 2025 – 3 Jan 2026"),
    ],
)
def test_period_labels(period, label):
    assert describe_period(period, now=NOW)["label"] == label


def test_all_time_is_unbounded_on_both_sides():
    assert describe_period(None, now=NOW) == {"from": None, "to": None, "label": "All time"}


def test_the_default_period_is_the_last_30_days_in_the_configured_time_zone():
    # 23:30 in Kolkata is 18:00 UTC: still the 29th there, and the period ends on it.
    assert DEFAULT_PERIOD_DAYS == 30
    assert describe_period(default_period(NOW), now=NOW) == {
        "from": date(2026, 10, 31),
        "to": date(2026, 11, 29),
        "label": "Last 30 days",
    }
