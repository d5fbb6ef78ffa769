"""compare=previous: the same figures for the preceding period of equal length and the change,
on crafted weeks, for campaign metrics, daily stats, the system figures and the overview."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.periods import Period, previous_period
from tests import factories
from tests.analytics.conftest import ist
from voiceagent.models import CallOutcome, CallStatus

pytestmark = pytest.mark.django_db
THIS_WEEK = "from=2025-03-10&to=2025-03-16"


@pytest.fixture(autouse=True)
def prices(settings):
    settings.PRICE_TELEPHONY_PER_MINUTE = Decimal("0.60")
    settings.PRICE_STT_PER_MINUTE = Decimal("0.50")


def week_of_calls(campaign, *, at, made, answered, qualified, seconds):
    """`made` calls, each of its own lead: `answered` answered for `seconds` (the first
    `qualified` of them qualified, the rest not interested), the others unanswered."""
    for number in range(made):
        lead = factories.make_lead(campaign)
        if number < answered:
            outcome = CallOutcome.QUALIFIED if number < qualified else CallOutcome.NOT_INTERESTED
            factories.make_call(lead, initiated_at=at, duration=seconds, outcome=outcome)
        else:
            factories.make_call(
                lead, status=CallStatus.NO_ANSWER, initiated_at=at, outcome=CallOutcome.NO_ANSWER
            )


@pytest.fixture
def two_weeks(team):
    """This week (10–16 Mar 2025): 10 calls, 6 answered for 60 s, 3 qualified. The week
    before (3–9 Mar): 8 calls, 4 answered for 90 s, 1 qualified. 18 valid leads."""
    week_of_calls(team.campaign, at=ist(2025, 3, 12), made=10, answered=6, qualified=3, seconds=60)
    week_of_calls(team.campaign, at=ist(2025, 3, 4), made=8, answered=4, qualified=1, seconds=90)


def test_the_previous_period_is_the_same_number_of_days_just_before():
    week = Period(first=ist(2025, 3, 10).date(), last=ist(2025, 3, 16).date())
    assert previous_period(week) == Period(
        first=ist(2025, 3, 3).date(), last=ist(2025, 3, 9).date()
    )


def test_campaign_metrics_compare_with_the_week_before(team, get_json, two_weeks):
    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics?{THIS_WEEK}&compare=previous")

    # Cost by hand: this week 6 × 1 started minute × ₹0.60 + 360 s × ₹0.50/60 = ₹6.60;
    # the week before 4 × 2 started minutes × ₹0.60 + 360 s × ₹0.50/60 = ₹7.80.
    assert body["previous"] == {
        "calls_made": 8,
        "calls_answered": 4,
        "calls_qualified": 1,
        "calls_not_interested": 3,
        "calls_callback": 0,
        "calls_no_answer": 4,
        "calls_failed": 0,
        "calls_voicemail": 0,
        "answer_rate": 50.0,
        "qualification_rate": 25.0,
        "conversion_rate": 5.56,
        "avg_call_duration": 90.0,
        "total_call_time": 360,
        "cost_inr": 7.8,
        "cost_per_answered_call_inr": 1.95,
        "cost_per_qualified_lead_inr": 7.8,
        "latency": {  # no turns in either week (tests/analytics/test_campaign_latency.py has some)
            field: {"avg": None, "p95": None, "samples": 0}
            for field in ("stt_ms", "llm_ms", "tts_ms")
        },
        "period": {"from": "2025-03-03", "to": "2025-03-09", "label": "3–9 Mar 2025"},
    }
    assert (body["calls_made"], body["cost_inr"], body["conversion_rate"]) == (10, 6.6, 16.67)
    assert body["change"] == {
        "calls_made": 2,
        "calls_answered": 2,
        "calls_qualified": 2,
        "calls_not_interested": 0,
        "calls_callback": 0,
        "calls_no_answer": 0,
        "calls_failed": 0,
        "calls_voicemail": 0,
        "answer_rate": 10.0,
        "qualification_rate": 25.0,
        "conversion_rate": 11.11,
        "avg_call_duration": -30.0,
        "total_call_time": 0,
        "cost_inr": -1.2,
        "cost_per_answered_call_inr": -0.85,
        "cost_per_qualified_lead_inr": -5.6,
        "latency": {
            field: {"avg": None, "p95": None, "samples": 0}
            for field in ("stt_ms", "llm_ms", "tts_ms")
        },
    }


def test_without_compare_there_is_neither_previous_nor_change(team, get_json, two_weeks):
    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics?{THIS_WEEK}")

    assert "previous" not in body and "change" not in body


def test_change_is_null_when_the_previous_period_has_no_calls(team, get_json, two_weeks):
    body = get_json(
        f"/analytics/campaigns/{team.campaign.pk}/metrics?from=2025-03-03&to=2025-03-09"
        "&compare=previous"
    )

    assert body["previous"]["calls_made"] == 0
    assert body["previous"]["cost_per_answered_call_inr"] is None
    assert body["change"] is None


def test_compare_needs_a_period_and_names_itself(team, get_json):
    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics?compare=previous", status=400)
    assert body == {
        "detail": "Invalid input: compare: compare=previous needs a period: give days or from/to.",
        "errors": {"compare": ["compare=previous needs a period: give days or from/to."]},
    }
    body = get_json("/analytics/system?compare=next", status=400)
    assert body["errors"] == {"compare": ['"next" is not a valid choice.']}


@pytest.mark.parametrize(
    ("query", "field", "day"),
    [
        ("from=0001-01-02&to=0001-01-05", "from", "0001-01-02"),
        ("from=2026-01-01&to=9999-12-31", "to", "9999-12-31"),
    ],
)
def test_days_out_of_range_are_a_400_not_a_500(team, get_json, client, query, field, day):
    for path in (f"/analytics/campaigns/{team.campaign.pk}/metrics", "/analytics/daily-stats"):
        body = get_json(f"{path}?{query}&compare=previous", status=400)
        message = f"{field} ({day}) must be between 2000-01-01 and 2999-12-31."
        assert body["errors"] == {field: [message]}
    client.force_login(team.member)
    page = client.get(f"/campaigns/{team.campaign.pk}/?{query}")
    assert page.status_code == 400  # the page still shows the default days, and says why
    assert (
        "Pick days between 2000 and 2999; showing the last 30 days instead."
        in page.content.decode()
    )


def test_daily_stats_compare_the_totals_of_the_two_weeks(team, get_json, two_weeks):
    body = get_json(
        f"/analytics/daily-stats?campaign_id={team.campaign.pk}&{THIS_WEEK}&compare=previous"
    )

    assert body["totals"] == {
        "calls_made": 10,
        "calls_answered": 6,
        "calls_qualified": 3,
        "answer_rate": 60.0,
        "qualification_rate": 50.0,
        "total_call_time": 360,
    }
    assert body["previous"]["totals"] == {
        "calls_made": 8,
        "calls_answered": 4,
        "calls_qualified": 1,
        "answer_rate": 50.0,
        "qualification_rate": 25.0,
        "total_call_time": 360,
    }
    assert [day["calls_made"] for day in body["previous"]["stats"]] == [0, 8, 0, 0, 0, 0, 0]
    assert body["previous"]["period"]["from"] == "2025-03-03"
    assert body["change"] == {
        "calls_made": 2,
        "calls_answered": 2,
        "calls_qualified": 2,
        "answer_rate": 10.0,
        "qualification_rate": 25.0,
        "total_call_time": 0,
    }


def _recent_weeks(campaign):
    """Calls 2 days ago (3 made, 2 answered, 1 qualified) and 40 days ago (4 made, 1 answered,
    1 qualified): inside the last 30 days and inside the 30 before them."""
    now = timezone.now()
    week_of_calls(campaign, at=now - timedelta(days=2), made=3, answered=2, qualified=1, seconds=60)
    week_of_calls(
        campaign, at=now - timedelta(days=40), made=4, answered=1, qualified=1, seconds=60
    )


def test_system_compares_its_30_days_with_the_30_before(team, get_json):
    _recent_weeks(team.campaign)

    body = get_json("/analytics/system?compare=previous")

    assert (body["calls_made"], body["answer_rate"], body["qualification_rate"]) == (3, 66.67, 50.0)
    assert {k: v for k, v in body["previous"].items() if k != "period"} == {
        "calls_made": 4,
        "answer_rate": 25.0,
        "qualification_rate": 100.0,
    }
    assert body["change"] == {"calls_made": -1, "answer_rate": 41.67, "qualification_rate": -50.0}


def test_overview_compares_its_days_with_as_many_before(team, get_json):
    _recent_weeks(team.campaign)

    body = get_json("/dashboard/overview?days=45&compare=previous")

    assert body["totals"]["calls_made"] == 7
    assert body["previous"]["calls_made"] == 0
    assert body["change"] is None

    body = get_json("/dashboard/overview?compare=previous")  # 30 days, as the page

    assert body["totals"] == {
        "calls_made": 3,
        "calls_answered": 2,
        "calls_qualified": 1,
        "answer_rate": 66.67,
        "qualification_rate": 50.0,
        "total_call_time": 120,
    }
    assert body["change"] == {
        "calls_made": -1,
        "calls_answered": 1,
        "calls_qualified": 0,
        "answer_rate": 41.67,
        "qualification_rate": -50.0,
        "total_call_time": 60,
    }
    # The overview's rate cards are the system's 30-day rates: the same numbers.
    assert body["system"]["answer_rate"] == body["totals"]["answer_rate"]


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("/analytics/campaigns/{id}/metrics?days=7&compare=previous", 14),
        ("/analytics/daily-stats?campaign_id={id}&compare=previous", 4),
        ("/analytics/system?compare=previous", 12),
        ("/dashboard/overview?compare=previous", 14),
    ],
)
def test_comparison_runs_a_fixed_number_of_queries(
    team, member_client, two_weeks, url, limit, django_assert_max_num_queries
):
    with django_assert_max_num_queries(limit):
        response = member_client.get(url.format(id=team.campaign.pk))
    assert response.status_code == 200
