"""One helper decides who sees what: members see their campaigns, staff everything, others nothing."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.forms.models import model_to_dict
from django.http import Http404

from tests.factories import make_call, make_lead, make_manager, make_user
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
def test_one_campaign_is_read_by_the_same_rule_as_the_list_of_visible_campaigns(team):
    """get_campaign_for_user reads one campaign by a statement of its own: for every kind of
    user and id it answers what visible_campaigns(user) holds, every field as the ORM reads it."""
    team.campaign.score_weights = {"budget_fit": 3}
    team.campaign.save()
    inactive_staff = make_user("inactive-staff", staff=True)
    inactive_staff.is_active = False
    inactive_staff.save()
    inactive_member = make_manager("inactive-member")
    team.campaign.members.add(inactive_member)
    inactive_member.is_active = False
    inactive_member.save()
    users = [
        team.staff, team.member, team.outsider, inactive_staff, inactive_member, AnonymousUser(),
    ]  # fmt: skip
    missing = max(team.campaign.pk, team.other_campaign.pk) + 1
    ids = [team.campaign.pk, team.other_campaign.pk, missing, str(team.campaign.pk), 2**63, -1]
    for user in users:
        for campaign_id in ids:
            expected = visible_campaigns(user).filter(pk=int(campaign_id)).first()
            if campaign_id == 2**63:
                expected = None
            if expected is None:
                with pytest.raises(Http404):
                    get_campaign_for_user(user, campaign_id)
                continue
            campaign = get_campaign_for_user(user, campaign_id)
            assert model_to_dict(campaign) == model_to_dict(expected), (user, campaign_id)
            assert (campaign.created_at, campaign.updated_at) == (
                expected.created_at,
                expected.updated_at,
            )
    visible = {
        user.username: [campaign_id for campaign_id in ids[:3] if _visible(user, campaign_id)]
        for user in users
        if user.is_authenticated
    }
    assert visible == {
        "staff": [team.campaign.pk, team.other_campaign.pk],
        "member": [team.campaign.pk],
        "outsider": [team.other_campaign.pk],
        "inactive-staff": [],
        "inactive-member": [],
    }


def _visible(user, campaign_id):
    try:
        get_campaign_for_user(user, campaign_id)
    except Http404:
        return False
    return True


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
