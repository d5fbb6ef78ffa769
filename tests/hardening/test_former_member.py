"""A manager taken off a campaign loses what hangs off it, their own export jobs included."""

import pytest

from exports.models import ExportJob, ExportStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def former_member_job(team):
    job = ExportJob.objects.create(
        user=team.member,
        campaign=team.campaign,
        kind="results",
        format="csv",
        status=ExportStatus.PENDING,
    )
    team.campaign.members.remove(team.member)
    return job


def test_former_member_no_longer_sees_their_export_job(api_client, team, former_member_job):
    response = api_client(team.member).get(f"/exports/jobs/{former_member_job.pk}")
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "No export job with that id."},
    )


def test_former_member_cannot_download_their_export_file(api_client, team, former_member_job):
    response = api_client(team.member).get(f"/exports/jobs/{former_member_job.pk}/download")
    assert response.status_code == 404


def test_former_member_export_job_list_is_empty(api_client, team, former_member_job):
    response = api_client(team.member).get("/exports/jobs")
    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_member_still_sees_their_export_job(api_client, team, former_member_job):
    team.campaign.members.add(team.member)
    response = api_client(team.member).get(f"/exports/jobs/{former_member_job.pk}")
    assert (response.status_code, response.json()["id"]) == (200, former_member_job.pk)


def test_former_member_exports_page_no_longer_lists_the_job(client, team, former_member_job):
    client.force_login(team.member)
    page = client.get("/exports/").content.decode()
    assert f'data-export-job="{former_member_job.pk}"' not in page
    team.campaign.members.add(team.member)
    page = client.get("/exports/").content.decode()
    assert f'data-export-job="{former_member_job.pk}"' in page
