"""/api/campaigns/: visibility, who may write, the status transition matrix, deletion rules."""

from datetime import datetime

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from tests.factories import (
    make_call,
    make_campaign,
    make_lead,
    make_manager,
    make_scheduled_call,
    make_user,
)
from voiceagent.models import Campaign, CampaignStatus, Lead, ScheduledCall

pytestmark = pytest.mark.django_db

DRAFT, RUNNING, PAUSED, COMPLETED = (
    CampaignStatus.DRAFT,
    CampaignStatus.RUNNING,
    CampaignStatus.PAUSED,
    CampaignStatus.COMPLETED,
)
LEGAL = {(DRAFT, RUNNING), (RUNNING, PAUSED), (PAUSED, RUNNING), (RUNNING, COMPLETED),
         (PAUSED, COMPLETED)}  # fmt: skip
ALLOWED_FROM = {DRAFT: "running", RUNNING: "paused, completed", PAUSED: "running, completed",
                COMPLETED: "nothing (it is final)"}  # fmt: skip


def url(campaign=None, suffix=""):
    return f"/api/campaigns/{campaign.pk}{suffix}" if campaign else f"/api/campaigns{suffix}"


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def ids(response):
    return [row["id"] for row in response.json()["results"]]


def test_campaign_is_shown_with_its_fields(team, api_client):
    campaign = make_campaign("Shown", status=DRAFT, members=[team.member], description="Launch")
    campaign.created_at = timezone.make_aware(datetime(2026, 1, 5, 10, 0))
    campaign.save()
    body = api_client(team.staff).get(url(campaign)).json()
    assert body == {
        "id": campaign.pk,
        "name": "Shown",
        "description": "Launch",
        "status": "draft",
        "members": [team.member.pk],
        "created_by": None,
        "max_attempts": 3,
        "retry_delay_minutes": 120,
        "callback_delay_minutes": 1440,
        "calling_hours_start": "09:00:00",
        "calling_hours_end": "21:00:00",
        "price_band_min": None,
        "price_band_max": None,
        "score_weights": {},
        "created_at": "2026-01-05T10:00:00+05:30",
        "updated_at": body["updated_at"],
        "started_at": None,
        "completed_at": None,
    }


def test_member_lists_only_their_teams_campaigns(team, api_client):
    assert ids(api_client(team.member).get(url())) == [team.campaign.pk]


def test_staff_list_every_campaign(team, api_client):
    assert ids(api_client(team.staff).get(url())) == [team.other_campaign.pk, team.campaign.pk]


def test_list_filters_by_status(team, api_client):
    paused = make_campaign("Paused", status=PAUSED)
    assert ids(api_client(team.staff).get(url(), {"status": "paused"})) == [paused.pk]


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_another_teams_campaign_is_404_for_every_method(team, api_client, method):
    response = getattr(api_client(team.outsider), method)(url(team.campaign), {}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Campaign matches the given query."}


def test_anonymous_is_refused(team, api_client):
    assert api_client(None).get(url()).status_code == 403


@pytest.mark.parametrize("suffix", ["", "/"])
def test_paths_answer_with_and_without_trailing_slash(team, api_client, suffix):
    client = api_client(team.staff)
    assert client.get(url(suffix=suffix)).status_code == 200
    assert client.get(url(team.campaign, suffix)).status_code == 200


# The status transition matrix.


@pytest.mark.parametrize("current", [DRAFT, RUNNING, PAUSED, COMPLETED])
@pytest.mark.parametrize("new", [DRAFT, RUNNING, PAUSED, COMPLETED])
def test_status_transition_matrix(team, api_client, current, new):
    campaign = make_campaign(status=current)
    response = api_client(team.staff).patch(url(campaign), {"status": new}, format="json")
    campaign.refresh_from_db()
    if current == new or (current, new) in LEGAL:
        assert (response.status_code, campaign.status) == (200, new)
    else:
        assert (response.status_code, campaign.status) == (400, current)
        assert response.json() == {
            "detail": f"Illegal status transition {current} → {new}: a {current} campaign can "
            f"move to {ALLOWED_FROM[current]}."
        }


def test_starting_and_completing_stamp_the_campaign(team, api_client):
    campaign = make_campaign(status=DRAFT)
    client = api_client(team.staff)
    client.patch(url(campaign), {"status": "running"}, format="json")
    client.patch(url(campaign), {"status": "paused"}, format="json")
    client.patch(url(campaign), {"status": "running"}, format="json")
    campaign.refresh_from_db()
    first_start = campaign.started_at
    client.patch(url(campaign), {"status": "completed"}, format="json")
    campaign.refresh_from_db()
    assert campaign.started_at == first_start
    assert campaign.completed_at >= first_start


def test_an_unknown_status_is_400_naming_the_field(team, api_client):
    response = api_client(team.staff).patch(url(team.campaign), {"status": "done"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == 'Invalid input: status: "done" is not a valid choice.'


# Creating: staff, or a user with add_campaign, who then becomes a member.


def test_staff_create_a_draft_campaign_with_any_members(team, api_client):
    response = api_client(team.staff).post(
        url(), {"name": "New", "members": [team.member.pk, team.outsider.pk]}, format="json"
    )
    assert response.status_code == 201
    campaign = Campaign.objects.get(pk=response.json()["id"])
    assert (campaign.status, campaign.created_by) == (DRAFT, team.staff)
    assert sorted(campaign.members.values_list("pk", flat=True)) == sorted(
        [team.member.pk, team.outsider.pk]
    )


def test_a_campaign_may_be_created_running(team, api_client):
    response = api_client(team.staff).post(
        url(), {"name": "Go", "status": "running"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["started_at"] is not None


def test_a_campaign_cannot_be_created_completed(team, api_client):
    response = api_client(team.staff).post(
        url(), {"name": "Done", "status": "completed"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Illegal status transition draft → completed: a draft campaign can move to "
        "running."
    }
    assert not Campaign.objects.filter(name="Done").exists()


def test_a_manager_may_read_but_not_create_or_change(team, api_client):
    client = api_client(team.member)
    assert client.get(url(team.campaign)).status_code == 200
    assert client.post(url(), {"name": "Mine"}, format="json").status_code == 403
    response = client.patch(url(team.campaign), {"name": "Renamed"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}
    team.campaign.refresh_from_db()
    assert team.campaign.name == "Powai launch"


def test_a_non_staff_creator_becomes_a_member(team, api_client):
    creator = grant(make_manager("creator"), "add_campaign")
    response = api_client(creator).post(url(), {"name": "Own"}, format="json")
    assert response.status_code == 201
    assert response.json()["members"] == [creator.pk]
    assert ids(api_client(creator).get(url())) == [response.json()["id"]]


def test_only_staff_may_name_other_members(team, api_client):
    creator = grant(make_manager("creator", campaigns=[team.campaign]), "add_campaign")
    response = api_client(creator).post(
        url(), {"name": "Own", "members": [team.member.pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Invalid input: members: Only staff may add other users; leave members out or list "
        "only yourself."
    )
    assert not Campaign.objects.filter(name="Own").exists()


def test_a_non_staff_may_not_name_users_they_share_no_campaign_with(team, api_client):
    creator = grant(make_manager("creator"), "add_campaign")
    response = api_client(creator).post(
        url(), {"name": "Own", "members": [team.member.pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        f'Invalid input: members: Invalid pk "{team.member.pk}" - object does not exist.'
    )


def test_a_non_staff_editor_may_not_change_members(team, api_client):
    grant(team.member, "change_campaign")
    colleague = make_manager("colleague")
    make_campaign(members=[team.member, colleague])
    response = api_client(team.member).patch(
        url(team.campaign), {"members": [team.member.pk, colleague.pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Invalid input: members: Only staff may change the members of a campaign."
    )
    assert list(team.campaign.members.all()) == [team.member]


def test_a_non_staff_editor_may_rename_their_campaign(team, api_client):
    grant(team.member, "change_campaign")
    response = api_client(team.member).patch(url(team.campaign), {"name": "Renamed"}, format="json")
    assert (response.status_code, response.json()["name"]) == (200, "Renamed")


def test_staff_replace_members(team, api_client):
    response = api_client(team.staff).patch(
        url(team.campaign), {"members": [team.outsider.pk]}, format="json"
    )
    assert response.json()["members"] == [team.outsider.pk]


def test_an_unknown_member_id_is_400(team, api_client):
    response = api_client(team.staff).post(url(), {"name": "X", "members": [99999]}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == (
        'Invalid input: members: Invalid pk "99999" - object does not exist.'
    )


def test_a_formula_name_is_refused(team, api_client):
    response = api_client(team.staff).post(url(), {"name": "=1+2"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Invalid input: name: This value starts with '=' like a spreadsheet formula ('=1+2'); "
        "remove the leading character."
    )


# Deleting: drafts without calls only.


def test_a_draft_without_calls_is_deleted_with_its_leads(team, api_client):
    campaign = make_campaign(status=DRAFT)
    make_scheduled_call(make_lead(campaign))
    response = api_client(team.staff).delete(url(campaign))
    assert response.status_code == 204
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert (
        Lead.objects.filter(campaign_id=campaign.pk).count(),
        ScheduledCall.objects.count(),
    ) == (
        0,
        0,
    )


def test_a_running_campaign_cannot_be_deleted(team, api_client):
    response = api_client(team.staff).delete(url(team.campaign))
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Only draft campaigns can be deleted; this one is running. Complete it instead."
    }
    assert Campaign.objects.filter(pk=team.campaign.pk).exists()


def test_a_draft_with_calls_cannot_be_deleted(team, api_client):
    campaign = make_campaign(status=DRAFT)
    make_call(make_lead(campaign))
    response = api_client(team.staff).delete(url(campaign))
    assert response.status_code == 400
    assert response.json() == {
        "detail": "This draft campaign has 1 call(s); a campaign with calls cannot be deleted."
    }


def test_a_manager_may_not_delete(team, api_client):
    team.campaign.status = DRAFT
    team.campaign.save()
    assert api_client(team.member).delete(url(team.campaign)).status_code == 403


# Query counts: pinned, and the same for a page of 2 and a page of 12 campaigns.


def _add_campaigns(n, member):
    for _ in range(n):
        make_campaign(members=[member, make_user()])


@pytest.mark.parametrize("who", ["staff", "member"])
def test_list_query_count_is_pinned_and_independent_of_page_contents(
    team, api_client, django_assert_num_queries, who
):
    client = api_client(getattr(team, who))
    with django_assert_num_queries(4):
        small = client.get(url())
    _add_campaigns(10, team.member)
    with django_assert_num_queries(4):
        large = client.get(url())
    assert len(large.json()["results"]) == len(small.json()["results"]) + 10


def test_openapi_schema_describes_every_campaigns_api_path_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    from voiceagent.campaigns import urls as campaign_urls

    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=campaign_urls.urlpatterns).get_schema(public=True)
    assert not GENERATOR_STATS, (GENERATOR_STATS._warn_cache, GENERATOR_STATS._error_cache)
    validate_schema(schema)
    assert sorted(schema["paths"]) == [
        "/api/campaigns/",
        "/api/campaigns/{id}/",
        "/api/campaigns/{id}/leads/import/",
        "/api/dnc/",
        "/api/dnc/{phone}/",
        "/api/lead-imports/",
        "/api/lead-imports/{id}/",
        "/api/leads/",
        "/api/leads/{id}/",
        "/api/leads/{id}/erase/",
    ]
    import_responses = schema["paths"]["/api/campaigns/{id}/leads/import/"]["post"]["responses"]
    assert sorted(import_responses) == ["200", "202", "400"]


def test_the_browsable_api_renders_for_a_logged_in_user(team, client):
    client.force_login(team.member)
    response = client.get(url(), HTTP_ACCEPT="text/html")
    assert (response.status_code, response["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert b"Powai launch" in response.content


def test_staff_set_a_campaigns_calling_hours(team, api_client):
    response = api_client(team.staff).patch(
        url(team.campaign),
        {"calling_hours_start": "10:30", "calling_hours_end": "19:00"},
        format="json",
    )
    assert response.status_code == 200
    team.campaign.refresh_from_db()
    assert (str(team.campaign.calling_hours_start), str(team.campaign.calling_hours_end)) == (
        "10:30:00",
        "19:00:00",
    )


def test_calling_hours_ending_before_they_start_are_a_400_naming_both_fields(team, api_client):
    response = api_client(team.staff).patch(
        url(team.campaign),
        {"calling_hours_start": "20:00", "calling_hours_end": "08:00"},
        format="json",
    )
    assert response.status_code == 400
    assert "calling_hours_start (20:00) must be before calling_hours_end (08:00)" in str(
        response.json()
    )
    team.campaign.refresh_from_db()
    assert str(team.campaign.calling_hours_end) == "21:00:00"


def test_a_calling_hours_start_after_the_stored_end_is_a_400(team, api_client):
    response = api_client(team.staff).patch(
        url(team.campaign), {"calling_hours_start": "22:00"}, format="json"
    )
    assert response.status_code == 400
    assert "calling_hours_start (22:00) must be before calling_hours_end (21:00)" in str(
        response.json()
    )


def test_calling_hours_with_an_offset_are_refused_naming_the_field(team):
    from tests.conftest import api_client_for

    response = api_client_for(team.staff).post(
        "/api/campaigns",
        {"name": "Zoned", "calling_hours_start": "09:00:00Z"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "calling_hours_start": ["Give a local time such as 09:00, without a time zone offset."]
    }


def test_a_calling_hours_end_before_the_default_start_is_a_400_not_a_500(team):
    from tests.conftest import api_client_for

    response = api_client_for(team.staff).post(
        "/api/campaigns", {"name": "Early", "calling_hours_end": "09:00"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "calling_hours_end": [
            "calling_hours_start (09:00) must be before calling_hours_end (09:00), both in "
            "Asia/Kolkata."
        ]
    }


def test_a_new_price_band_rescores_the_campaigns_leads(team, api_client):
    lead = make_lead(team.campaign, budget=7_000_000)

    response = api_client(team.staff).patch(
        url(team.campaign),
        {"price_band_min": 6_000_000, "price_band_max": 9_000_000},
        format="json",
    )

    assert response.status_code == 200
    lead.refresh_from_db()
    assert (lead.score, lead.score_reasons) == (15, "budget in the price band (+15)")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"price_band_min": 9_000_000, "price_band_max": 6_000_000},
            "price_band_max",
            "price_band_min (9000000) must not exceed price_band_max (6000000).",
        ),
        (
            {"score_weights": {"charm": 5}},
            "score_weights",
            "Unknown score signal 'charm'; expected one of ",
        ),
        (
            {"score_weights": {"objection": -500}},
            "score_weights",
            "The points of objection must be between -100 and 100.",
        ),
    ],
)
def test_bad_price_band_or_weights_are_a_400_naming_the_field(
    team, api_client, body, field, message
):
    response = api_client(team.staff).patch(url(team.campaign), body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][field][0].startswith(message)
