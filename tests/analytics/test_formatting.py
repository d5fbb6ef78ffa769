"""India-formatted numbers, money, percentages and durations of the dashboard pages."""

import pytest

from analytics.templatetags.dashboard import (
    clock,
    duration,
    indian,
    inr,
    inr_short,
    label,
    percent,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0"), (999, "999"), (1000, "1,000"), (100000, "1,00,000"), (123456789, "12,34,56,789"),
     (-1234567, "-12,34,567"), (None, "—"), ("", "—"), ("abc", "—")],
)  # fmt: skip
def test_counts_use_lakh_and_crore_grouping(value, expected):
    assert indian(value) == expected


def test_counts_round_half_up_to_the_asked_decimals():
    assert indian(1234567.255, 2) == "12,34,567.26"


def test_money_in_full_uses_rupees_and_indian_grouping():
    assert inr(8500000) == "₹85,00,000"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12500000, "₹1.25 Cr"), (10000000, "₹1 Cr"), (8500000, "₹85 L"), (4550000, "₹45.5 L"),
     (45000, "₹45,000"), (None, "—")],
)  # fmt: skip
def test_money_in_short_speaks_lakh_and_crore(value, expected):
    assert inr_short(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0.00%"), (0.0, "0.00%"), (50, "50.00%"), (29.7, "29.70%"), (33.33, "33.33%"),
     (66.666, "66.67%"), (100, "100.00%"), (None, "—")],
)  # fmt: skip
def test_percentages_always_show_two_decimals(value, expected):
    assert percent(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0 s"), (45, "45 s"), (125, "2 min 05 s"), (95.5, "1 min 36 s"), (3720, "1 h 02 min"),
     (None, "—")],
)  # fmt: skip
def test_durations_read_as_minutes_and_seconds(value, expected):
    assert duration(value) == expected


def test_clock_ticks_in_minutes_and_hours():
    assert [clock(5), clock(65), clock(3605)] == ["0:05", "1:05", "1:00:05"]


def test_labels_turn_stored_values_into_words():
    assert [label("objection_handling"), label(""), label(None)] == ["Objection handling", "—", "—"]
