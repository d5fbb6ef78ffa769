"""Cost in rupees: the formula on crafted calls, the campaign's cost figures, and the results
export's column."""

import csv
import io
from decimal import Decimal

import pytest

from analytics.costs import billed_minutes
from tests import factories
from tests.analytics.conftest import ist
from voiceagent.models import CallOutcome, CallStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def prices(settings):
    settings.PRICE_TELEPHONY_PER_MINUTE = Decimal("1.00")
    settings.PRICE_STT_PER_MINUTE = Decimal("0.60")
    settings.PRICE_LLM_INPUT_PER_1K = Decimal("0.02")
    settings.PRICE_LLM_OUTPUT_PER_1K = Decimal("0.08")
    settings.PRICE_TTS_PER_1K_CHARS = Decimal("20.00")


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(None, 0), (0, 0), (1, 1), (60, 1), (61, 2), (120, 2), (121, 3)]
)
def test_telephony_bills_every_started_minute(seconds, minutes):
    assert billed_minutes(seconds) == minutes


@pytest.fixture
def calls(team):
    """A qualified 61 s call with usage, a not-interested 30 s call, an unanswered call."""
    campaign = team.campaign
    qualified = factories.make_call(
        factories.make_lead(campaign, "Asha"),
        initiated_at=ist(2025, 3, 3, 10),
        duration=61,
        outcome=CallOutcome.QUALIFIED,
    )
    factories.make_turn(
        qualified, 1, llm_input_tokens=1000, llm_output_tokens=500, tts_characters=100
    )
    factories.make_turn(qualified, 2, speaker="lead", llm_input_tokens=500)
    factories.make_call(
        factories.make_lead(campaign, "Ravi"),
        initiated_at=ist(2025, 3, 3, 11),
        duration=30,
        outcome=CallOutcome.NOT_INTERESTED,
    )
    factories.make_call(
        factories.make_lead(campaign, "Meera"),
        status=CallStatus.NO_ANSWER,
        initiated_at=ist(2025, 3, 3, 12),
        outcome=CallOutcome.NO_ANSWER,
    )
    return qualified


# The qualified call: 2 minutes × 1.00 + 61 s × 0.60 / 60 (0.61) + 1500 × 0.02 / 1000 (0.03)
# + 500 × 0.08 / 1000 (0.04) + 100 × 20 / 1000 (2.00) = 4.68. The 30 s call: 1.00 + 0.30 = 1.30.
# The unanswered call: 0.


def test_conversation_has_the_calls_cost(calls, get_json):
    assert get_json(f"/analytics/conversations/{calls.call_sid}")["cost_inr"] == 4.68


def test_campaign_metrics_have_cost_per_answered_call_and_per_qualified_lead(calls, team, get_json):
    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics")
    assert body["cost_inr"] == 5.98
    assert body["cost_per_answered_call_inr"] == 2.99
    assert body["cost_per_qualified_lead_inr"] == 5.98


def test_cost_per_qualified_lead_is_null_without_a_qualified_call(team, get_json):
    factories.make_call(
        factories.make_lead(team.campaign, "Ravi"),
        initiated_at=ist(2025, 3, 3, 11),
        duration=30,
        outcome=CallOutcome.NOT_INTERESTED,
    )
    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics")
    assert (body["cost_inr"], body["cost_per_answered_call_inr"]) == (1.3, 1.3)
    assert body["cost_per_qualified_lead_inr"] is None


def test_campaign_without_calls_costs_nothing(team, get_json):
    body = get_json(f"/analytics/campaigns/{team.campaign.pk}/metrics")
    assert body["cost_inr"] == 0
    assert body["cost_per_answered_call_inr"] is None
    assert body["cost_per_qualified_lead_inr"] is None


def test_results_export_has_a_cost_column(calls, team, member_client):
    response = member_client.get(
        f"/exports/campaigns/{team.campaign.pk}/results?format=csv&from=2025-03-03&to=2025-03-03"
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [(row["Lead"], row["Cost (₹)"]) for row in rows] == [
        ("Asha", "4.68"),
        ("Ravi", "1.30"),
        ("Meera", "0.00"),
    ]
