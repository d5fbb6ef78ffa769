"""/api/leads/: visibility, filters, search, pagination, create and update rules."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import make_campaign, make_lead
from voiceagent.models import CampaignStatus, DoNotCall, Lead

pytestmark = pytest.mark.django_db


def url(lead=None, suffix=""):
    return f"/api/leads/{lead.pk}{suffix}" if lead else f"/api/leads{suffix}"


def names(response):
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_lead_is_shown_with_its_fields(team, api_client):
    lead = make_lead(
        team.campaign,
        "Asha",
        phone="+919812345678",
        email="asha@example.com",
        city="Mumbai",
        property_type="apartment",
        budget=8_000_000,
        preferred_locations="Powai",
    )
    body = api_client(team.member).get(url(lead)).json()
    assert body == {
        "id": lead.pk,
        "campaign": team.campaign.pk,
        "name": "Asha",
        "phone": "+91 98XXX XX678",  # masked: a manager lacks view_full_phone
        "phone_display": "+91 98XXX XX678",
        "email": "asha@example.com",
        "city": "Mumbai",
        "property_type": "apartment",
        "budget": 8_000_000,
        "preferred_locations": "Powai",
        "status": "new",
        "is_dnc": False,
        "dnc_reason": "",
        "valid": True,
        "call_attempts": 0,
        "last_call_at": None,
        "last_outcome": "",
        "score": 0,
        "score_reasons": "",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "erased": False,
    }


def test_member_lists_only_leads_of_their_campaigns(team, api_client):
    make_lead(team.campaign, "Mine")
    make_lead(team.other_campaign, "Theirs")
    assert names(api_client(team.member).get(url())) == ["Mine"]


def test_another_teams_lead_is_404(team, api_client):
    lead = make_lead(team.other_campaign, "Theirs")
    assert api_client(team.member).get(url(lead)).status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "qualified"}, ["Qualified"]),
        ({"city": "PUNE"}, ["Dnc", "Qualified"]),
        ({"dnc": "true"}, ["Dnc"]),
        ({"valid": "false"}, ["Dnc"]),
        ({"valid": "true"}, ["Other campaign", "Qualified", "Plain"]),
        ({"property_type": "villa"}, ["Plain"]),
        ({"search": "qual"}, ["Qualified"]),
        # A manager sees phones masked, so cannot search their digits (staff can).
        ({"search": "9811111111"}, []),
        ({"ordering": "name"}, ["Dnc", "Other campaign", "Plain", "Qualified"]),
    ],
)
def test_leads_filter_and_search(team, api_client, query, expected):
    make_lead(team.campaign, "Plain", phone="+919811111111", property_type="villa")
    make_lead(team.campaign, "Qualified", city="Pune", status="qualified")
    make_lead(team.campaign, "Dnc", city="pune", is_dnc=True)
    make_lead(make_campaign(members=[team.member]), "Other campaign")
    assert names(api_client(team.member).get(url(), query)) == expected


def test_staff_search_leads_by_phone(team, api_client):
    make_lead(team.campaign, "Plain", phone="+919811111111")
    make_lead(team.campaign, "Other")
    assert names(api_client(team.staff).get(url(), {"search": "9811111111"})) == ["Plain"]


def test_leads_filter_by_campaign(team, api_client):
    make_lead(team.campaign, "Here")
    make_lead(make_campaign(members=[team.member]), "There")
    response = api_client(team.member).get(url(), {"campaign": team.campaign.pk})
    assert names(response) == ["Here"]


def test_a_filter_on_another_teams_campaign_finds_nothing(team, api_client):
    make_lead(team.other_campaign, "Theirs")
    assert names(api_client(team.member).get(url(), {"campaign": team.other_campaign.pk})) == []


def test_an_invalid_filter_value_is_400(team, api_client):
    response = api_client(team.member).get(url(), {"status": "bogus"})
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Invalid input: status: Select a valid choice. bogus is not one of the available choices."
    )


def test_pages_are_capped_at_500(team, api_client):
    for _ in range(3):
        make_lead(team.campaign)
    body = api_client(team.member).get(url(), {"page_size": 2}).json()
    assert (body["count"], len(body["results"]), body["next"] is not None) == (3, 2, True)
    from voiceagent.web.pagination import Pagination

    assert Pagination.max_page_size == 500


@pytest.mark.parametrize("suffix", ["", "/"])
def test_paths_answer_with_and_without_trailing_slash(team, api_client, suffix):
    lead = make_lead(team.campaign)
    client = api_client(team.member)
    assert client.get(url(suffix=suffix)).status_code == 200
    assert client.get(url(lead, suffix)).status_code == 200


# Writing.


def test_staff_create_a_lead_with_the_phone_normalised(team, api_client):
    response = api_client(team.staff).post(
        url(),
        {"campaign": team.campaign.pk, "name": "Asha", "phone": "098123 45678", "budget": 100},
        format="json",
    )
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert (lead.phone, lead.budget, lead.is_dnc) == ("+919812345678", 100, False)


def test_a_lead_created_with_a_dnc_number_is_flagged(team, api_client):
    DoNotCall.objects.create(phone="+919812345678", reason="Complained")
    response = api_client(team.staff).post(
        url(), {"campaign": team.campaign.pk, "name": "Asha", "phone": "9812345678"}, format="json"
    )
    assert (response.json()["is_dnc"], response.json()["dnc_reason"]) == (True, "Complained")


def test_a_second_lead_with_the_same_phone_is_400_naming_it(team, api_client):
    make_lead(team.campaign, phone="+919812345678")
    response = api_client(team.staff).post(
        url(), {"campaign": team.campaign.pk, "name": "Asha", "phone": "+91 98123 45678"}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Invalid input: phone: A lead with phone +919812345678 already exists in this campaign."
    )
    assert Lead.objects.count() == 1


def test_a_bad_phone_is_400_naming_it(team, api_client):
    response = api_client(team.staff).post(
        url(), {"campaign": team.campaign.pk, "name": "Asha", "phone": "12345"}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Invalid input: phone: Phone '12345' is not a valid phone number."
    )


def test_a_lead_cannot_be_created_in_an_invisible_campaign(team, api_client):
    grant(team.member, "add_lead")
    response = api_client(team.member).post(
        url(), {"campaign": team.other_campaign.pk, "name": "Asha", "phone": "9812345678"}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        f'Invalid input: campaign: Invalid pk "{team.other_campaign.pk}" - object does not exist.'
    )
    assert Lead.objects.count() == 0


def test_a_lead_cannot_be_added_to_a_completed_campaign(team, api_client):
    campaign = make_campaign(status=CampaignStatus.COMPLETED)
    response = api_client(team.staff).post(
        url(), {"campaign": campaign.pk, "name": "Asha", "phone": "9812345678"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Campaign {campaign.pk} is completed; it accepts no new leads."
    }


def test_a_manager_may_not_create_or_change_leads(team, api_client):
    lead = make_lead(team.campaign, "Asha")
    client = api_client(team.member)
    body = {"campaign": team.campaign.pk, "name": "B", "phone": "9812345678"}
    assert client.post(url(), body).status_code == 403
    assert client.patch(url(lead), {"name": "Changed"}, format="json").status_code == 403
    lead.refresh_from_db()
    assert lead.name == "Asha"


def test_a_member_with_change_lead_may_update_their_lead(team, api_client):
    grant(team.member, "change_lead")
    lead = make_lead(team.campaign, "Asha")
    response = api_client(team.member).patch(
        url(lead), {"city": "Pune", "status": "qualified"}, format="json"
    )
    assert response.status_code == 200
    lead.refresh_from_db()
    assert (lead.city, lead.status) == ("Pune", "qualified")


def test_a_lead_cannot_move_to_another_campaign(team, api_client):
    lead = make_lead(team.campaign)
    other = make_campaign()
    response = api_client(team.staff).patch(url(lead), {"campaign": other.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Invalid input: campaign: A lead cannot move to another campaign."
    )


def test_changing_the_phone_to_a_dnc_number_flags_the_lead(team, api_client):
    DoNotCall.objects.create(phone="+919812345679", reason="Complained")
    lead = make_lead(team.campaign, phone="+919812345678")
    api_client(team.staff).patch(url(lead), {"phone": "9812345679"}, format="json")
    lead.refresh_from_db()
    assert (lead.phone, lead.is_dnc, lead.dnc_reason) == ("+919812345679", True, "Complained")


def test_leads_cannot_be_deleted_through_the_api(team, api_client):
    lead = make_lead(team.campaign)
    assert api_client(team.staff).delete(url(lead)).status_code == 405


# Query counts: pinned, and the same for 2 and 12 leads on the page.


@pytest.mark.parametrize("who", ["staff", "member"])
def test_list_query_count_is_pinned_and_independent_of_page_contents(
    team, api_client, django_assert_num_queries, who
):
    client = api_client(getattr(team, who))
    # The token, the count, the page; and a manager's two permission reads (phone masking).
    expected = 3 if who == "staff" else 5
    for _ in range(2):
        make_lead(team.campaign)
    with django_assert_num_queries(expected):
        small = client.get(url(), {"campaign": team.campaign.pk, "valid": "true"})
    for _ in range(10):
        make_lead(team.campaign)
    with django_assert_num_queries(expected):
        large = client.get(url(), {"campaign": team.campaign.pk, "valid": "true"})
    assert (len(small.json()["results"]), len(large.json()["results"])) == (2, 12)


def test_a_new_budget_rescores_the_lead_and_the_score_is_read_only(team, api_client):
    campaign = make_campaign(price_band_min=5_000_000, price_band_max=8_000_000)
    lead = make_lead(campaign, "Asha", budget=1_000_000)

    response = api_client(team.staff).patch(
        url(lead), {"budget": 6_000_000, "score": 99}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["score"], response.json()["score_reasons"]) == (
        15,
        "budget in the price band (+15)",
    )
    lead.refresh_from_db()
    assert lead.score == 15
