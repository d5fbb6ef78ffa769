"""Cleaners shared by the lead import and the leads API: the same value, the same answer."""

import pytest

from voiceagent.campaigns import cleaning


def test_text_loses_the_characters_the_api_refuses_bidi_marks_included():
    # C0 (ESC), DEL, C1 and a right-to-left override ("Trojan Source"); tab and newline are space.
    raw = "Asha\x1b Rao\x7f\x85\u202e\tThane\nWest"
    assert cleaning.clean_text(raw, max_length=100) == "Asha Rao Thane West"


@pytest.mark.parametrize(
    ("raw", "amount"),
    [("45 lakh", 4_500_000), ("1.2 crs", 12_000_000), ("500 thousands", 500_000), ("₹80k", 80_000)],
)
def test_budget_suffixes(raw, amount):
    assert cleaning.parse_budget(raw) == amount


def test_an_unknown_budget_suffix_is_refused():
    with pytest.raises(ValueError):
        cleaning.parse_budget("5 bananas")
