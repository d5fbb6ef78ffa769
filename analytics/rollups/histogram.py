"""Log-spaced latency bins with a bounded relative error, mergeable by adding counts.

Bin 0 holds 0 ms; bin b ≥ 1 holds (GAMMA^(b-2), GAMMA^(b-1)] ms and stands for
2·GAMMA^(b-1)/(GAMMA+1), which is within RELATIVE_ERROR of every value in the bin (DDSketch's
mapping). A percentile read from the bins is within RELATIVE_ERROR of the exact percentile.
The bin rule exists twice, bin_of() in Python and bin_sql() in PostgreSQL (for the set-based
rebuild); both compute in double precision, and tests/analytics/test_rollups.py asserts they agree.
"""

import math
from functools import lru_cache

RELATIVE_ERROR = 0.02
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(GAMMA)
_ROUNDING = 1e-9  # an exact power of GAMMA stays in its own bin despite log's rounding


@lru_cache(maxsize=8192)  # latencies repeat: a log per turn and field costs more than a lookup
def bin_of(milliseconds):
    """The bin of a latency; bin_sql() is the same rule in PostgreSQL."""
    if milliseconds <= 0:
        return 0
    return 1 + max(0, math.ceil(math.log(milliseconds) / _LOG_GAMMA - _ROUNDING))


def bin_sql(milliseconds):
    """bin_of() in PostgreSQL of the integer SQL expression `milliseconds`, in the same double
    precision steps (the constants are written as float8 strings, read back exactly)."""
    return (
        f"CASE WHEN {milliseconds} <= 0 THEN 0 ELSE 1 + greatest(0, ceil("
        f"ln({milliseconds}::float8) / '{_LOG_GAMMA!r}'::float8 - '{_ROUNDING!r}'::float8"
        f"))::integer END"
    )


def value_of(bin_index):
    """The value a bin stands for."""
    if bin_index <= 0:
        return 0.0
    return 2 * GAMMA ** (bin_index - 1) / (GAMMA + 1)


def percentile(counts, fraction):
    """Percentile of a histogram {bin: count} with PostgreSQL percentile_cont's interpolation
    between the two nearest ranks; None when empty."""
    total = sum(counts.values())
    if not total:
        return None
    position = fraction * (total - 1)
    lower, upper = math.floor(position), math.ceil(position)
    values, seen = {}, 0
    for bin_index in sorted(counts):
        count = counts[bin_index]
        for rank in (lower, upper):
            if seen <= rank < seen + count:
                values[rank] = value_of(bin_index)
        seen += count
    return values[lower] + (values[upper] - values[lower]) * (position - lower)
