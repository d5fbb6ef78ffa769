"""Export jobs in-process: running one, its progress, claims, failure, expiry and the reaper."""

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from exports import services
from exports.models import ExportJob
from tests.exports.test_campaign_exports import RESULTS_CSV
from voiceagent.events import export_progress

pytestmark = pytest.mark.django_db


def new_job(user, campaign, kind="results", fmt="csv", **fields):
    job = services.create_export_job(user=user, campaign=campaign, kind=kind, fmt=fmt)
    if fields:
        ExportJob.objects.filter(pk=job.pk).update(**fields)
        job.refresh_from_db()
    return job


def run(job):
    return services.run_export_job(job_id=job.pk, task_id=job.task_id)


def test_csv_job_stores_the_exact_file_under_a_random_folder(crafted, team, settings):
    job = run(new_job(team.member, crafted.campaign))
    today = timezone.localdate().isoformat()
    assert re.fullmatch(rf"exports/[0-9a-f]{{32}}/powai-launch-results-{today}\.csv", job.file.name)
    with default_storage.open(job.file.name, "rb") as stored:
        assert stored.read().decode("utf-8") == RESULTS_CSV
    assert job.file_size == len(RESULTS_CSV.encode("utf-8"))
    assert (job.status, job.progress, job.rows_written, job.total_rows, job.attempts) == (
        "succeeded",
        100,
        2,
        2,
        1,
    )
    assert job.expires_at == job.finished_at + settings.EXPORT_TTL
    assert job.error == ""


def test_xlsx_job_stores_a_workbook_of_the_campaign(crafted, team):
    job = run(new_job(team.member, crafted.campaign, "leads", "xlsx"))
    with default_storage.open(job.file.name, "rb") as stored:
        sheet = openpyxl.load_workbook(io.BytesIO(stored.read())).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["अनिता शर्मा", '\'=HYPERLINK("http://evil.example","x")', "सुनील पाटील"]
    assert (job.status, job.rows_written) == ("succeeded", 3)


def test_progress_is_published_as_rows_are_written(
    crafted, team, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_PROGRESS_EVERY = 1
    seen = []

    def listen(sender, *, job, **kwargs):
        seen.append((job.status, job.progress, job.rows_written))

    export_progress.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            job = new_job(team.member, crafted.campaign, "leads", "xlsx")
        with django_capture_on_commit_callbacks(execute=True):
            run(job)
    finally:
        export_progress.disconnect(listen)
    # The task sent to the broker, the "pending" event, the audit event of the request.
    assert len(callbacks) == 3
    assert seen == [
        ("running", 0, 0),  # claimed
        ("running", 0, 0),  # total rows counted
        ("running", 33, 1),
        ("running", 66, 2),
        ("running", 99, 3),
        ("succeeded", 100, 3),
    ]


def test_progress_is_written_every_few_thousand_rows_not_every_row(crafted, team, settings):
    settings.EXPORT_PROGRESS_EVERY = 2
    progress = services._Progress(new_job(team.member, crafted.campaign), "other-task", 10)
    progress(1)  # below the first step: nothing written, nothing to check
    with pytest.raises(services.JobSuperseded):
        progress(2)  # a write, refused: this run does not own the job


def test_a_delivery_with_another_task_id_does_nothing(crafted, team):
    job = new_job(team.member, crafted.campaign)
    services.run_export_job(job_id=job.pk, task_id="stale-message")
    job.refresh_from_db()
    assert (job.status, job.attempts, job.file.name) == ("pending", 0, "")


def test_a_delivery_for_a_deleted_job_does_nothing(crafted, team):
    job = new_job(team.member, crafted.campaign)
    job_id, task_id = job.pk, job.task_id
    job.delete()
    assert services.run_export_job(job_id=job_id, task_id=task_id) is None


def test_a_redelivered_running_job_runs_again_as_a_new_attempt(crafted, team):
    job = new_job(
        team.member, crafted.campaign, status="running", attempts=1, started_at=timezone.now()
    )
    job = run(job)
    assert (job.status, job.attempts) == ("succeeded", 2)


def test_a_job_redelivered_after_its_last_attempt_fails_instead_of_looping(crafted, team, settings):
    job = new_job(
        team.member, crafted.campaign, status="running", attempts=3, started_at=timezone.now()
    )
    job = run(job)
    assert (job.status, job.attempts, job.file.name) == ("failed", 3, "")
    assert job.error == (
        "The export was started 3 times and its worker stopped each time "
        "(killed, out of memory or over the time limit); giving up."
    )


def test_an_error_while_exporting_fails_the_job_with_its_message(crafted, team):
    job = new_job(team.member, crafted.campaign, selected_ids=["not-an-id"])
    job = run(job)
    assert job.status == "failed"
    assert job.error == "ValueError: Field 'id' expected a number but got 'not-an-id'."
    assert job.finished_at is not None
    assert job.file.name == ""


def test_a_job_taken_over_meanwhile_refuses_this_runs_writes(crafted, team):
    job = new_job(team.member, crafted.campaign)
    claimed = services._claim(job_id=job.pk, task_id=job.task_id)
    ExportJob.objects.filter(pk=job.pk).update(status="pending", task_id="requeued")
    with pytest.raises(services.JobSuperseded):
        services._update_running(claimed, job.task_id, rows_written=1)
    job.refresh_from_db()
    assert (job.status, job.task_id, job.rows_written) == ("pending", "requeued", 0)


def test_expiry_deletes_the_file_and_marks_the_job_expired(crafted, team):
    job = run(new_job(team.member, crafted.campaign))
    name = job.file.name
    expired = services.expire_export_jobs(now=job.expires_at)
    job.refresh_from_db()
    assert expired == 1
    assert (job.status, job.file.name, default_storage.exists(name)) == ("expired", "", False)


def test_expiry_leaves_files_not_yet_due(crafted, team):
    job = run(new_job(team.member, crafted.campaign))
    assert services.expire_export_jobs(now=job.expires_at - timedelta(seconds=1)) == 0
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert default_storage.exists(job.file.name)


def test_a_job_no_worker_started_within_the_ttl_fails(crafted, team, settings):
    job = new_job(team.member, crafted.campaign)
    services.expire_export_jobs(now=job.created_at + settings.EXPORT_TTL)
    job.refresh_from_db()
    assert (job.status, job.error) == (
        "failed",
        "No worker started the export in time; please ask for it again.",
    )


def test_a_job_failed_for_want_of_a_worker_is_published(
    crafted, team, settings, django_capture_on_commit_callbacks
):
    # Published like every other failure: the live exports page and errors_total see it.
    seen = []

    def listen(sender, *, job, **kwargs):
        seen.append((job.pk, job.status))

    job = new_job(team.member, crafted.campaign)
    export_progress.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.expire_export_jobs(now=job.created_at + settings.EXPORT_TTL)
    finally:
        export_progress.disconnect(listen)
    assert seen == [(job.pk, "failed")]


def test_a_soft_time_limit_fails_the_job_with_a_plain_reason(settings):
    from celery.exceptions import SoftTimeLimitExceeded

    settings.CELERY_TASK_SOFT_TIME_LIMIT = 3 * 3600
    assert services._failure_message(SoftTimeLimitExceeded()) == (
        "The export took longer than its 3 h limit; export fewer rows."
    )
    assert services._failure_message(OSError("no route to postgres://u:pw@db:5432/x")) == (
        "OSError: no route to <url>"
    )


def test_reaper_requeues_a_stale_running_job_under_a_new_task_id(
    crafted, team, django_capture_on_commit_callbacks
):
    stale = timezone.now() - timedelta(minutes=20)
    job = new_job(
        team.member,
        crafted.campaign,
        status="running",
        attempts=1,
        started_at=stale,
        heartbeat_at=stale,
        rows_written=40,
    )
    with django_capture_on_commit_callbacks() as callbacks:
        result = services.reap_stale_export_jobs()
    old_task_id = job.task_id
    job.refresh_from_db()
    assert (result.requeued, result.failed) == ([job.pk], [])
    assert (job.status, job.attempts, job.rows_written) == ("pending", 1, 0)
    assert job.task_id != old_task_id
    assert len(callbacks) == 2  # the new task message and the progress event
    assert run(job).status == "succeeded"


def test_reaper_fails_a_stale_job_whose_attempts_are_used_up(crafted, team):
    stale = timezone.now() - timedelta(minutes=20)
    job = new_job(
        team.member,
        crafted.campaign,
        status="running",
        attempts=3,
        started_at=stale,
        heartbeat_at=stale,
    )
    result = services.reap_stale_export_jobs()
    job.refresh_from_db()
    assert (result.requeued, result.failed) == ([], [job.pk])
    assert job.status == "failed"
    assert job.error.startswith("The export was started 3 times")


def test_reaper_leaves_running_jobs_with_a_recent_heartbeat(crafted, team):
    recent = timezone.now() - timedelta(minutes=2)
    job = new_job(
        team.member, crafted.campaign, status="running", started_at=recent, heartbeat_at=recent
    )
    result = services.reap_stale_export_jobs()
    job.refresh_from_db()
    assert (result.requeued, result.failed, job.status) == ([], [], "running")


def test_deleting_a_job_deletes_its_file(crafted, team, django_capture_on_commit_callbacks):
    job = run(new_job(team.member, crafted.campaign))
    name = job.file.name
    with django_capture_on_commit_callbacks(execute=True):
        job.delete()
    assert default_storage.exists(name) is False


def test_celery_is_configured_so_a_running_export_is_never_delivered_twice(settings):
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT < visibility


def test_beat_runs_expiry_and_the_reaper(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["exports-expire"]["task"] == "exports.expire_export_jobs"
    assert schedule["exports-reap-stale"]["task"] == "exports.reap_stale_export_jobs"
    assert schedule["exports-reap-stale"]["schedule"] < settings.EXPORT_STALE_AFTER


def test_expiry_and_reaper_tasks_call_their_services(crafted, team):
    from exports import tasks

    job = run(new_job(team.member, crafted.campaign))
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.expire_export_jobs.apply().get() == 1
    assert tasks.reap_stale_export_jobs.apply().get() == {"requeued": [], "failed": []}
    job.refresh_from_db()
    assert job.status == "expired"
