"""The campaign admin's change form: status changes follow the API's transition rules."""

import pytest
from django.utils import timezone

from tests.factories import make_campaign, make_user
from voiceagent.models import Campaign, CampaignStatus

pytestmark = pytest.mark.django_db


def form_data(**changes):
    """The change form as the admin posts it, with the campaign's defaults."""
    return {
        "name": "Powai launch", "description": "", "status": "running", "max_attempts": 3,
        "retry_delay_minutes": 120, "callback_delay_minutes": 1440,
        "calling_hours_start": "09:00", "calling_hours_end": "21:00", "score_weights": "{}",
        **changes,
    }  # fmt: skip


@pytest.fixture
def staff_client(client):
    client.force_login(make_user("boss", staff=True, is_superuser=True))
    return client


def change_url(campaign):
    return f"/admin/voiceagent/campaign/{campaign.pk}/change/"


def test_an_illegal_status_change_is_refused_on_the_form_naming_where_it_may_go(staff_client):
    campaign = make_campaign("Powai launch", status=CampaignStatus.COMPLETED)

    response = staff_client.post(change_url(campaign), form_data(status="running"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "status": [
            "Illegal status transition completed → running: a completed campaign can move to "
            "nothing (it is final)."
        ]
    }
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED


def test_a_draft_cannot_be_paused_before_it_ran(staff_client):
    campaign = make_campaign("Powai launch", status=CampaignStatus.DRAFT)

    response = staff_client.post(change_url(campaign), form_data(status="paused"))

    assert response.context["adminform"].form.errors["status"] == [
        "Illegal status transition draft → paused: a draft campaign can move to running."
    ]
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT


def test_a_new_campaign_cannot_start_completed(staff_client):
    response = staff_client.post("/admin/voiceagent/campaign/add/", form_data(status="completed"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"] == [
        "Illegal status transition draft → completed: a draft campaign can move to running."
    ]
    assert Campaign.objects.count() == 0


def test_a_legal_status_change_is_saved_and_stamped_as_through_the_api(staff_client):
    campaign = make_campaign("Powai launch", status=CampaignStatus.RUNNING)

    before = timezone.now()
    response = staff_client.post(change_url(campaign), form_data(status="completed"))

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED
    assert before <= campaign.completed_at <= timezone.now()


def test_a_campaign_created_running_in_the_admin_has_started(staff_client):
    before = timezone.now()
    response = staff_client.post("/admin/voiceagent/campaign/add/", form_data(status="running"))

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.status == CampaignStatus.RUNNING
    assert before <= campaign.started_at <= timezone.now()
    assert campaign.completed_at is None


def test_a_status_saved_by_someone_else_meanwhile_is_checked_on_the_form(rf):
    """The form was opened on a running campaign; another user completed it before this one
    saved "paused": the form refuses the move from the stored status (never a server error)."""
    from django.contrib import admin

    campaign = make_campaign("Powai launch", status=CampaignStatus.RUNNING)
    request = rf.post(change_url(campaign))
    request.user = make_user("boss", staff=True, is_superuser=True)
    form_class = admin.site._registry[Campaign].get_form(request, campaign, change=True)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.COMPLETED)

    form = form_class(data=form_data(status="paused"), instance=campaign)

    assert not form.is_valid()
    assert form.errors["status"] == [
        "Illegal status transition completed → paused: a completed campaign can move to "
        "nothing (it is final)."
    ]
