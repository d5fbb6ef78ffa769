"""The glossary's rounding, the percentile and its SQLite fallback, and glossary conditions."""

import random

import pytest
from django.db import connection
from django.db.models import Count

from analytics.aggregates import condition, percentile_cont, rate, rounded
from analytics.rollups.contribution import LATENCY_FIELDS
from analytics.selectors import latency_figure, latency_summary
from tests.factories import make_call, make_lead, make_turn
from voiceagent.models import CallSession, ConversationTurn, Lead


@pytest.mark.parametrize(
    "numerator, denominator, expected",
    [(1, 3, 33.33), (2, 3, 66.67), (1, 8, 12.5), (1, 32, 3.13), (0, 5, 0.0), (5, 0, 0.0),
     (0, 0, 0.0), (7, 7, 100.0)],
)  # fmt: skip
def test_rate_is_a_percentage_rounded_half_up_and_zero_without_denominator(
    numerator, denominator, expected
):
    assert rate(numerator, denominator) == expected


def test_rounded_goes_half_up_and_turns_none_into_zero():
    assert (rounded(12.345), rounded(2.675), rounded(None), rounded(7)) == (12.35, 2.68, 0.0, 7.0)


def test_python_percentile_interpolates_between_ranks():
    assert percentile_cont([100, 200, 300, 400], 0.95) == pytest.approx(385.0)
    assert percentile_cont([None, 42], 0.95) == 42
    assert percentile_cont([], 0.95) is None
    assert percentile_cont([1, 2, 3], 0.5) == 2


@pytest.mark.django_db
def test_a_conversations_latency_is_what_postgresql_aggregates_over_its_turns(team):
    call = make_call(make_lead(team.campaign))
    rng = random.Random(5)
    for sequence in range(1, 58):
        make_turn(call, sequence, stt_ms=rng.randint(50, 900),
                  llm_ms=rng.choice([None, rng.randint(200, 3000)]), tts_ms=None)  # fmt: skip
    turns = list(ConversationTurn.objects.filter(call=call).values(*LATENCY_FIELDS))

    summary = latency_summary(turns=turns)

    with connection.cursor() as cursor:
        for field in LATENCY_FIELDS:
            cursor.execute(
                f"SELECT avg({field}), percentile_cont(0.95) WITHIN GROUP (ORDER BY {field}), "
                f"count({field}) FROM voiceagent_conversationturn WHERE call_id = %s",
                [call.pk],
            )
            average, p95, samples = cursor.fetchone()
            assert summary[field] == latency_figure(average=average, p95=p95, samples=samples)
    assert summary["tts_ms"] == {"avg": None, "p95": None, "samples": 0}
    assert summary["stt_ms"]["samples"] == 57


@pytest.mark.django_db
def test_a_glossary_condition_counts_what_its_queryset_method_selects(team):
    lead = make_lead(team.campaign)
    make_call(lead, outcome="qualified")
    make_call(lead, outcome="voicemail")
    make_call(lead, status="canceled")
    make_call(lead, status="busy", outcome="no_answer")

    counted = CallSession.objects.aggregate(
        answered=Count("pk", filter=condition(CallSession.objects.answered())),
        finished=Count("pk", filter=condition(CallSession.objects.finished())),
    )

    assert counted == {
        "answered": CallSession.objects.answered().count(),
        "finished": CallSession.objects.finished().count(),
    }
    assert counted == {"answered": 1, "finished": 3}


def test_a_condition_with_a_join_is_refused():
    with pytest.raises(ValueError, match="no join"):
        condition(Lead.objects.filter(campaign__name="Powai launch"))
