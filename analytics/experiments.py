"""Script A/B tests: which script variant qualifies more of the calls it answers, and whether
the difference is more than noise (docs/metrics.md, "Script variants").

Pure functions over counts: the 95% Wilson score interval of a proportion and the two-sided
two-proportion z-test with pooled variance (normal CDF through math.erfc), then the report of
/analytics/campaigns/{id}/variants from the per-variant counts (analytics.selectors.variant_totals).
"""

import math

from analytics.aggregates import rate, rounded
from voiceagent.formats import P_VALUE_PLACES

# z of a two-sided 95% interval: the normal quantile at 0.975.
Z_95 = 1.959963984540054
SIGNIFICANCE_LEVEL = 0.05
# Answered calls each side needs before a difference may be called significant.
MIN_ANSWERED = 100


def wilson_interval(successes, trials, z=Z_95):
    """(low, high) of the Wilson score interval of successes / trials, as fractions 0–1;
    (0.0, 0.0) without trials."""
    if not trials:
        return 0.0, 0.0
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    margin = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    margin /= denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)


def two_proportion_p_value(successes_a, trials_a, successes_b, trials_b):
    """Two-sided p-value of "a and b have the same proportion" (pooled z-test); None without
    trials on a side, 1.0 when the pooled proportion is 0 or 1 (no variance: no evidence)."""
    if not trials_a or not trials_b:
        return None
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    variance = pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b)
    if variance <= 0:
        return 1.0
    z = (successes_a / trials_a - successes_b / trials_b) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2))


def variant_report(rows, *, min_answered=MIN_ANSWERED):
    """The variants document from [{variant, calls_made, calls_answered, calls_qualified}]:
    baseline = most answered calls (ties: the name first in order), every other variant tested
    against it, winner = the significant variant with the highest qualification rate above the
    baseline's, else None. Variants are listed baseline first, then by answered calls."""
    ordered = sorted(rows, key=lambda row: (-row["calls_answered"], row["variant"]))
    baseline = ordered[0] if ordered else None
    variants = []
    for row in ordered:
        answered, qualified = row["calls_answered"], row["calls_qualified"]
        low, high = wilson_interval(qualified, answered)
        entry = {
            **row,
            "answer_rate": rate(answered, row["calls_made"]),
            "qualification_rate": rate(qualified, answered),
            "ci_low": rounded(low * 100),
            "ci_high": rounded(high * 100),
            "p_value": None,
            "significant": False,
        }
        if row is not baseline:
            p_value = two_proportion_p_value(
                qualified, answered, baseline["calls_qualified"], baseline["calls_answered"]
            )
            # Decided on the published value, so a reader never sees "0.05" marked significant.
            p_value = None if p_value is None else round(p_value, P_VALUE_PLACES)
            entry["p_value"] = p_value
            entry["significant"] = (
                p_value is not None
                and p_value < SIGNIFICANCE_LEVEL
                and min(answered, baseline["calls_answered"]) >= min_answered
            )
            entry["_share"] = qualified / answered if answered else 0.0
        variants.append(entry)
    baseline_share = (
        baseline["calls_qualified"] / baseline["calls_answered"]
        if baseline and baseline["calls_answered"]
        else 0.0
    )
    winners = [v for v in variants if v["significant"] and v["_share"] > baseline_share]
    winner = max(winners, key=lambda v: (v["_share"], v["calls_answered"]), default=None)
    for entry in variants:
        entry.pop("_share", None)
    return {
        "metric": "qualification_rate",
        "baseline": baseline["variant"] if baseline else None,
        "variants": variants,
        "winner": winner["variant"] if winner else None,
        "min_answered": min_answered,
    }
