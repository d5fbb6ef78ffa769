"""/api/dnc/: the do-not-call list: who may read and write, normalised numbers, lead flags."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import make_lead, make_user
from voiceagent.models import DoNotCall, Lead

pytestmark = pytest.mark.django_db


def url(phone="", suffix=""):
    return f"/api/dnc/{phone}{suffix}" if phone else f"/api/dnc{suffix}"


def test_staff_add_a_number_and_its_leads_are_flagged(team, api_client):
    mine = make_lead(team.campaign, phone="+919812345678")
    theirs = make_lead(team.other_campaign, phone="+919812345678")
    response = api_client(team.staff).post(
        url(), {"phone": "098123 45678", "reason": "Complained"}, format="json"
    )
    assert response.status_code == 201
    assert response.json() == {
        "id": DoNotCall.objects.get().pk,
        "phone": "+919812345678",
        "reason": "Complained",
        "added_by": team.staff.pk,
        "created_at": response.json()["created_at"],
    }
    assert list(
        Lead.objects.filter(pk__in=[mine.pk, theirs.pk]).values_list("is_dnc", "dnc_reason")
    ) == [(True, "Complained"), (True, "Complained")]


def test_adding_a_listed_number_again_is_200_and_changes_nothing(team, api_client):
    DoNotCall.objects.create(phone="+919812345678", reason="First")
    response = api_client(team.staff).post(url(), {"phone": "+919812345678", "reason": "Again"})
    assert (response.status_code, response.json()["reason"]) == (200, "First")
    assert DoNotCall.objects.count() == 1


def test_a_bad_number_is_400_naming_it(team, api_client):
    response = api_client(team.staff).post(url(), {"phone": "call me"})
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Invalid input: phone: Phone 'call me' is not a phone number."
    )
    assert DoNotCall.objects.count() == 0


@pytest.mark.parametrize("written", ["+919812345678", "09812345678", "%2B919812345678"])
def test_removing_a_number_unflags_its_leads_however_it_is_written(team, api_client, written):
    lead = make_lead(team.campaign, phone="+919812345678", is_dnc=True, dnc_reason="Complained")
    DoNotCall.objects.create(phone="+919812345678")
    response = api_client(team.staff).delete(url(written))
    assert response.status_code == 204
    assert DoNotCall.objects.count() == 0
    lead.refresh_from_db()
    assert (lead.is_dnc, lead.dnc_reason) == (False, "")


def test_removing_an_unlisted_number_is_404(team, api_client):
    assert api_client(team.staff).delete(url("+919812345678")).status_code == 404


def test_one_number_is_shown_by_its_phone(team, api_client):
    DoNotCall.objects.create(phone="+919812345678", reason="Complained")
    response = api_client(team.member).get(url("09812345678"))
    assert (response.status_code, response.json()["phone"]) == (200, "+91 98XXX XX678")
    response = api_client(team.staff).get(url("09812345678"))
    assert (response.status_code, response.json()["phone"]) == (200, "+919812345678")


def test_managers_read_the_list_but_may_not_change_it(team, api_client):
    DoNotCall.objects.create(phone="+919812345678")
    client = api_client(team.member)
    assert [row["phone"] for row in client.get(url()).json()["results"]] == ["+91 98XXX XX678"]
    assert client.post(url(), {"phone": "9812345679"}).status_code == 403
    assert client.delete(url("+919812345678")).status_code == 403
    assert list(DoNotCall.objects.values_list("phone", flat=True)) == ["+919812345678"]


def test_a_user_without_the_view_permission_may_not_read_the_list(team, api_client):
    response = api_client(make_user()).get(url())
    assert response.status_code == 403


def test_a_user_with_add_donotcall_may_add(team, api_client):
    user = make_user()
    user.user_permissions.add(Permission.objects.get(codename="add_donotcall"))
    assert api_client(user).post(url(), {"phone": "9812345679"}).status_code == 201


def test_the_list_is_searchable(team, api_client):
    DoNotCall.objects.create(phone="+919812345678")
    DoNotCall.objects.create(phone="+919800000000")
    response = api_client(team.staff).get(url(), {"search": "45678"})
    assert [row["phone"] for row in response.json()["results"]] == ["+919812345678"]


@pytest.mark.parametrize("suffix", ["", "/"])
def test_paths_answer_with_and_without_trailing_slash(team, api_client, suffix):
    DoNotCall.objects.create(phone="+919812345678")
    client = api_client(team.staff)
    assert client.get(url(suffix=suffix)).status_code == 200
    assert client.get(url("+919812345678", suffix)).status_code == 200


def test_list_query_count_is_pinned_and_independent_of_page_contents(
    team, api_client, django_assert_num_queries
):
    # Token and user, the member's two permission lookups, the count, the page.
    client = api_client(team.member)
    DoNotCall.objects.create(phone="+919800000001")
    with django_assert_num_queries(5):
        small = client.get(url())
    for i in range(10):
        DoNotCall.objects.create(phone=f"+91980000010{i}", added_by=team.staff)
    with django_assert_num_queries(5):
        large = client.get(url())
    assert (small.json()["count"], large.json()["count"]) == (1, 11)
