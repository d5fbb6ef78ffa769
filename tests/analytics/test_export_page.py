"""The /exports/ page: the user's own export jobs with progress and downloads; starting one."""

import pytest
from django.utils import timezone

from exports.models import ExportJob
from tests import factories

pytestmark = pytest.mark.django_db


def test_export_page_lists_only_the_users_own_jobs(client, team):
    mine = factories.make_export_job(team.campaign, team.member, status="running", progress=40,
                                     rows_written=1234567, started_at=timezone.now())  # fmt: skip
    factories.make_export_job(team.campaign, team.staff)
    client.force_login(team.member)

    html = client.get("/exports/").content.decode()

    assert html.count("<tr data-export-job=") == 1
    assert f'<tr data-export-job="{mine.pk}" data-status="running"' in html
    assert '<progress max="100" value="40"' in html
    assert ">12,34,567</td>" in html


def test_starting_a_large_export_creates_a_pending_job_and_shows_it(client, team, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 0  # one lead is already too many to send at once
    factories.make_lead(team.campaign)
    client.force_login(team.member)
    response = client.post(
        "/exports/", {"campaign_id": team.campaign.pk, "kind": "leads", "format": "xlsx"}
    )

    job = ExportJob.objects.get()
    assert (job.user, job.campaign, job.kind, job.format, job.status) == (
        team.member, team.campaign, "leads", "xlsx", "pending"
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"/exports/?job={job.pk}"


def test_an_export_of_another_teams_campaign_is_refused(client, team):
    client.force_login(team.member)
    response = client.post(
        "/exports", {"campaign_id": team.other_campaign.pk, "kind": "results", "format": "csv"}
    )
    assert response.status_code == 400
    assert "Pick one of your campaigns to export." in response.content.decode()
    assert not ExportJob.objects.exists()


def test_an_unknown_export_format_is_refused(client, team):
    client.force_login(team.member)
    response = client.post(
        "/exports/", {"campaign_id": team.campaign.pk, "kind": "results", "format": "pdf"}
    )
    assert response.status_code == 400
    assert "Pick a format: CSV or Excel." in response.content.decode()
    assert not ExportJob.objects.exists()


def test_export_page_needs_a_login(client, db):
    response = client.get("/exports/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/exports/"


def test_export_page_tells_a_new_user_what_to_do(client, team):
    client.force_login(team.member)
    assert "No exports yet. Pick a campaign above" in client.get("/exports/").content.decode()


@pytest.mark.parametrize("size", [2, 12])
def test_export_page_queries_do_not_grow_with_jobs(
    client, team, size, django_assert_max_num_queries
):
    for _ in range(size):
        factories.make_export_job(team.campaign, team.member)
    client.force_login(team.member)
    with django_assert_max_num_queries(4):
        assert client.get("/exports/").status_code == 200
