"""GET /analytics/campaigns/{id}/score-calibration and the campaign page's hot leads: leads by
score decile, how many qualified, and the best-scored leads first."""

import pytest

from tests import factories
from voiceagent.models import CallOutcome, CallStatus, Lead

pytestmark = pytest.mark.django_db


def scored_lead(campaign, score, *, outcome=None, qualification=None, **fields):
    lead = factories.make_lead(campaign, **fields)
    Lead.objects.filter(pk=lead.pk).update(score=score, score_reasons=f"reason of {score}")
    if outcome:
        factories.make_call(lead, outcome=outcome, qualification=qualification or {})
    return lead


def test_each_decile_counts_its_leads_and_those_that_qualified(team, get_json):
    campaign = team.campaign
    scored_lead(campaign, 0)
    scored_lead(campaign, 9, outcome=CallOutcome.NOT_INTERESTED)
    scored_lead(campaign, 10)
    scored_lead(campaign, 95, outcome=CallOutcome.QUALIFIED)
    scored_lead(
        campaign, 100, outcome=CallOutcome.QUALIFIED, qualification={"site_visit_booked": True}
    )
    scored_lead(campaign, 91, outcome=CallOutcome.CALLBACK_REQUESTED)
    scored_lead(team.other_campaign, 99, outcome=CallOutcome.QUALIFIED)

    body = get_json(f"/analytics/campaigns/{campaign.pk}/score-calibration")

    deciles = {row["decile"]: row for row in body["deciles"]}
    assert [row["decile"] for row in body["deciles"]] == list(range(1, 11))
    assert deciles[1] == {
        "decile": 1,
        "score_from": 0,
        "score_to": 9,
        "leads": 2,
        "qualified": 0,
        "site_visits_booked": 0,
        "qualified_rate": 0.0,
    }
    assert deciles[2]["leads"] == 1 and deciles[2]["score_from"] == 10
    # 91, 95 and 100: the top decile holds 100; two of the three qualified.
    assert deciles[10] == {
        "decile": 10,
        "score_from": 90,
        "score_to": 100,
        "leads": 3,
        "qualified": 2,
        "site_visits_booked": 1,
        "qualified_rate": 66.67,
    }
    assert sum(row["leads"] for row in body["deciles"]) == 6


def test_site_visits_are_null_when_no_call_reports_them(team, get_json):
    scored_lead(team.campaign, 50, outcome=CallOutcome.QUALIFIED)

    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/score-calibration")

    assert {row["site_visits_booked"] for row in body["deciles"]} == {None}
    assert body["deciles"][5]["qualified_rate"] == 100.0


def test_calibration_is_one_query_and_another_teams_campaign_is_404(
    team, get_json, member_client, django_assert_max_num_queries
):
    for score in range(0, 100, 7):
        scored_lead(team.campaign, score, outcome=CallOutcome.QUALIFIED)
    get_json(f"/analytics/campaigns/{team.other_campaign.pk}/score-calibration", status=404)
    with django_assert_max_num_queries(4):
        response = member_client.get(f"/analytics/campaigns/{team.campaign.pk}/score-calibration")
    assert sum(row["leads"] for row in response.json()["deciles"]) == 15


def test_api_leads_order_by_score_highest_first(team, get_json):
    low = scored_lead(team.campaign, 12)
    high = scored_lead(team.campaign, 88)
    middle = scored_lead(team.campaign, 40)

    body = get_json(f"/api/leads/?campaign={team.campaign.pk}&ordering=-score")

    assert [(row["id"], row["score"]) for row in body["results"]] == [
        (high.pk, 88),
        (middle.pk, 40),
        (low.pk, 12),
    ]
    assert body["results"][0]["score_reasons"] == "reason of 88"


def test_hot_leads_are_the_ten_best_scores_still_worth_a_call(team, client):
    for score in range(31, 51):
        scored_lead(team.campaign, score, name=f"Lead {score}")
    scored_lead(team.campaign, 99, name="Said no", status="not_interested")
    scored_lead(team.campaign, 98, name="On DNC", is_dnc=True)
    unscored = scored_lead(team.campaign, 0, name="Cold")
    factories.make_call(unscored, status=CallStatus.NO_ANSWER, answered=False)
    client.force_login(team.member)

    response = client.get(f"/campaigns/{team.campaign.pk}/")

    hot = response.context["hot_leads"]
    assert [lead["score"] for lead in hot] == list(range(50, 40, -1))
    assert hot[0]["name"] == "Lead 50" and hot[0]["score_reasons"] == "reason of 50"
    assert b"data-hot-leads" in response.content
