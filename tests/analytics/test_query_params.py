"""Every path with and without a trailing slash; bad query parameters are a 400 naming them."""

import pytest

from tests.analytics.conftest import API_PATHS
from tests.factories import make_call, make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def path_values(team):
    call = make_call(make_lead(team.campaign), call_sid="CA-slash")
    return {"campaign_id": team.campaign.pk, "call_sid": call.call_sid}


@pytest.mark.parametrize("path", API_PATHS)
@pytest.mark.parametrize("slash", ["", "/"])
def test_path_answers_with_and_without_trailing_slash(path, slash, path_values, member_client):
    response = member_client.get(path.format(**path_values) + slash)

    assert response.status_code == 200
    assert "Location" not in response


@pytest.mark.parametrize(
    "url, parameter, message",
    [
        ("/analytics/daily-stats?days=0", "days", "Ensure this value is greater than or equal to 1."),
        ("/analytics/daily-stats?days=366", "days", "Ensure this value is less than or equal to 365."),
        ("/analytics/daily-stats?days=week", "days", "A valid integer is required."),
        ("/analytics/daily-stats?campaign_id=abc", "campaign_id", "A valid integer is required."),
        ("/analytics/daily-stats?campaign_id=-1", "campaign_id",
         "Ensure this value is greater than or equal to 1."),
        ("/analytics/daily-stats?campaign_id=99999999999999999999", "campaign_id",
         "Ensure this value is less than or equal to 9223372036854775807."),
        ("/analytics/daily-stats?from=2025-02-30", "from",
         "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."),
        ("/analytics/daily-stats?from=2025-03-10&to=2025-03-09", "from",
         "from (2025-03-10) is after to (2025-03-09)."),
        ("/analytics/daily-stats?to=2025-03-09", "from", "from is required when to is given."),
        ("/analytics/daily-stats?days=3&from=2025-03-01", "days",
         "Give either days or from/to, not both."),
        ("/analytics/daily-stats?from=2024-01-01&to=2024-12-31", "to",
         "from/to may span at most 365 days."),
        ("/analytics/campaigns/{campaign_id}/metrics?days=abc", "days", "A valid integer is required."),
        ("/analytics/campaigns/{campaign_id}/funnel?to=2025-01-01", "from",
         "from is required when to is given."),
        ("/analytics/campaigns/{campaign_id}/objections?from=yesterday", "from",
         "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."),
        ("/analytics/campaigns/{campaign_id}/best-hours?min_calls=0", "min_calls",
         "Ensure this value is greater than or equal to 1."),
        ("/analytics/leads/activity?limit=0", "limit",
         "Ensure this value is greater than or equal to 1."),
        ("/analytics/leads/activity?limit=501", "limit",
         "Ensure this value is less than or equal to 500."),
        ("/analytics/leads/activity?status=happy", "status", '"happy" is not a valid choice.'),
        ("/dashboard/realtime?limit=many", "limit", "A valid integer is required."),
        ("/dashboard/overview?days=400", "days", "Ensure this value is less than or equal to 365."),
        ("/dashboard/campaigns/{campaign_id}/summary?limit=9999", "limit",
         "Ensure this value is less than or equal to 500."),
    ],
)  # fmt: skip
def test_a_bad_parameter_is_a_400_naming_it(url, parameter, message, path_values, member_client):
    response = member_client.get(url.format(**path_values))

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Invalid input: {parameter}: {message}",
        "errors": {parameter: [message]},
    }


def test_empty_parameters_count_as_absent(member_client):
    body = member_client.get("/analytics/daily-stats?campaign_id=&days=&from=&to=").json()

    assert (body["campaign_id"], body["days"]) == (None, 7)


def test_a_365_day_range_is_accepted(member_client):
    response = member_client.get("/analytics/daily-stats?from=2024-01-01&to=2024-12-30")

    assert (response.status_code, response.json()["days"]) == (200, 365)


def test_an_id_beyond_bigint_in_the_path_is_404_not_500(member_client):
    response = member_client.get("/analytics/campaigns/99999999999999999999999/metrics")

    assert response.status_code == 404
    assert response.json() == {"detail": "No campaign with that id."}
