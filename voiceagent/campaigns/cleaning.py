"""Cleaning of lead values typed by people: phones to E.164, text, budgets, property types.

Shared by the lead import and the leads/DNC API, so a value is accepted or refused the same way
wherever it comes from. Every cleaner returns the clean value or raises `ValueError` whose
message is meant for the person who typed the value.
"""

import re
import unicodedata
from decimal import Decimal, InvalidOperation

import phonenumbers

from voiceagent.models import PropertyType
from voiceagent.web.text_safety import CONTROL_CHARACTERS

DEFAULT_REGION = "IN"
MAX_BUDGET = 2**63 - 1

# OWASP CSV injection: a spreadsheet runs a cell starting with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@")
_NUMBER = re.compile(r"^[+-]?[\d\s,]*\.?\d+$")


def clean_text(value, *, max_length):
    """NFC-normalised text with whitespace collapsed; too long is an error, never cut silently."""
    # The characters the API refuses (text_safety) are dropped from typed and imported values;
    # tabs and newlines become spaces when whitespace is collapsed.
    text = " ".join(CONTROL_CHARACTERS.sub("", unicodedata.normalize("NFC", str(value))).split())
    if len(text) > max_length:
        raise ValueError(f"is {len(text)} characters long; at most {max_length} are allowed.")
    if looks_like_formula(text):
        raise ValueError(
            f"starts with {text[0]!r} like a spreadsheet formula ({text[:30]!r}); "
            "remove the leading character."
        )
    return text


def looks_like_formula(text):
    """A value a spreadsheet would evaluate; a signed number such as "-5" or "+91 98..." is not."""
    if not text or text[0] not in FORMULA_TRIGGERS:
        return False
    return len(text) > 1 and not _NUMBER.match(text)


def normalise_phone(value, *, region=DEFAULT_REGION):
    """E.164 for a phone typed any common Indian way: 98123 45678, 098123-45678, +91 98123 45678."""
    raw = format_cell_number(value) if isinstance(value, (int, float)) else str(value).strip()
    if not raw:
        raise ValueError("is empty.")
    if re.fullmatch(r"[\d.]+[eE]\+?\d+", raw):
        raise ValueError(
            f"{raw!r} was shortened by a spreadsheet to scientific notation; "
            "format the column as text and export again."
        )
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{raw[:40]!r} is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{raw[:40]!r} is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_cell_number(value):
    """A spreadsheet number as its digits: 9812345678.0 → "9812345678"."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Multipliers of an amount's suffix ("45 lakh") and of a budget column's header ("Budget (L)").
BUDGET_UNITS = {
    "k": 1_000,
    "thousand": 1_000,
    "thousands": 1_000,
    "l": 100_000,
    "lac": 100_000,
    "lacs": 100_000,
    "lakh": 100_000,
    "lakhs": 100_000,
    "cr": 10_000_000,
    "crs": 10_000_000,
    "crore": 10_000_000,
    "crores": 10_000_000,
}
_BUDGET = re.compile(r"^(?:rs\.?|inr|₹)?\s*([\d,]*\.?\d+)\s*([a-z]*)\.?$")


def parse_budget(value, *, unit=1):
    """Rupees from 8000000, "80,00,000", "₹80 lakh", "1.2 Cr"; `unit` scales bare numbers."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount.")
    if isinstance(value, (int, float)):
        amount, text = Decimal(str(value)), ""
    else:
        text = " ".join(str(value).lower().split())
        match = _BUDGET.match(text)
        if not match:
            raise ValueError(
                f"{str(value)[:40]!r} is not an amount (e.g. 8000000, 80 lakh, 1.2 Cr)."
            )
        number, suffix = match.groups()
        if suffix and suffix not in BUDGET_UNITS:
            raise ValueError(f"{str(value)[:40]!r} has an unknown unit {suffix!r}.")
        try:
            amount = Decimal(number.replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"{str(value)[:40]!r} is not an amount.") from None
        if suffix:
            unit = BUDGET_UNITS[suffix]
    rupees = amount * unit
    if rupees < 0:
        raise ValueError("cannot be negative.")
    if rupees > MAX_BUDGET:
        raise ValueError("is too large.")
    return int(rupees.to_integral_value())


_PROPERTY_TYPES = {
    PropertyType.APARTMENT: ("apartment", "apartments", "flat", "flats", "apt", "condo"),
    PropertyType.VILLA: ("villa", "villas", "bungalow", "row house", "rowhouse"),
    PropertyType.PLOT: ("plot", "plots", "land", "site", "sites"),
    PropertyType.INDEPENDENT_HOUSE: (
        "independent house",
        "independent_house",
        "independent",
        "house",
        "builder floor",
    ),
    PropertyType.COMMERCIAL: ("commercial", "office", "shop", "retail", "showroom"),
    PropertyType.OTHER: ("other", "others"),
}
PROPERTY_TYPE_SYNONYMS = {
    synonym: choice for choice, synonyms in _PROPERTY_TYPES.items() for synonym in synonyms
}


def parse_property_type(value):
    """One of PropertyType from its value or a common synonym ("flat", "2 BHK" → apartment)."""
    text = " ".join(str(value or "").lower().replace("-", " ").split())
    if not text:
        return ""
    if text in PROPERTY_TYPE_SYNONYMS:
        return PROPERTY_TYPE_SYNONYMS[text]
    if re.fullmatch(r"\d(\.5)?\s*bhk( flat| apartment)?", text):
        return PropertyType.APARTMENT
    allowed = ", ".join(PropertyType.values)
    raise ValueError(f"{str(value)[:40]!r} is not a property type ({allowed}).")
