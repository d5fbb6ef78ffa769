"""GET /analytics/campaigns/{id}/objections: counts by category, share that still qualified."""

import pytest

from tests.analytics.conftest import ist
from tests.factories import make_call, make_lead, make_objection
from voiceagent.models import CallStatus

pytestmark = pytest.mark.django_db


def category(name, label, objections=0, calls=0, qualified=0, share=0.0, of_calls=0.0):
    return {
        "category": name,
        "label": label,
        "objections": objections,
        "calls": calls,
        "calls_qualified": qualified,
        "qualified_share": share,
        "share_of_calls": of_calls,
    }


def test_counts_and_qualified_share_by_category(team, get_json):
    lead = make_lead(team.campaign)
    won = make_call(lead, outcome="qualified", initiated_at=ist(2025, 3, 10))
    lost = make_call(lead, outcome="not_interested", initiated_at=ist(2025, 3, 10))
    other = make_call(lead, outcome="callback_requested", initiated_at=ist(2025, 3, 10))
    make_objection(won, "price")
    make_objection(won, "price", text="Still costly")  # twice in one call: one call
    make_objection(lost, "price")
    make_objection(lost, "trust")
    make_objection(other, "price")
    # Not counted: a canceled call, a call still in progress, another team's call.
    make_objection(make_call(lead, status=CallStatus.CANCELED), "timing")
    make_objection(make_call(lead, status=CallStatus.IN_PROGRESS, answered=False), "timing")
    make_objection(make_call(make_lead(team.other_campaign), outcome="qualified"), "timing")

    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/objections")

    assert body == {
        "campaign_id": team.campaign.pk,
        "from": None,
        "to": None,
        "period": {"from": None, "to": None, "label": "All time"},
        "total_objections": 5,
        "calls_with_objections": 3,
        "calls_with_objections_qualified": 1,
        "qualified_share": 33.33,
        "categories": [
            category("price", "Price", 4, 3, 1, 33.33, 100.0),
            category("timing", "Timing"),
            category("location", "Location"),
            category("not_interested", "Not interested"),
            category("trust", "Trust", 1, 1, 0, 0.0, 33.33),
            category("other", "Other"),
        ],
    }


def test_from_to_counts_calls_of_those_days(team, get_json):
    lead = make_lead(team.campaign)
    make_objection(
        make_call(lead, outcome="qualified", initiated_at=ist(2025, 3, 9, 23, 59)), "price"
    )
    make_objection(
        make_call(lead, outcome="qualified", initiated_at=ist(2025, 3, 10, 0, 1)), "location"
    )

    body = get_json(
        f"/analytics/campaigns/{team.campaign.pk}/objections?from=2025-03-10&to=2025-03-10"
    )

    assert [(c["category"], c["objections"]) for c in body["categories"] if c["objections"]] == [
        ("location", 1)
    ]
    assert (body["total_objections"], body["qualified_share"]) == (1, 100.0)


def test_a_non_member_gets_404(team, get_json):
    assert get_json(f"/analytics/campaigns/{team.other_campaign.pk}/objections", status=404) == {
        "detail": "No campaign with that id."
    }
