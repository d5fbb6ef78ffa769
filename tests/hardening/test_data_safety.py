"""Deleting a campaign never silently drops call history: the API and the admin say why not."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import make_call, make_campaign, make_lead
from voiceagent.models import CallSession, Campaign, CampaignStatus, Lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign_with_calls(team):
    lead = make_lead(team.campaign)
    make_call(lead)
    return team.campaign


@pytest.fixture
def admin_client(client, team):
    team.staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="voiceagent")
    )
    client.force_login(team.staff)
    return client


def test_api_delete_of_a_running_campaign_gets_400_and_keeps_everything(
    api_client, team, campaign_with_calls
):
    response = api_client(team.staff).delete(f"/api/campaigns/{campaign_with_calls.pk}")
    assert (response.status_code, response.json()) == (
        400,
        {
            "detail": "Only draft campaigns can be deleted; this one is running. Complete it instead."
        },
    )
    assert (
        Campaign.objects.filter(pk=campaign_with_calls.pk).count(),
        CallSession.objects.count(),
    ) == (1, 1)


def test_api_delete_of_a_draft_campaign_with_calls_gets_400(api_client, team):
    campaign = make_campaign(status=CampaignStatus.DRAFT)
    make_call(make_lead(campaign))
    response = api_client(team.staff).delete(f"/api/campaigns/{campaign.pk}")
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "This draft campaign has 1 call(s); a campaign with calls cannot be deleted."},
    )


def test_admin_delete_page_lists_the_protected_calls_instead_of_deleting(
    admin_client, campaign_with_calls
):
    url = f"/admin/voiceagent/campaign/{campaign_with_calls.pk}/delete/"
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in (
        response.content.decode()
    )
    assert (Campaign.objects.count(), Lead.objects.count(), CallSession.objects.count()) == (
        2,
        1,
        1,
    )


def test_admin_bulk_delete_of_campaigns_with_calls_is_refused_with_a_message(
    admin_client, campaign_with_calls
):
    response = admin_client.post(
        "/admin/voiceagent/campaign/",
        {"action": "delete_selected", "_selected_action": [campaign_with_calls.pk], "post": "yes"},
    )
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in (
        response.content.decode()
    )
    assert CallSession.objects.count() == 1


def test_admin_delete_of_a_lead_with_calls_is_refused(admin_client, campaign_with_calls):
    lead = Lead.objects.get()
    response = admin_client.post(f"/admin/voiceagent/lead/{lead.pk}/delete/", {"post": "yes"})
    assert response.status_code == 200
    assert (Lead.objects.count(), CallSession.objects.count()) == (1, 1)
