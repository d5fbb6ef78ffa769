"""The admin page importing a lead file into a campaign: same results as the API, same rules."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import make_user
from tests.voiceagent.lead_import.files import (
    CRAFTED_LEADS,
    CRAFTED_ROWS,
    csv_bytes,
    list_dnc_number,
    stored_leads,
)
from voiceagent.models import Lead, LeadImport

pytestmark = pytest.mark.django_db


def page(campaign, suffix="/"):
    return f"/admin/voiceagent/campaign/{campaign.pk}/import-leads{suffix}"


def post(client, campaign, content, name="leads.csv", **fields):
    return client.post(page(campaign), {"file": SimpleUploadedFile(name, content), **fields})


def test_the_campaign_page_links_to_the_import_page(team, admin_client):
    body = admin_client.get(f"/admin/voiceagent/campaign/{team.campaign.pk}/change/").content
    assert f'href="{page(team.campaign)}"'.encode() in body


@pytest.mark.parametrize("suffix", ["", "/"])
def test_the_import_page_answers_with_and_without_trailing_slash(team, admin_client, suffix):
    response = admin_client.get(page(team.campaign, suffix))
    assert response.status_code == 200
    assert response.context["title"] == "Import leads into Powai launch"


def test_importing_a_file_shows_the_result_and_stores_the_leads(team, admin_client):
    list_dnc_number()
    response = post(admin_client, team.campaign, csv_bytes(CRAFTED_ROWS))
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.created, result.duplicates, result.invalid_rows) == (4, 1, 4)
    assert [e["row"] for e in response.context["errors_shown"]] == [4, 7, 8, 10]
    assert b"Problems by row" in response.content
    assert stored_leads(team.campaign) == CRAFTED_LEADS


def test_a_refused_file_shows_why_and_stores_nothing(team, admin_client):
    response = post(admin_client, team.campaign, b"Name,City\r\nAsha,Pune\r\n")
    assert response.status_code == 200
    assert response.context["form"].errors["file"][0].startswith("No phone column:")
    assert Lead.objects.count() == 0


def test_a_background_import_is_queued_and_listed(team, admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = post(admin_client, team.campaign, csv_bytes(CRAFTED_ROWS), background="on")
    job = LeadImport.objects.get()
    assert (response.context["job"], job.status, job.campaign) == (job, "pending", team.campaign)
    assert list(response.context["recent_imports"]) == [job]


def test_staff_without_lead_permissions_may_not_import(team, client):
    client.force_login(make_user(staff=True))
    assert client.get(page(team.campaign)).status_code == 403


def test_a_non_staff_user_is_sent_to_the_admin_login(team, client):
    client.force_login(team.member)
    response = client.get(page(team.campaign))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_unknown_campaign_is_404(admin_client):
    assert admin_client.get("/admin/voiceagent/campaign/999999/import-leads/").status_code == 404


def test_page_query_count_does_not_grow_with_recent_imports(
    team, admin_client, django_assert_max_num_queries
):
    LeadImport.objects.create(campaign=team.campaign, filename="a.csv")
    with django_assert_max_num_queries(12) as small:
        admin_client.get(page(team.campaign))
    for _ in range(8):
        LeadImport.objects.create(campaign=team.campaign, filename="b.csv")
    with django_assert_max_num_queries(len(small.captured_queries)):
        admin_client.get(page(team.campaign))
