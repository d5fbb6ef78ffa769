"""The visible campaigns as a condition of a fixed statement."""

import pytest

from analytics.selectors import _campaigns_subquery
from tests.factories import make_campaign, make_manager
from voiceagent.models import Campaign


@pytest.mark.django_db
def test_the_visible_campaigns_condition_is_unordered_and_names_a_members_campaigns():
    """Campaign's default ordering has no place in an IN (...) list: it would keep PostgreSQL
    from flattening the subquery into a join."""
    member = make_manager("asha")
    mine, _ = make_campaign("Powai", members=[member]), make_campaign("Thane")

    sql, params = _campaigns_subquery(Campaign.objects.filter(members=member), "k.id")

    assert "ORDER BY" not in sql
    assert sql.startswith("k.id IN (SELECT")
    assert list(
        Campaign.objects.raw(f"SELECT k.* FROM voiceagent_campaign k WHERE {sql}", params)
    ) == [mine]
