"""/exports/jobs: create, list own, detail with progress, download; others' jobs do not exist."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from exports import services
from exports.models import ExportJob
from tests.exports.test_campaign_exports import RESULTS_CSV
from tests.factories import make_export_job

pytestmark = pytest.mark.django_db

FIELDS = {
    "id", "campaign_id", "kind", "format", "from", "to", "include", "status", "progress",
    "rows_written", "file_size", "created_at", "finished_at", "expires_at", "error", "download_url",
}  # fmt: skip


def succeeded_job(user, campaign, kind="results", fmt="csv"):
    job = services.create_export_job(user=user, campaign=campaign, kind=kind, fmt=fmt)
    return services.run_export_job(job_id=job.pk, task_id=job.task_id)


def iso(moment):
    return timezone.localtime(moment).isoformat() if moment else None


def test_post_creates_a_pending_job_and_answers_202_with_its_location(
    crafted, team, api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client(team.member).post(
            "/exports/jobs",
            {"campaign_id": crafted.campaign.pk, "kind": "transcripts", "format": "xlsx"},
            format="json",
        )
    assert response.status_code == 202
    job = ExportJob.objects.get()
    assert response["Location"] == f"http://testserver/exports/jobs/{job.pk}"
    assert response.json() == {
        "id": job.pk,
        "campaign_id": crafted.campaign.pk,
        "kind": "transcripts",
        "format": "xlsx",
        "from": None,
        "to": None,
        "include": "finished",
        "status": "pending",
        "progress": 0,
        "rows_written": 0,
        "file_size": None,
        "created_at": iso(job.created_at),
        "finished_at": None,
        "expires_at": None,
        "error": "",
        "download_url": None,
    }
    assert job.user == team.member
    assert len(callbacks) == 3  # the task message, the progress event, the audit event


def test_post_with_a_bad_kind_is_400_naming_it_and_stores_nothing(crafted, team, api_client):
    response = api_client(team.member).post(
        "/exports/jobs/",
        {"campaign_id": crafted.campaign.pk, "kind": "calls", "format": "csv"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": 'Invalid input: kind: "calls" is not a valid choice.',
        "errors": {"kind": ['"calls" is not a valid choice.']},
    }
    assert ExportJob.objects.count() == 0


def test_post_for_a_campaign_of_another_team_is_404(crafted, team, api_client):
    response = api_client(team.outsider).post(
        "/exports/jobs",
        {"campaign_id": crafted.campaign.pk, "kind": "results", "format": "csv"},
        format="json",
    )
    assert response.status_code == 404
    assert ExportJob.objects.count() == 0


def test_list_shows_only_the_users_own_jobs_newest_first(crafted, team, api_client):
    first = make_export_job(crafted.campaign, team.member)
    second = make_export_job(crafted.campaign, team.member, kind="leads")
    make_export_job(team.other_campaign, team.outsider)
    response = api_client(team.member).get("/exports/jobs")
    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert [job["id"] for job in response.json()["results"]] == [second.pk, first.pk]
    assert set(response.json()["results"][0]) == FIELDS


def test_staff_list_every_users_jobs(crafted, team, api_client):
    make_export_job(crafted.campaign, team.member)
    make_export_job(team.other_campaign, team.outsider)
    response = api_client(team.staff).get("/exports/jobs/")
    assert response.json()["count"] == 2


def test_list_query_count_does_not_grow_with_jobs(
    crafted, team, api_client, django_assert_max_num_queries
):
    client = api_client(team.member)
    make_export_job(crafted.campaign, team.member)
    with django_assert_max_num_queries(3) as small:
        assert client.get("/exports/jobs").status_code == 200
    for _ in range(15):
        make_export_job(crafted.campaign, team.member)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/exports/jobs").status_code == 200


def test_detail_of_a_finished_job_has_every_field_and_its_download_url(crafted, team, api_client):
    job = succeeded_job(team.member, crafted.campaign)
    response = api_client(team.member).get(f"/exports/jobs/{job.pk}")
    assert response.status_code == 200
    assert response.json() == {
        "id": job.pk,
        "campaign_id": crafted.campaign.pk,
        "kind": "results",
        "format": "csv",
        "from": None,
        "to": None,
        "include": "finished",
        "status": "succeeded",
        "progress": 100,
        "rows_written": 2,
        "file_size": len(RESULTS_CSV.encode()),
        "created_at": iso(job.created_at),
        "finished_at": iso(job.finished_at),
        "expires_at": iso(job.expires_at),
        "error": "",
        "download_url": f"http://testserver/exports/jobs/{job.pk}/download",
    }


@pytest.mark.parametrize("slash", ["", "/"])
def test_detail_of_another_users_job_is_404(crafted, team, api_client, slash):
    job = make_export_job(crafted.campaign, team.member)
    response = api_client(team.outsider).get(f"/exports/jobs/{job.pk}{slash}")
    assert response.status_code == 404
    assert response.json() == {"detail": "No export job with that id."}


def test_detail_query_count_is_pinned(crafted, team, api_client, django_assert_num_queries):
    job = make_export_job(crafted.campaign, team.member)
    client = api_client(team.member)
    with django_assert_num_queries(2):  # token with its user, the job
        assert client.get(f"/exports/jobs/{job.pk}").status_code == 200


@pytest.mark.parametrize("slash", ["", "/"])
def test_owner_downloads_the_exact_file(crafted, team, api_client, slash):
    job = succeeded_job(team.member, crafted.campaign)
    response = api_client(team.member).get(f"/exports/jobs/{job.pk}/download{slash}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Length"] == str(job.file_size)
    assert response["Content-Disposition"] == (
        f'attachment; filename="{job.file.name.rsplit("/", 1)[1]}"'
    )
    assert b"".join(response.streaming_content).decode("utf-8") == RESULTS_CSV


def test_staff_download_any_users_file(crafted, team, api_client):
    job = succeeded_job(team.member, crafted.campaign)
    response = api_client(team.staff).get(f"/exports/jobs/{job.pk}/download")
    assert b"".join(response.streaming_content).decode("utf-8") == RESULTS_CSV


def test_another_users_download_is_404(crafted, team, api_client):
    job = succeeded_job(team.member, crafted.campaign)
    response = api_client(team.outsider).get(f"/exports/jobs/{job.pk}/download")
    assert response.status_code == 404


def test_a_member_of_the_campaign_cannot_download_a_colleagues_job(crafted, team, api_client):
    colleague = team.member.__class__.objects.create_user("colleague")
    crafted.campaign.members.add(colleague)
    job = succeeded_job(team.member, crafted.campaign)
    response = api_client(colleague).get(f"/exports/jobs/{job.pk}/download")
    assert response.status_code == 404


def test_anonymous_download_is_refused(crafted, team):
    job = succeeded_job(team.member, crafted.campaign)
    response = APIClient().get(f"/exports/jobs/{job.pk}/download")
    assert response.status_code == 403


def test_download_of_an_expired_job_is_410(crafted, team, api_client):
    job = succeeded_job(team.member, crafted.campaign)
    services.expire_export_jobs(now=job.expires_at)
    response = api_client(team.member).get(f"/exports/jobs/{job.pk}/download")
    assert response.status_code == 410
    assert response.json() == {
        "detail": "This export has expired and its file was deleted; export again."
    }


def test_download_past_expiry_before_the_cleanup_ran_is_410(crafted, team, api_client):
    job = succeeded_job(team.member, crafted.campaign)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api_client(team.member).get(f"/exports/jobs/{job.pk}/download")
    assert response.status_code == 410


def test_download_of_a_running_job_is_409(crafted, team, api_client):
    job = make_export_job(
        crafted.campaign, team.member, status="running", started_at=timezone.now()
    )
    response = api_client(team.member).get(f"/exports/jobs/{job.pk}/download")
    assert response.status_code == 409
    assert response.json() == {"detail": "This export is running; its file is not available."}


def test_session_login_downloads_too(crafted, team, client):
    job = succeeded_job(team.member, crafted.campaign, "leads", "xlsx")
    client.force_login(team.member)
    response = client.get(f"/exports/jobs/{job.pk}/download")
    assert response.status_code == 200
    assert response["Content-Length"] == str(job.file_size)
    assert len(b"".join(response.streaming_content)) == job.file_size
    assert Token.objects.count() == 0


def test_download_of_a_file_deleted_from_storage_is_410(crafted, team, api_client):
    from django.core.files.storage import default_storage

    job = succeeded_job(team.member, crafted.campaign)
    default_storage.delete(job.file.name)
    response = api_client(team.member).get(f"/exports/jobs/{job.pk}/download")
    assert response.status_code == 410
    assert response.json() == {
        "detail": "The file of this export is no longer stored; export again."
    }


def test_download_query_count_is_pinned(crafted, team, api_client, django_assert_num_queries):
    job = succeeded_job(team.member, crafted.campaign)
    client = api_client(team.member)
    with django_assert_num_queries(2):  # token with its user, the job
        response = client.get(f"/exports/jobs/{job.pk}/download")
        assert len(b"".join(response.streaming_content)) == job.file_size
