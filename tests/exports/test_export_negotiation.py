"""What a plain HTTP client gets from GET /exports/campaigns/{id}/{kind}: the file up to the sync
limit, a job above it or with `Prefer: respond-async` (RFC 7240), and the same job again while an
identical one is pending or running (API, POST /exports/jobs and the /exports/ page alike)."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from exports import services
from exports.models import ExportJob
from tests.exports.expected import csv_text, expected
from tests.exports.test_campaign_exports import body, url

pytestmark = pytest.mark.django_db


def results_csv(crafted):
    """The results CSV of the crafted campaign, as the export tests expect it."""
    return csv_text(*expected("results", crafted))


def test_the_sync_limits_default_to_200k_csv_rows_and_100k_xlsx_rows():
    assert (django_settings.EXPORT_SYNC_MAX_ROWS, django_settings.EXPORT_SYNC_MAX_XLSX_ROWS) == (
        200_000,
        100_000,
    )
    assert (services.sync_max_rows("csv"), services.sync_max_rows("xlsx")) == (200_000, 100_000)


def test_under_the_limit_a_get_is_the_file_itself(crafted, team, api_client, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 2  # results: 2 finished calls
    response = api_client(team.member).get(url(crafted.campaign, "results", "csv"))
    assert response.status_code == 200
    assert body(response).decode("utf-8") == results_csv(crafted)
    assert "Preference-Applied" not in response
    assert "Prefer" in response["Vary"]
    assert ExportJob.objects.count() == 0


def test_above_the_limit_a_get_is_202_with_the_jobs_location(crafted, team, api_client, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 1
    response = api_client(team.member).get(url(crafted.campaign, "results", "csv"))
    job = ExportJob.objects.get()
    assert response.status_code == 202
    assert response["Location"] == f"http://testserver/exports/jobs/{job.pk}"
    assert (response.json()["id"], response.json()["status"]) == (job.pk, "pending")
    assert "Preference-Applied" not in response


def test_xlsx_has_its_own_lower_limit(crafted, team, api_client, settings):
    settings.EXPORT_SYNC_MAX_ROWS, settings.EXPORT_SYNC_MAX_XLSX_ROWS = 10, 1
    client = api_client(team.member)
    assert client.get(url(crafted.campaign, "results", "csv")).status_code == 200
    assert client.get(url(crafted.campaign, "results", "xlsx")).status_code == 202
    assert list(ExportJob.objects.values_list("format", flat=True)) == ["xlsx"]


@pytest.mark.parametrize(
    "prefer", ["respond-async", "Respond-Async", "wait=10, respond-async", "respond-async; x=1"]
)
def test_prefer_respond_async_makes_a_job_however_small(crafted, team, api_client, prefer):
    response = api_client(team.member).get(
        url(crafted.campaign, "leads", "xlsx"), headers={"Prefer": prefer}
    )
    job = ExportJob.objects.get()
    assert response.status_code == 202
    assert response["Preference-Applied"] == "respond-async"
    assert response["Location"] == f"http://testserver/exports/jobs/{job.pk}"
    assert (job.user, job.kind, job.format, job.status) == (team.member, "leads", "xlsx", "pending")


def test_another_preference_alone_still_gets_the_file(crafted, team, api_client):
    response = api_client(team.member).get(
        url(crafted.campaign, "results", "csv"), headers={"Prefer": "return=minimal"}
    )
    assert response.status_code == 200
    assert body(response).decode("utf-8") == results_csv(crafted)
    assert "Preference-Applied" not in response


def test_a_repeated_request_gets_the_pending_job_not_a_new_one(crafted, team, api_client, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 1
    client = api_client(team.member)
    first = client.get(url(crafted.campaign, "results", "csv"))
    again = client.get(url(crafted.campaign, "results", "csv"))
    asked_async = client.get(
        url(crafted.campaign, "results", "csv"), headers={"Prefer": "respond-async"}
    )
    posted = client.post(
        "/exports/jobs",
        {"campaign_id": crafted.campaign.pk, "kind": "results", "format": "csv"},
        format="json",
    )
    job = ExportJob.objects.get()
    assert [r.status_code for r in (first, again, asked_async, posted)] == [202] * 4
    assert {r["Location"] for r in (first, again, asked_async, posted)} == {
        f"http://testserver/exports/jobs/{job.pk}"
    }


def test_a_running_job_is_given_again_and_a_finished_one_is_not(crafted, team, api_client):
    client = api_client(team.member)
    prefer = {"Prefer": "respond-async"}
    first = client.get(url(crafted.campaign, "results", "csv"), headers=prefer).json()["id"]
    now = timezone.now()
    ExportJob.objects.filter(pk=first).update(status="running", started_at=now)
    assert client.get(url(crafted.campaign, "results", "csv"), headers=prefer).json()["id"] == first
    ExportJob.objects.filter(pk=first).update(status="failed", finished_at=now, error="boom")
    second = client.get(url(crafted.campaign, "results", "csv"), headers=prefer).json()["id"]
    assert second != first
    assert ExportJob.objects.count() == 2


def test_a_job_pending_for_too_long_is_not_given_again(crafted, team, api_client, settings):
    client = api_client(team.member)
    prefer = {"Prefer": "respond-async"}
    first = client.get(url(crafted.campaign, "results", "csv"), headers=prefer).json()["id"]
    # Its message lost (a broker restart): still pending after EXPORT_STALE_AFTER.
    stale = timezone.now() - settings.EXPORT_STALE_AFTER - timedelta(seconds=1)
    ExportJob.objects.filter(pk=first).update(created_at=stale)
    second = client.get(url(crafted.campaign, "results", "csv"), headers=prefer).json()["id"]
    assert second != first
    assert (
        client.get(url(crafted.campaign, "results", "csv"), headers=prefer).json()["id"] == second
    )


def test_a_different_export_or_another_user_gets_a_job_of_its_own(crafted, team, api_client):
    prefer = {"Prefer": "respond-async"}
    member = api_client(team.member)
    ids = [
        member.get(url(crafted.campaign, "results", "csv"), headers=prefer).json()["id"],
        member.get(url(crafted.campaign, "results", "xlsx"), headers=prefer).json()["id"],
        member.get(url(crafted.campaign, "leads", "csv"), headers=prefer).json()["id"],
        member.get(url(crafted.campaign, "results", "csv") + "&include=all", headers=prefer).json()[
            "id"
        ],
        member.get(
            url(crafted.campaign, "results", "csv") + "&from=2025-01-01&to=2025-01-31",
            headers=prefer,
        ).json()["id"],
        api_client(team.staff)
        .get(url(crafted.campaign, "results", "csv"), headers=prefer)
        .json()["id"],
    ]
    assert len(set(ids)) == 6
    assert ExportJob.objects.count() == 6


def test_the_page_form_downloads_a_small_export_at_once(crafted, team, client):
    client.force_login(team.member)
    form = {"campaign_id": crafted.campaign.pk, "kind": "results", "format": "csv"}
    response = client.post("/exports/", form)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="powai-launch-results-')
    assert body(response).decode("utf-8") == results_csv(crafted)
    assert ExportJob.objects.count() == 0


def test_the_page_form_makes_one_job_of_a_large_export_asked_twice(crafted, team, client, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 1
    client.force_login(team.member)
    form = {"campaign_id": crafted.campaign.pk, "kind": "results", "format": "csv"}
    first, again = client.post("/exports/", form), client.post("/exports/", form)
    job = ExportJob.objects.get()
    assert (first["Location"], again["Location"]) == (f"/exports/?job={job.pk}",) * 2
