"""A campaign's AI latency (campaign metrics' `latency`, the summary and the campaign page): exact
averages from the rollups' sums, the 95th percentile from their histograms, on crafted turns.

The expected p95 figures are histogram values (analytics/rollups/histogram.py), worked out once
and written down: 2,000 ms lies in a bin that stands for 1,960.22 ms, 600 ms in one that stands
for 590.31 ms, 5,000 ms in one that stands for 4,919.36 ms, all within 2% of the turn itself.
"""

import pytest

from analytics.rollups import histogram
from tests.analytics.conftest import ist
from tests.factories import make_call, make_lead, make_turn
from voiceagent.models import CallStatus

pytestmark = pytest.mark.django_db

THIS_WEEK = "from=2025-03-12&to=2025-03-18"
NOTHING = {"avg": None, "p95": None, "samples": 0}
STT_OF_THE_WEEK = list(range(100, 2200, 100))  # 21 turns: 100, 200, ... 2,100 ms


@pytest.fixture
def turns(team):
    """This week (12–18 Mar 2025): one finished call with 21 turns, stt_ms 100 … 2,100, llm_ms
    600 on the first 10 of them, tts_ms never reported. The evening before the week (11 Mar,
    23:50 IST) a finished call with one turn of stt_ms 5,000. Never counted: the turns of a call
    still in progress, of a canceled call and of another campaign's call."""
    lead = make_lead(team.campaign)
    call = make_call(lead, initiated_at=ist(2025, 3, 12, 11, 0), outcome="qualified")
    for sequence, stt_ms in enumerate(STT_OF_THE_WEEK, start=1):
        make_turn(call, sequence, stt_ms=stt_ms, llm_ms=600 if sequence <= 10 else None)
    evening = make_call(lead, initiated_at=ist(2025, 3, 11, 23, 50), outcome="not_interested")
    make_turn(evening, 1, stt_ms=5000)
    for status in (CallStatus.IN_PROGRESS, CallStatus.CANCELED):
        other = make_call(lead, status=status, initiated_at=ist(2025, 3, 13), answered=False)
        make_turn(other, 1, stt_ms=9000, llm_ms=9000, tts_ms=9000)
    foreign = make_call(make_lead(team.other_campaign), initiated_at=ist(2025, 3, 13))
    make_turn(foreign, 1, stt_ms=9000, llm_ms=9000, tts_ms=9000)


def test_a_week_reads_exact_averages_and_the_histograms_p95(team, get_json, turns):
    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics?{THIS_WEEK}")

    # stt: mean of 100 … 2,100 = 1,100 ms; p95 at rank 0.95 × 20 = 19 (0-based), the turn of
    # 2,000 ms, read as its bin's value. llm: ten turns of 600 ms.
    assert body["latency"] == {
        "stt_ms": {"avg": 1100.0, "p95": 1960.22, "samples": 21},
        "llm_ms": {"avg": 600.0, "p95": 590.31, "samples": 10},
        "tts_ms": NOTHING,
    }
    assert body["latency"]["stt_ms"]["p95"] == round(histogram.value_of(histogram.bin_of(2000)), 2)


def test_all_time_adds_the_evening_before_and_interpolates_as_percentile_cont(
    team, get_json, turns
):
    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics")

    # 22 stt turns: mean 28,100 / 22 = 1,277.27 ms; p95 at rank 0.95 × 21 = 19.95, between the
    # turns of 2,000 and 2,100 ms (bins of 1,960.22 and 2,123.50 ms): 1,960.22 + 0.95 × 163.28.
    # The exact percentile_cont of the turns is 2,095 ms (2,115.34 is 0.97% above it).
    assert body["latency"] == {
        "stt_ms": {"avg": 1277.27, "p95": 2115.34, "samples": 22},
        "llm_ms": {"avg": 600.0, "p95": 590.31, "samples": 10},
        "tts_ms": NOTHING,
    }


def test_a_period_without_turns_has_no_average_and_no_percentile(team, get_json, turns):
    body = get_json(
        f"/analytics/campaigns/{team.campaign.pk}/metrics?from=2025-03-01&to=2025-03-10"
    )

    assert body["latency"] == {"stt_ms": NOTHING, "llm_ms": NOTHING, "tts_ms": NOTHING}


def test_a_day_ends_at_midnight_in_the_configured_time_zone(team, get_json, turns):
    """The turn of 23:50 IST on 11 Mar is 18:20 UTC: it belongs to 11 Mar, not the 12th."""
    day = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics?from=2025-03-11&to=2025-03-11")

    assert day["latency"]["stt_ms"] == {"avg": 5000.0, "p95": 4919.36, "samples": 1}
    assert day["latency"]["llm_ms"] == NOTHING


def test_compare_previous_gives_the_week_before_and_the_change(team, get_json, turns):
    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics?{THIS_WEEK}&compare=previous")

    assert body["previous"]["latency"] == {
        "stt_ms": {"avg": 5000.0, "p95": 4919.36, "samples": 1},
        "llm_ms": NOTHING,
        "tts_ms": NOTHING,
    }
    # Differences of the rounded figures; nothing to compare with is a null change.
    assert body["change"]["latency"] == {
        "stt_ms": {"avg": -3900.0, "p95": -2959.14, "samples": 20},
        "llm_ms": {"avg": None, "p95": None, "samples": 10},
        "tts_ms": {"avg": None, "p95": None, "samples": 0},
    }


def test_the_summary_carries_the_same_latency_as_the_metrics(team, get_json):
    call = make_call(make_lead(team.campaign))  # an hour ago: today
    make_turn(call, 1, stt_ms=250, llm_ms=700, tts_ms=150)
    make_turn(call, 2, stt_ms=350, llm_ms=900, tts_ms=None)

    summary = get_json(f"/dashboard/campaigns/{team.campaign.pk}/summary?days=7")
    metrics = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics?days=7")

    # Two turns: p95 at rank 0.95, 95% of the way from the lower turn's bin to the upper's.
    assert summary["metrics"]["latency"] == {
        "stt_ms": {"avg": 300.0, "p95": 346.12, "samples": 2},
        "llm_ms": {"avg": 800.0, "p95": 905.44, "samples": 2},
        "tts_ms": {"avg": 150.0, "p95": 151.48, "samples": 1},
    }
    assert metrics["latency"] == summary["metrics"]["latency"]


def test_a_late_latency_moves_the_figures(team, get_json):
    """A turn whose latency is corrected after the call ended moves its share of the sums and
    of the histogram (the rollups follow the turn), never counting it twice."""
    call = make_call(make_lead(team.campaign), initiated_at=ist(2025, 3, 12, 11, 0))
    turn = make_turn(call, 1, stt_ms=400)
    make_turn(call, 2, stt_ms=600)
    turn.stt_ms = 800
    turn.save()

    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics?{THIS_WEEK}")

    # p95 between 600 and 800 ms (bins of 590.31 and 812.97 ms), 95% of the way up.
    assert body["latency"]["stt_ms"] == {"avg": 700.0, "p95": 801.84, "samples": 2}


def test_the_latency_chart_counts_the_finished_calls_turns_only(team, turns):
    from analytics.page_selectors import latency_distribution
    from analytics.periods import Period

    week = Period(first=ist(2025, 3, 12).date(), last=ist(2025, 3, 18).date())
    buckets = latency_distribution(campaign=team.campaign, period=week)

    # The week's finished call: 21 turns of 700 … 2,700 ms in total (stt + 600 llm on the first
    # ten), none of 3 s or more; the live and canceled calls' 27,000 ms turns are left out.
    assert sum(bucket["count"] for bucket in buckets) == 21
    assert buckets[-1] == {"label": "≥ 3 s", "count": 0}
