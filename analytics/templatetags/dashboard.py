"""Number, money, percentage and duration filters for the dashboard pages, formatted for India.

Indian grouping puts the first comma after the thousands and then every two digits
(12,34,56,789), which is how managers read lakhs and crores; JavaScript renders the same with
`Intl.NumberFormat("en-IN")`, so live updates never change how a number looks.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

from analytics import comparison

register = template.Library()

LAKH = 100_000
CRORE = 10_000_000


def _decimal(value):
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def group_indian(digits):
    """'123456789' → '12,34,56,789': the last three digits, then groups of two."""
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    pairs = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([head, *pairs, tail])


def indian_number(value, decimals=0):
    """A number with Indian digit grouping, rounded half up to `decimals` places; '—' for none."""
    number = _decimal(value)
    if number is None:
        return "—"
    quantum = Decimal(1).scaleb(-decimals)
    number = number.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    whole, _, fraction = f"{abs(number):f}".partition(".")
    text = sign + group_indian(whole)
    return f"{text}.{fraction}" if decimals else text


@register.filter
def indian(value, decimals=0):
    return indian_number(value, int(decimals))


@register.filter
def inr(value):
    """Rupees in full with Indian grouping: 8500000 → ₹85,00,000."""
    text = indian_number(value)
    return text if text == "—" else f"₹{text}"


@register.filter
def inr_short(value):
    """Rupees the way property prices are spoken: ₹1.25 Cr, ₹85 L, ₹45,000."""
    number = _decimal(value)
    if number is None:
        return "—"
    for unit, label in ((CRORE, "Cr"), (LAKH, "L")):
        if abs(number) >= unit:
            scaled = indian_number(number / unit, 2).rstrip("0").rstrip(".")
            return f"₹{scaled} {label}"
    return f"₹{indian_number(number)}"


@register.filter
def percent(value):
    """A 0–100 rate with one or two decimals: 50 → 50.0%, 12.5 → 12.5%, 33.333 → 33.33%."""
    number = _decimal(value)
    if number is None:
        return "—"
    text = indian_number(number, 2)
    if text.endswith("0"):
        text = text[:-1]
    return f"{text}%"


@register.filter
def duration(value):
    """Seconds as a manager reads them: 45 s, 2 min 05 s, 1 h 02 min."""
    number = _decimal(value)
    if number is None:
        return "—"
    seconds = int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


@register.filter
def clock(value):
    """Seconds as a ticking clock, m:ss or h:mm:ss (the live tables tick this in JavaScript)."""
    number = _decimal(value)
    if number is None:
        return "—"
    seconds = max(0, int(number))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@register.filter
def label(value):
    """A stored choice value as words: objection_handling → Objection handling."""
    if not value:
        return "—"
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


@register.simple_tag
def change_badge(change, field, days):
    """▲/▼ and how much a card's figure moved against the previous `days` days, coloured by
    whether that is good (analytics.comparison.LOWER_IS_BETTER); said in words for screen
    readers, never by colour alone. Nothing when there is no comparison (no earlier calls)."""
    value = change.get(field) if change else None
    if value is None:
        return ""
    unit = comparison.unit_of(field)
    amount = abs(value)
    if unit == "pts":
        shown = f"{indian_number(amount, 2)} pts"
    elif unit == "₹":
        shown = f"₹{indian_number(amount, 2)}"
    elif unit == "s":
        shown = duration(amount)
    else:
        shown = indian_number(amount)
    if value == 0:
        return format_html(
            '<span class="change change-flat" data-change="{}">= no change '
            '<span class="change-note">vs previous {} days</span></span>',
            field,
            days,
        )
    up = value > 0
    good = up != (field in comparison.LOWER_IS_BETTER)
    return format_html(
        '<span class="change {}" data-change="{}" title="{} than the previous {} days">'
        '<span aria-hidden="true">{}</span><span class="visually-hidden">{}</span> {} '
        '<span class="change-note">vs previous {} days</span>'
        '<span class="visually-hidden">, {}</span></span>',
        "change-good" if good else "change-bad",
        field,
        "better" if good else "worse",
        days,
        "▲" if up else "▼",
        "up" if up else "down",
        shown,
        days,
        "better" if good else "worse",
    )
