"""The strict JSON codec: orjson's speed, the standard library's rules at the edges."""

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pytest

from voiceagent.json_codec import dumps_strict, loads_strict


@dataclass
class Point:
    x: int
    y: int


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"a": [1, 2.5, "x", true, null]}', {"a": [1, 2.5, "x", True, None]}),
        # Past 64 bits orjson reads a float; the exact integer is kept.
        (b"[123456789012345678901234567890]", [123456789012345678901234567890]),
        (b'{"budget": 18446744073709551616}', {"budget": 18446744073709551616}),
        # Read, so that validation can name the field that holds them.
        (b'["\\ud800"]', ["\ud800"]),
        (b'{"a": 1, "a": 2}', {"a": 2}),
    ],
)
def test_reads_what_the_standard_library_reads(raw, expected):
    value = loads_strict(raw)
    assert value == expected
    assert [type(item) for item in _leaves(value)] == [type(item) for item in _leaves(expected)]


def test_reads_an_overflowing_number_as_the_standard_library_does_for_validation_to_refuse():
    assert loads_strict(b"[1e999]") == [math.inf]


@pytest.mark.parametrize("raw", [b"[NaN]", b"[Infinity]", b'{"a": -Infinity}', b"[1,", b""])
def test_refuses_what_is_not_json(raw):
    with pytest.raises(ValueError):
        loads_strict(raw)


def test_refuses_nesting_past_the_standard_librarys_depth():
    with pytest.raises(RecursionError):
        loads_strict(b"[" * 5000 + b"]" * 5000)


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1, "b": None, "c": "₹ 50 lakh", "d": [True, False, 0.1]},
        {"budget": 2**70, "note": None},
        {"nested": [[[None]]], "t": ("tuple", None)},
    ],
)
def test_writes_json_that_reads_back_as_the_value(value):
    assert json.loads(dumps_strict(value)) == json.loads(json.dumps(value))


def test_writes_text_not_ascii_escapes():
    assert dumps_strict({"city": "Pune ₹"}) in ('{"city":"Pune ₹"}', '{"city": "Pune ₹"}')


@pytest.mark.parametrize(
    "value",
    [
        {"a": math.nan},
        {"a": None, "b": math.inf},  # orjson would write both as null
        [None, -math.inf],
    ],
)
def test_refuses_numbers_json_has_no_words_for(value):
    with pytest.raises(ValueError):
        dumps_strict(value)


def _leaves(value):
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


@pytest.mark.parametrize(
    "value",
    [
        datetime(2025, 1, 15, 11, 0, tzinfo=UTC),
        date(2025, 1, 15),
        time(11, 0),
        Point(1, 2),
    ],
    ids=["datetime", "date", "time", "dataclass"],
)
def test_refuses_values_json_has_no_type_for_as_the_standard_encoder_does(value):
    with pytest.raises(TypeError):
        dumps_strict({"note": value})


def test_reads_text_with_the_standard_library():
    """A body in another charset, decoded to text: lone surrogates are read, for validation to
    name their field, as from bytes."""
    assert loads_strict('{"a": "\\ud800", "b": 12345678901234567890123}') == {
        "a": "\ud800",
        "b": 12345678901234567890123,
    }
    with pytest.raises(ValueError):
        loads_strict("[NaN]")
