"""One helper decides who sees what: members see their campaigns, staff everything, others nothing."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from tests.factories import make_call, make_lead
from voiceagent.access import can_ingest, get_campaign_for_user, visible_campaigns
from voiceagent.models import CallSession, Lead


@pytest.mark.django_db
def test_member_sees_only_their_campaigns_leads_and_calls(team):
    mine = make_call(make_lead(team.campaign))
    make_call(make_lead(team.other_campaign))
    assert list(visible_campaigns(team.member)) == [team.campaign]
    assert list(Lead.objects.visible_to(team.member)) == [mine.lead]
    assert list(CallSession.objects.visible_to(team.member)) == [mine]


@pytest.mark.django_db
def test_staff_see_every_campaign(team):
    assert set(visible_campaigns(team.staff)) == {team.campaign, team.other_campaign}


@pytest.mark.django_db
def test_anonymous_sees_nothing(team):
    assert list(visible_campaigns(AnonymousUser())) == []


@pytest.mark.django_db
def test_foreign_campaign_is_404_not_403(team):
    assert get_campaign_for_user(team.member, team.campaign.pk) == team.campaign
    with pytest.raises(Http404):
        get_campaign_for_user(team.member, team.other_campaign.pk)
    with pytest.raises(Http404):
        get_campaign_for_user(team.member, "not-a-number")


@pytest.mark.django_db
def test_only_the_ingest_group_may_ingest(team):
    from tests.factories import make_ingest_user

    assert can_ingest(make_ingest_user()) is True
    assert can_ingest(team.member) is False


@pytest.mark.django_db
def test_home_page_lists_only_visible_campaigns(team, client):
    client.force_login(team.member)
    body = client.get("/").content.decode()
    assert "Powai launch" in body
    assert "Whitefield villas" not in body


@pytest.mark.django_db
def test_pages_require_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


@pytest.mark.django_db
def test_login_with_the_form_works(team, client):
    response = client.post("/accounts/login/", {"username": "member", "password": "pass-1234-word"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
