"""The campaign page's "AI latency distribution" from LatencyRollup's "total" rows: each turn's
stt + llm + tts in the chart's buckets, the same in Python (contribution) and SQL (the rebuild and
the data migration; the SQL twin's own test is in test_rollups.py with the others), never read
from the turns themselves, and never mixed into the latency table.
"""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from analytics.models import LatencyRollup
from analytics.page_selectors import latency_distribution
from analytics.periods import Period
from analytics.rollups.contribution import total_latency_bin
from analytics.rollups.rebuild import rebuild_campaign, verify_campaign
from analytics.selectors import latency_histograms
from tests.analytics.conftest import ist
from tests.factories import make_call, make_lead, make_turn
from voiceagent.models import CallStatus

pytestmark = pytest.mark.django_db

WEEK = Period(first=ist(2025, 3, 12).date(), last=ist(2025, 3, 18).date())
fill_migration = importlib.import_module("analytics.migrations.0003_fill_total_latency_histogram")


# edge_turns' "total" rows: {(day, bucket index): turns}.
EDGE_TOTALS = {
    (ist(2025, 3, 12).date(), 0): 2,
    (ist(2025, 3, 12).date(), 1): 1,
    (ist(2025, 3, 12).date(), 4): 1,
    (ist(2025, 3, 12).date(), 5): 1,
    (ist(2025, 3, 11).date(), 1): 1,
}


def _turn(stt_ms, llm_ms, tts_ms):
    return {"stt_ms": stt_ms, "llm_ms": llm_ms, "tts_ms": tts_ms}


@pytest.fixture
def edge_turns(team):
    """This week, one finished call whose turns total 499, 500, 2,999, 3,000 ms, 0 ms (one step
    reported 0) and nothing (no latency at all), some with a step missing; a call of the day
    before the week (11 Mar, 23:50 IST) with a 700 ms turn; never counted: the turns of a call in
    progress, of a canceled call and of another campaign's call."""
    lead = make_lead(team.campaign)
    call = make_call(lead, initiated_at=ist(2025, 3, 12, 11, 0), outcome="qualified")
    for sequence, latencies in enumerate(
        [
            (200, 299, None),
            (None, 500, None),
            (999, 1000, 1000),
            (1000, 1000, 1000),
            (0, None, None),
        ],
        start=1,
    ):
        make_turn(call, sequence, **_turn(*latencies))
    make_turn(call, 6)  # no latency reported: in no bucket
    evening = make_call(lead, initiated_at=ist(2025, 3, 11, 23, 50), outcome="not_interested")
    make_turn(evening, 1, llm_ms=700)
    for status in (CallStatus.IN_PROGRESS, CallStatus.CANCELED):
        other = make_call(lead, status=status, initiated_at=ist(2025, 3, 13), answered=False)
        make_turn(other, 1, stt_ms=100)
    foreign = make_call(make_lead(team.other_campaign), initiated_at=ist(2025, 3, 13))
    make_turn(foreign, 1, stt_ms=100)


def _counts(buckets):
    return [bucket["count"] for bucket in buckets]


def _totals(campaign):
    """{(day, bucket index): turns} of the campaign's "total" rows."""
    rows = LatencyRollup.objects.filter(campaign=campaign, component="total")
    return {
        (day, bin_index): turns for day, bin_index, turns in rows.values_list("day", "bin", "turns")
    }


def test_total_latency_bin_puts_each_edge_in_the_bucket_it_opens():
    turns = [
        _turn(200, 299, None),  # 499 ms
        _turn(200, 300, None),  # 500 ms
        _turn(None, 2999, None),
        _turn(1000, 1000, 1000),  # 3,000 ms
        _turn(0, None, None),  # a reported 0 ms is a turn of 0 ms
        _turn(None, None, None),
    ]

    assert [total_latency_bin(turn) for turn in turns] == [0, 1, 4, 5, 0, None]


def test_the_chart_counts_each_turn_in_the_bucket_of_its_total(team, edge_turns):
    buckets = latency_distribution(campaign=team.campaign, period=WEEK)

    assert buckets == [
        {"label": "0–0.5 s", "count": 2},
        {"label": "0.5–1 s", "count": 1},
        {"label": "1–1.5 s", "count": 0},
        {"label": "1.5–2 s", "count": 0},
        {"label": "2–3 s", "count": 1},
        {"label": "≥ 3 s", "count": 1},
    ]


def test_the_chart_reads_one_rollup_query_and_never_the_turns(
    team, edge_turns, django_assert_num_queries
):
    with django_assert_num_queries(1) as captured:
        buckets = latency_distribution(campaign=team.campaign, period=WEEK)

    sql = captured.captured_queries[0]["sql"]
    assert "analytics_latencyrollup" in sql
    assert "voiceagent_conversationturn" not in sql
    assert "voiceagent_callsession" not in sql
    assert _counts(buckets) == [2, 1, 0, 0, 1, 1]


def test_the_chart_of_all_time_adds_the_day_before_the_week(team, edge_turns):
    buckets = latency_distribution(campaign=team.campaign, period=None)

    assert _counts(buckets) == [2, 2, 0, 0, 1, 1]


def test_a_turn_whose_latency_is_corrected_moves_to_its_new_bucket(team):
    call = make_call(make_lead(team.campaign), initiated_at=ist(2025, 3, 12, 11, 0))
    turn = make_turn(call, 1, stt_ms=400)
    turn.llm_ms = 2700
    turn.save()

    assert _counts(latency_distribution(campaign=team.campaign, period=WEEK)) == [0, 0, 0, 0, 0, 1]


def test_the_rebuild_gives_the_totals_ingestion_kept(team, edge_turns):
    rebuild_campaign(team.campaign.pk)

    assert verify_campaign(team.campaign.pk) == []
    assert _totals(team.campaign) == EDGE_TOTALS
    assert _counts(latency_distribution(campaign=team.campaign, period=WEEK)) == [2, 1, 0, 0, 1, 1]


def test_the_latency_table_leaves_the_totals_out(team, edge_turns):
    histograms = latency_histograms(campaigns=team.campaign, period=WEEK)

    assert set(histograms) == {"stt_ms", "llm_ms", "tts_ms"}
    assert sum(histograms["stt_ms"].values()) == 4  # 200, 999, 1,000 and 0 ms
    assert sum(histograms["llm_ms"].values()) == 4  # 299, 500, 1,000 and 1,000 ms
    assert sum(histograms["tts_ms"].values()) == 2


@pytest.mark.parametrize("path", ["set-based", "turn by turn"])
def test_the_migration_fills_the_totals_contribution_gives(team, edge_turns, path):
    assert _totals(team.campaign) == EDGE_TOTALS  # kept by the ORM saves above
    LatencyRollup.objects.filter(component="total").delete()

    with connection.schema_editor(atomic=False) as editor:
        if path == "set-based":
            fill_migration.fill_total_latency(apps, editor)
            fill_migration.fill_total_latency(apps, editor)  # run twice: counted once
        else:
            fill_migration._fill_turn_by_turn(
                apps.get_model("analytics", "LatencyRollup"),
                apps.get_model("voiceagent", "ConversationTurn"),
            )

    assert _totals(team.campaign) == EDGE_TOTALS
    assert verify_campaign(team.campaign.pk) == []
    assert verify_campaign(team.other_campaign.pk) == []
