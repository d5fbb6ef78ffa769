"""GET /analytics/campaigns/{id}/funnel: leads → dialed → answered → stages → qualified."""

import pytest

from tests.analytics.conftest import ist
from tests.factories import make_call, make_lead
from voiceagent.models import CallStatus

pytestmark = pytest.mark.django_db


def reached(*stages):
    return {stage: ist(2025, 3, 10, 11, index).isoformat() for index, stage in enumerate(stages)}


def test_counts_distinct_leads_at_each_step(team, get_json):
    leads = [make_lead(team.campaign) for _ in range(6)]
    make_lead(team.campaign, is_dnc=True)  # not a valid lead: not in the funnel
    # Lead 0: two calls; the second reaches closing (skipping objection handling) and qualifies.
    make_call(leads[0], status=CallStatus.NO_ANSWER, outcome="no_answer")
    make_call(
        leads[0],
        outcome="qualified",
        stage_first_reached=reached("greeting", "discovery", "qualification", "closing"),
    )
    make_call(
        leads[1],
        outcome="not_interested",
        stage_first_reached=reached("greeting", "discovery", "objection_handling"),
    )
    make_call(leads[2], outcome="not_interested", stage_first_reached=reached("greeting"))
    # A machine heard the greeting: dialed, not answered, no stage.
    make_call(leads[3], outcome="voicemail", stage_first_reached=reached("greeting"))
    make_call(leads[4], status=CallStatus.CANCELED)  # canceled: not dialed
    # leads[5] is never called.

    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/funnel")

    def step(name, label, count, step_rate, overall_rate):
        return {"step": name, "label": label, "count": count, "step_rate": step_rate,
                "overall_rate": overall_rate}  # fmt: skip

    assert body == {
        "campaign_id": team.campaign.pk,
        "from": None,
        "to": None,
        "period": {"from": None, "to": None, "label": "All time"},
        "steps": [
            step("leads", "Valid leads", 6, 100.0, 100.0),
            step("dialed", "Dialed", 4, 66.67, 66.67),
            step("answered", "Answered", 3, 75.0, 50.0),
            step("greeting", "Reached greeting", 3, 100.0, 50.0),
            step("discovery", "Reached discovery", 2, 66.67, 33.33),
            step("qualification", "Reached qualification", 2, 100.0, 33.33),
            step("objection_handling", "Reached objection handling", 2, 100.0, 33.33),
            step("closing", "Reached closing", 1, 50.0, 16.67),
            step("qualified", "Qualified", 1, 100.0, 16.67),
        ],
    }


def test_an_empty_campaign_has_zero_rates(team, get_json):
    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/funnel?days=30")

    assert [(s["count"], s["step_rate"], s["overall_rate"]) for s in body["steps"]] == [
        (0, 0.0, 0.0)
    ] * 9


def test_a_non_member_gets_404(team, get_json):
    assert get_json(f"/analytics/campaigns/{team.other_campaign.pk}/funnel", status=404) == {
        "detail": "No campaign with that id."
    }
