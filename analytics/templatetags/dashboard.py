"""The dashboard pages' template filters: each one is a rule of `voiceagent.formats`.

`{{ n|indian }}` 12,34,567 · `{{ x|indian:2 }}` · `{{ amount|inr }}` ₹85,00,000 ·
`{{ cost|rupees }}` ₹1,234.50 · `{{ amount|inr_short }}` ₹3.5 Cr · `{{ rate|percent }}` 29.70% ·
`{{ rate|rate_of:calls_made }}` "—" (said "no rate yet") while nothing was counted · `{{ s|duration }}` 2 min 05 s ·
`{{ s|clock }}` 2:05 · `{{ ms|ms }}` 1,234 ms · `{{ code|label }}` Not interested ("—" for
none).
"""

from django import template
from django.utils.html import format_html

from analytics import comparison
from voiceagent import formats

register = template.Library()


@register.filter
def indian(value, decimals=0):
    return formats.indian_number(value, int(decimals))


@register.filter
def inr(value):
    return formats.inr(value)


@register.filter
def rupees(value):
    return formats.rupees(value)


@register.filter
def inr_short(value):
    return formats.budget(value)


@register.filter
def percent(value):
    return formats.percent(value)


@register.filter
def plain_rate_of(value, denominator):
    """`formats.rate` as plain text, for emails: "—" while the denominator is 0."""
    return formats.rate(value, denominator)


@register.filter
def rate_of(value, denominator):
    """`formats.rate`; its "—" of a rate over nothing carries words for screen readers, the same
    markup static/voiceagent/live.js writes when a live update finds the denominator 0."""
    if denominator:
        return formats.rate(value, denominator)
    return format_html(
        '<span aria-hidden="true">{}</span><span class="visually-hidden">{}</span>',
        formats.NONE,
        formats.NO_RATE_WORDS,
    )


@register.filter
def p_value(value):
    return formats.p_value(value)


@register.filter
def duration(value):
    return formats.duration(value)


@register.filter
def ms(value):
    return formats.milliseconds(value)


@register.filter
def clock(value):
    return formats.clock(value)


@register.filter
def label(value):
    return formats.choice_label(value) or formats.NONE


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
        shown = f"{formats.indian_number(amount, 2)} pts"
    elif unit == "₹":
        shown = f"₹{formats.indian_number(amount, 2)}"
    elif unit == "s":
        shown = duration(amount)
    else:
        shown = formats.indian_number(amount)
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
