"""Background lead imports: queued on a real Celery worker, polled at /api/lead-imports/{id}."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.base import ContentFile

from tests.voiceagent.lead_import.files import (
    CRAFTED_LEADS,
    CRAFTED_RESULT,
    CRAFTED_ROWS,
    HEADER,
    csv_bytes,
    list_dnc_number,
    post_file,
    stored_leads,
    xlsx_bytes,
)
from voiceagent.celery import app as celery_app
from voiceagent.lead_import.jobs import _report_progress, run_import_job
from voiceagent.models import Lead, LeadImport, LeadImportStatus


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def import_worker(media_root):
    """A Celery worker thread on the real Redis broker, consuming only fresh messages."""
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        yield


def stored_files(media_root):
    return sorted(p.name for p in media_root.rglob("*") if p.is_file())


def wait_for(client, location, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(location).json()
        if body["status"] in ("succeeded", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"the import did not finish in {timeout}s: {body}")


def stored_job(campaign, content, name="leads.csv", **fields):
    job = LeadImport(campaign=campaign, filename=name, file_size=len(content), **fields)
    job.file.save(name, ContentFile(content), save=False)
    job.save()
    return job


@pytest.mark.django_db(transaction=True)
def test_an_async_import_runs_on_the_worker_and_reports_the_result(
    team, api_client, import_worker, media_root
):
    list_dnc_number()
    client = api_client(team.staff)
    response = post_file(client, team.campaign, csv_bytes(CRAFTED_ROWS), query="?async=1")
    assert response.status_code == 202
    job = LeadImport.objects.get()
    assert response["Location"] == f"/api/lead-imports/{job.pk}"
    assert (response.json()["id"], response.json()["filename"]) == (job.pk, "leads.csv")
    body = wait_for(client, response["Location"])
    expected = {key: CRAFTED_RESULT[key] for key in CRAFTED_RESULT if key != "columns"}
    assert {key: body[key] for key in expected} == expected
    assert (body["status"], body["progress"], body["error"]) == ("succeeded", 100, "")
    assert stored_leads(team.campaign) == CRAFTED_LEADS
    assert stored_files(media_root) == []


@pytest.mark.django_db
def test_a_file_above_the_sync_limit_becomes_a_job(team, api_client, media_root, settings):
    settings.LEAD_IMPORT_SYNC_MAX_BYTES = 100
    content = csv_bytes(CRAFTED_ROWS)
    response = post_file(api_client(team.staff), team.campaign, content)
    assert response.status_code == 202
    job = LeadImport.objects.get()
    assert (job.status, job.created_by, job.file_size) == ("pending", team.staff, len(content))
    assert len(stored_files(media_root)) == 1
    assert Lead.objects.count() == 0


@pytest.mark.django_db
def test_xlsx_has_its_own_lower_sync_limit(team, api_client, media_root, settings):
    settings.LEAD_IMPORT_SYNC_MAX_XLSX_BYTES = 1000
    client = api_client(team.staff)
    assert post_file(client, team.campaign, csv_bytes(CRAFTED_ROWS)).status_code == 200
    response = post_file(client, team.campaign, xlsx_bytes(CRAFTED_ROWS), "leads.xlsx")
    assert (response.status_code, LeadImport.objects.get().filename) == (202, "leads.xlsx")


@pytest.mark.django_db
def test_an_async_upload_without_a_phone_column_is_refused_at_once(team, api_client, media_root):
    content = csv_bytes([["Name", "City"], ["Asha", "Pune"]])
    response = post_file(api_client(team.staff), team.campaign, content, query="?async=1")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("No phone column:")
    assert (LeadImport.objects.count(), stored_files(media_root)) == (0, [])


@pytest.mark.django_db
def test_a_job_runs_once_and_a_redelivery_changes_nothing(team, media_root):
    job = stored_job(team.campaign, csv_bytes(CRAFTED_ROWS))
    first = run_import_job(lead_import_id=job.pk)
    assert (first.status, first.created_count, first.attempts) == ("succeeded", 4, 1)
    again = run_import_job(lead_import_id=job.pk)
    assert (again.status, again.created_count, again.attempts) == ("succeeded", 4, 1)
    assert Lead.objects.count() == 4


@pytest.mark.django_db
def test_a_job_whose_worker_keeps_dying_fails_after_the_attempt_limit(team, media_root):
    job = stored_job(team.campaign, csv_bytes(CRAFTED_ROWS), status="running", attempts=3)
    job = run_import_job(lead_import_id=job.pk)
    assert (job.status, job.error) == ("failed", "Gave up after 3 attempts (worker lost).")
    assert (Lead.objects.count(), stored_files(media_root)) == (0, [])


@pytest.mark.django_db
def test_a_job_with_a_file_broken_halfway_fails_and_imports_nothing(team, media_root):
    content = csv_bytes([HEADER] + [[f"Lead {i}", f"98{i:08d}"] for i in range(5000)])
    job = stored_job(team.campaign, content + b"Bad,\xff\r\n")
    job = run_import_job(lead_import_id=job.pk)
    assert (job.status, job.error) == (
        "failed",
        "Line 5002: the file is not valid UTF-8 text; save it as 'CSV UTF-8' and upload it again.",
    )
    assert Lead.objects.count() == 0


@pytest.mark.django_db
def test_progress_of_a_running_job_is_read_from_the_cache(team, api_client, media_root):
    job = stored_job(team.campaign, b"Name,Phone\r\n", status="running")
    _report_progress(job.pk, 0.42)
    body = api_client(team.member).get(f"/api/lead-imports/{job.pk}").json()
    assert (body["status"], body["progress"]) == ("running", 42)


@pytest.mark.django_db
def test_imports_of_another_teams_campaign_are_not_shown(team, api_client, media_root):
    mine = stored_job(team.campaign, b"x")
    theirs = stored_job(team.other_campaign, b"x")
    client = api_client(team.member)
    assert [row["id"] for row in client.get("/api/lead-imports").json()["results"]] == [mine.pk]
    assert client.get(f"/api/lead-imports/{theirs.pk}/").status_code == 404
    by_campaign = client.get("/api/lead-imports", {"campaign": team.other_campaign.pk})
    assert (by_campaign.status_code, by_campaign.json()["results"]) == (200, [])


@pytest.mark.django_db
def test_import_list_query_count_is_pinned_and_independent_of_page_contents(
    team, api_client, media_root, django_assert_num_queries
):
    client = api_client(team.member)
    stored_job(team.campaign, b"x")
    with django_assert_num_queries(3):
        small = client.get("/api/lead-imports/")
    for _ in range(10):
        stored_job(team.campaign, b"x", status=LeadImportStatus.SUCCEEDED)
    with django_assert_num_queries(3):
        large = client.get("/api/lead-imports/")
    assert (small.json()["count"], large.json()["count"]) == (1, 11)
