"""The dashboard pages' template filters: each one is a rule of `voiceagent.formats`.

`{{ n|indian }}` 12,34,567 · `{{ x|indian:2 }}` · `{{ amount|inr }}` ₹85,00,000 ·
`{{ cost|rupees }}` ₹1,234.50 · `{{ amount|inr_short }}` ₹3.5 Cr · `{{ rate|percent }}` 29.70% ·
`{{ rate|rate_of:calls_made }}` "—" while nothing was counted · `{{ s|duration }}` 2 min 05 s ·
`{{ s|clock }}` 2:05 · `{{ code|label }}` Not interested ("—" for none).
"""

from django import template

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
def rate_of(value, denominator):
    return formats.rate(value, denominator)


@register.filter
def duration(value):
    return formats.duration(value)


@register.filter
def clock(value):
    return formats.clock(value)


@register.filter
def label(value):
    return formats.choice_label(value) or formats.NONE
