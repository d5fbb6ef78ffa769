"""Aggregation helpers: glossary filters as conditions, percentiles, and the glossary's rounding."""

import math
from decimal import ROUND_HALF_UP, Decimal


def condition(queryset):
    """The WHERE clause of a QuerySet method (`CallSession.objects.answered()`, ...) as a boolean
    expression for `Count(filter=...)`, so that the glossary is written once, in the QuerySet
    methods of voiceagent/models.py, and every metric is still counted in one pass over the rows.

    Only filters on the model's own columns (or subqueries, `campaign__in=<queryset>`) qualify:
    a join would refer to a table the aggregating query does not have. A subquery leaves the
    trimmed join's alias behind, unused (reference count 0), which is no join.
    """
    query = queryset.query
    tables = [alias for alias in query.alias_map if query.alias_refcount.get(alias)]
    if len(tables) > 1 or query.annotations:
        raise ValueError("condition() needs a filter on the model's own columns (no join).")
    return query.where


def percentile_cont(values, fraction):
    """PostgreSQL's continuous percentile (`percentile_cont(fraction) WITHIN GROUP (ORDER BY
    ...)`) in Python: linear interpolation between the two nearest ranks, the same float
    operations in the same order. None without values (as PostgreSQL returns NULL)."""
    ordered = sorted(value for value in values if value is not None)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def rounded(value, places=2):
    """Half-up rounding to `places` decimals (12.345 → 12.35, where float round() gives 12.34);
    None and empty aggregates become 0.0 (the glossary never answers null for a number)."""
    if value is None:
        return 0.0
    step = Decimal(1).scaleb(-places)
    return float(Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP))


def rate(numerator, denominator):
    """numerator / denominator × 100, rounded to 2 decimals; 0.0 when the denominator is 0."""
    if not denominator:
        return 0.0
    exact = Decimal(numerator or 0) * 100 / Decimal(denominator)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
