"""GET /analytics/campaigns/{id}/variants: per-variant qualification with Wilson intervals and the
pooled two-proportion z-test against the baseline, every number worked out by hand here."""

import math
import re

import pytest

from analytics.experiments import two_proportion_p_value, wilson_interval
from tests import factories
from tests.analytics.conftest import ist
from voiceagent.models import CallOutcome, CallSession, CallStatus

pytestmark = pytest.mark.django_db
Z = 1.959963984540054  # the normal quantile at 0.975


def add_calls(campaign, variant, *, made, answered, qualified, day=10):
    """`made` finished calls of the variant on 10 Mar 2025: `answered` of them answered (the
    first `qualified` of those qualified, the rest not interested), the others unanswered."""
    lead = factories.make_lead(campaign)
    at = ist(2025, 3, day, 11)
    rows = []
    for number in range(made):
        was_answered = number < answered
        outcome = (
            CallOutcome.QUALIFIED
            if number < qualified
            else CallOutcome.NOT_INTERESTED
            if was_answered
            else CallOutcome.NO_ANSWER
        )
        rows.append(
            CallSession(
                call_sid=f"{variant}-{day}-{number}",
                campaign=campaign,
                lead=lead,
                script_variant=variant,
                status=CallStatus.COMPLETED if was_answered else CallStatus.NO_ANSWER,
                outcome=outcome,
                initiated_at=at,
                answered_at=at if was_answered else None,
                ended_at=at,
                duration_seconds=60 if was_answered else 0,
            )
        )
    CallSession.objects.bulk_create(rows)


def hand_wilson(successes, trials):
    share = successes / trials
    centre = share + Z * Z / (2 * trials)
    spread = Z * math.sqrt(share * (1 - share) / trials + Z * Z / (4 * trials**2))
    denominator = 1 + Z * Z / trials
    return (centre - spread) / denominator * 100, (centre + spread) / denominator * 100


def test_a_220_22_vs_b_200_40_names_a_baseline_and_b_winner(team, get_json):
    add_calls(team.campaign, "A", made=300, answered=220, qualified=22)
    add_calls(team.campaign, "B", made=250, answered=200, qualified=40)
    add_calls(team.campaign, "B", made=5, answered=5, qualified=5, day=20)  # outside the period

    body = get_json(
        f"/analytics/campaigns/{team.campaign.pk}/variants?from=2025-03-01&to=2025-03-15"
    )

    # By hand: pooled share 62/420; z = (0.2 - 0.1) / sqrt(p(1-p)(1/200 + 1/220)) = 2.8854;
    # two-sided p = erfc(z / √2) = 0.00391.
    pooled = 62 / 420
    z = (40 / 200 - 22 / 220) / math.sqrt(pooled * (1 - pooled) * (1 / 200 + 1 / 220))
    assert round(z, 4) == 2.8855
    assert round(math.erfc(z / math.sqrt(2)), 4) == 0.0039
    a_low, a_high = hand_wilson(22, 220)
    b_low, b_high = hand_wilson(40, 200)
    assert [round(x, 2) for x in (a_low, a_high, b_low, b_high)] == [6.7, 14.68, 15.05, 26.09]
    assert body == {
        "campaign_id": team.campaign.pk,
        "period": {"from": "2025-03-01", "to": "2025-03-15", "label": "1–15 Mar 2025"},
        "metric": "qualification_rate",
        "baseline": "A",
        "variants": [
            {
                "variant": "A",
                "calls_made": 300,
                "calls_answered": 220,
                "calls_qualified": 22,
                "answer_rate": 73.33,
                "qualification_rate": 10.0,
                "ci_low": 6.7,
                "ci_high": 14.68,
                "p_value": None,
                "significant": False,
            },
            {
                "variant": "B",
                "calls_made": 250,
                "calls_answered": 200,
                "calls_qualified": 40,
                "answer_rate": 80.0,
                "qualification_rate": 20.0,
                "ci_low": 15.05,
                "ci_high": 26.09,
                "p_value": 0.0039,
                "significant": True,
            },
        ],
        "winner": "B",
        "min_answered": 100,
    }


def test_a_variant_under_min_answered_is_never_significant(team, get_json):
    add_calls(team.campaign, "default", made=300, answered=300, qualified=30)
    add_calls(team.campaign, "bold", made=99, answered=99, qualified=60)

    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/variants")

    bold = body["variants"][1]
    # 60/99 against 30/300: overwhelming evidence, yet 99 answered calls are under 100.
    assert two_proportion_p_value(60, 99, 30, 300) < 1e-20
    assert (bold["variant"], bold["p_value"], bold["significant"]) == ("bold", 0.0, False)
    assert (body["baseline"], body["winner"]) == ("default", None)


def test_the_campaign_page_shows_p_values_with_the_apis_four_decimals(team, client):
    add_calls(team.campaign, "default", made=300, answered=300, qualified=30)
    add_calls(team.campaign, "bold", made=99, answered=99, qualified=60)  # p < 1e-20
    add_calls(team.campaign, "plain", made=300, answered=300, qualified=30)  # p = 1.0
    dates = {"from": "2025-03-10", "to": "2025-03-10"}
    client.force_login(team.member)

    html = client.get(f"/campaigns/{team.campaign.pk}/", dates).content.decode()

    shown = dict(re.findall(r'data-variant="([a-z]+)".*?data-field="p_value">([^<]*)<', html))
    assert shown == {"default": "baseline", "bold": "&lt; 0.0001", "plain": "1.0000"}


def test_min_answered_can_be_lowered_and_a_worse_variant_never_wins(team, get_json):
    add_calls(team.campaign, "default", made=300, answered=300, qualified=90)
    add_calls(team.campaign, "cold", made=99, answered=99, qualified=5)

    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/variants?min_answered=50")

    assert [(v["variant"], v["significant"]) for v in body["variants"]] == [
        ("default", False),
        ("cold", True),
    ]
    assert (body["winner"], body["min_answered"]) == (None, 50)


def test_no_calls_no_baseline(team, get_json):
    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/variants?days=7")

    assert (body["baseline"], body["variants"], body["winner"]) == (None, [], None)


def test_another_teams_campaign_is_404_and_a_bad_parameter_400(team, get_json):
    get_json(f"/analytics/campaigns/{team.other_campaign.pk}/variants", status=404)
    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/variants?min_answered=0", status=400)
    assert body["errors"] == {"min_answered": ["Ensure this value is greater than or equal to 1."]}


def test_variants_run_a_fixed_number_of_queries(team, member_client, django_assert_max_num_queries):
    for name in ("a", "b", "c"):
        add_calls(team.campaign, name, made=20, answered=10, qualified=2)
    with django_assert_max_num_queries(6):
        response = member_client.get(f"/analytics/campaigns/{team.campaign.pk}/variants")
    assert len(response.json()["variants"]) == 3


def test_wilson_interval_without_trials_and_p_value_without_variance():
    assert wilson_interval(0, 0) == (0.0, 0.0)
    assert two_proportion_p_value(0, 50, 0, 80) == 1.0
    assert two_proportion_p_value(3, 0, 1, 10) is None


def test_significance_is_decided_on_the_published_p_value():
    from analytics.experiments import variant_report

    rows = [
        {"variant": "default", "calls_made": 400, "calls_answered": 302, "calls_qualified": 59},
        {"variant": "warm-open", "calls_made": 300, "calls_answered": 200, "calls_qualified": 54},
    ]
    # p = 0.04997…: published as 0.05, so not below 0.05 and not significant.
    assert 0.04995 <= two_proportion_p_value(54, 200, 59, 302) < 0.05
    report = variant_report(rows, min_answered=100)
    challenger = report["variants"][1]
    assert (challenger["variant"], challenger["p_value"], challenger["significant"]) == (
        "warm-open",
        0.05,
        False,
    )
    assert report["winner"] is None
