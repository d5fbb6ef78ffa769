"""/api/report-schedules/: managers manage the schedules of their campaigns, staff all."""

import pytest

from reports.models import ReportSchedule

pytestmark = pytest.mark.django_db

VALID = {"frequency": "weekly", "hour": 9, "recipients": ["sales@example.com"]}


def test_a_member_creates_a_schedule_of_their_campaign(team, api_client):
    body = {
        "campaign": team.campaign.pk,
        **VALID,
        "recipients": [" sales@example.com ", "SALES@example.com", "ceo@example.com"],
    }

    response = api_client(team.member).post("/api/report-schedules/", body, format="json")

    assert response.status_code == 201
    schedule = ReportSchedule.objects.get()
    assert response.json() == {
        "id": schedule.pk,
        "campaign": team.campaign.pk,
        "frequency": "weekly",
        "hour": 9,
        "recipients": ["sales@example.com", "ceo@example.com"],
        "active": True,
        "created_at": response.json()["created_at"],
    }
    assert schedule.created_by == team.member


def test_hour_defaults_to_nine(team, api_client):
    body = {"campaign": team.campaign.pk, "frequency": "daily", "recipients": ["a@example.com"]}

    response = api_client(team.member).post("/api/report-schedules", body, format="json")

    assert (response.status_code, response.json()["hour"]) == (201, 9)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"frequency": "monthly"}, "frequency", '"monthly" is not a valid choice.'),
        ({"hour": 24}, "hour", "Ensure this value is less than or equal to 23."),
        ({"recipients": []}, "recipients", "Ensure this field has at least 1 elements."),
        (
            {"recipients": ["a@example.com", "not-an-email"]},
            "recipients",
            "Not email addresses: 'not-an-email'.",
        ),
    ],
)
def test_invalid_input_is_a_400_naming_the_field_and_stores_nothing(
    team, api_client, change, field, message
):
    body = {"campaign": team.campaign.pk, **VALID, **change}

    response = api_client(team.member).post("/api/report-schedules/", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]
    assert field in response.json()["detail"]
    assert not ReportSchedule.objects.exists()


def test_another_teams_campaign_cannot_be_scheduled(team, api_client):
    body = {"campaign": team.other_campaign.pk, **VALID}

    response = api_client(team.member).post("/api/report-schedules/", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["campaign"] == [
        f'Invalid pk "{team.other_campaign.pk}" - object does not exist.'
    ]
    assert not ReportSchedule.objects.exists()


def test_outsiders_neither_list_nor_see_nor_change_a_schedule(team, api_client):
    schedule = ReportSchedule.objects.create(campaign=team.campaign, **VALID)
    client = api_client(team.outsider)

    assert client.get("/api/report-schedules/").json()["results"] == []
    assert client.get(f"/api/report-schedules/{schedule.pk}/").status_code == 404
    assert (
        client.patch(
            f"/api/report-schedules/{schedule.pk}/", {"hour": 7}, format="json"
        ).status_code
        == 404
    )
    assert client.delete(f"/api/report-schedules/{schedule.pk}").status_code == 404
    schedule.refresh_from_db()
    assert schedule.hour == 9


def test_a_member_changes_and_deletes_their_schedule(team, api_client):
    schedule = ReportSchedule.objects.create(campaign=team.campaign, **VALID)
    client = api_client(team.member)

    response = client.patch(
        f"/api/report-schedules/{schedule.pk}", {"hour": 7, "active": False}, format="json"
    )
    assert (response.status_code, response.json()["hour"], response.json()["active"]) == (
        200,
        7,
        False,
    )

    assert client.delete(f"/api/report-schedules/{schedule.pk}/").status_code == 204
    assert not ReportSchedule.objects.exists()


def test_staff_see_every_schedule(team, api_client, django_assert_max_num_queries):
    mine = ReportSchedule.objects.create(campaign=team.campaign, **VALID)
    theirs = ReportSchedule.objects.create(campaign=team.other_campaign, **VALID)
    for _ in range(5):
        ReportSchedule.objects.create(campaign=team.other_campaign, **VALID)

    client = api_client(team.staff)

    with django_assert_max_num_queries(3):  # token and user, count, page
        response = client.get("/api/report-schedules/")

    ids = [row["id"] for row in response.json()["results"]]
    assert ids[:2] == [mine.pk, theirs.pk]
    assert len(ids) == 7


def test_anonymous_is_refused(team, api_client):
    assert api_client(None).get("/api/report-schedules/").status_code == 403
