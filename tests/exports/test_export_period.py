"""Exports follow the period: the finished calls of `days` or `from`/`to` (as calls_made counts
them), every call with include=all, the range in the file name, the analytics endpoints' 400s."""

import csv
import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone

from analytics.periods import Period
from exports import services, writers
from exports.models import ExportJob
from exports.queries import export_rows, source_for
from tests.factories import make_call, make_lead, make_turn
from voiceagent.models import CallOutcome, CallSession, CallStatus

pytestmark = pytest.mark.django_db

RANGE = {"from": "2025-03-01", "to": "2025-03-10"}
# Finished calls of 1–10 March 2025 in Asia/Kolkata, one of each finished status, two of them
# on the range's edges (00:00:00 IST on the 1st, 23:59:59 IST on the 10th).
FINISHED_IN_RANGE = ["CA-FIRST-MINUTE", "CA-NO-ANSWER", "CA-BUSY", "CA-FAILED", "CA-LAST-SECOND"]
# Also initiated in the range, but not counted in calls_made.
UNFINISHED_IN_RANGE = ["CA-CANCELED", "CA-RINGING", "CA-TALKING"]
FINISHED_OUTSIDE = ["CA-DAY-BEFORE", "CA-DAY-AFTER"]


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def march(team):
    """Calls of team.campaign around 1–10 March 2025, each with one transcript turn."""
    lead = make_lead(team.campaign, "Meera Iyer", phone="+919822000001", city="Powai")
    calls = [
        # 2025-03-01 00:00:00 IST
        ("CA-FIRST-MINUTE", CallStatus.COMPLETED, utc(2025, 2, 28, 18, 30), CallOutcome.QUALIFIED),
        ("CA-NO-ANSWER", CallStatus.NO_ANSWER, utc(2025, 3, 3, 5, 0), CallOutcome.NO_ANSWER),
        ("CA-BUSY", CallStatus.BUSY, utc(2025, 3, 4, 5, 0), CallOutcome.NO_ANSWER),
        ("CA-FAILED", CallStatus.FAILED, utc(2025, 3, 5, 5, 0), CallOutcome.FAILED),
        # 2025-03-10 23:59:59 IST
        ("CA-LAST-SECOND", CallStatus.COMPLETED, utc(2025, 3, 10, 18, 29, 59), ""),
        ("CA-CANCELED", CallStatus.CANCELED, utc(2025, 3, 6, 5, 0), ""),
        ("CA-RINGING", CallStatus.RINGING, utc(2025, 3, 7, 5, 0), ""),
        ("CA-TALKING", CallStatus.IN_PROGRESS, utc(2025, 3, 8, 5, 0), ""),
        # 2025-02-28 23:59:59 IST and 2025-03-11 00:00:00 IST
        ("CA-DAY-BEFORE", CallStatus.COMPLETED, utc(2025, 2, 28, 18, 29, 59), ""),
        ("CA-DAY-AFTER", CallStatus.COMPLETED, utc(2025, 3, 10, 18, 30), ""),
    ]
    for call_sid, status, initiated_at, outcome in calls:
        call = make_call(
            lead, call_sid=call_sid, status=status, initiated_at=initiated_at, outcome=outcome
        )
        make_turn(call, 1, text=f"Hello from {call_sid}")
    return team.campaign


def export_url(campaign, kind="results", **params):
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return f"/exports/campaigns/{campaign.pk}/{kind}?{query}"


def file_body(response):
    return b"".join(response.streaming_content)


def csv_rows(content):
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]


def xlsx_rows(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def rows_of(content, fmt):
    return csv_rows(content) if fmt == "csv" else xlsx_rows(content)


def calls_made(client, campaign, **params):
    response = client.get(f"/analytics/campaigns/{campaign.pk}/metrics", params)
    assert response.status_code == 200
    return response.json()["calls_made"]


# --- the synchronous file ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_results_of_a_range_are_the_calls_counted_in_calls_made(march, team, api_client, fmt):
    client = api_client(team.member)
    response = client.get(export_url(march, format=fmt, **RANGE))
    assert response.status_code == 200
    rows = rows_of(file_body(response), fmt)
    assert calls_made(client, march, **RANGE) == 5
    assert [row[0] for row in rows] == FINISHED_IN_RANGE
    assert [row[8] for row in rows] == ["completed", "no_answer", "busy", "failed", "completed"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_results_of_the_last_days_match_calls_made_of_those_days(team, api_client, fmt):
    lead = make_lead(team.campaign, "Ravi", phone="+919822000002")
    now = timezone.now()
    make_call(lead, call_sid="CA-TODAY", initiated_at=now)
    make_call(lead, call_sid="CA-CANCELED-TODAY", status=CallStatus.CANCELED, initiated_at=now)
    make_call(lead, call_sid="CA-LAST-MONTH", initiated_at=utc(2025, 1, 1, 6, 0))
    client = api_client(team.member)
    rows = rows_of(file_body(client.get(export_url(team.campaign, format=fmt, days=7))), fmt)
    assert calls_made(client, team.campaign, days=7) == 1
    assert [row[0] for row in rows] == ["CA-TODAY"]


def test_include_all_adds_canceled_and_unfinished_calls_of_the_range(march, team, api_client):
    response = api_client(team.member).get(export_url(march, include="all", **RANGE))
    assert [row[0] for row in csv_rows(file_body(response))] == [
        "CA-FIRST-MINUTE",
        "CA-NO-ANSWER",
        "CA-BUSY",
        "CA-FAILED",
        "CA-CANCELED",
        "CA-RINGING",
        "CA-TALKING",
        "CA-LAST-SECOND",
    ]


def test_without_a_period_results_are_every_finished_call(march, team, api_client):
    client = api_client(team.member)
    rows = csv_rows(file_body(client.get(export_url(march))))
    assert calls_made(client, march) == 7
    assert [row[0] for row in rows] == [
        "CA-DAY-BEFORE",
        "CA-FIRST-MINUTE",
        "CA-NO-ANSWER",
        "CA-BUSY",
        "CA-FAILED",
        "CA-LAST-SECOND",
        "CA-DAY-AFTER",
    ]


def test_without_a_period_include_all_is_every_call(march, team, api_client):
    rows = csv_rows(file_body(api_client(team.member).get(export_url(march, include="all"))))
    assert len(rows) == 10


def test_transcripts_hold_the_turns_of_the_exported_calls(march, team, api_client):
    response = api_client(team.member).get(export_url(march, "transcripts", **RANGE))
    assert [row[-1] for row in csv_rows(file_body(response))] == [
        f"Hello from {call_sid}" for call_sid in FINISHED_IN_RANGE
    ]


@pytest.mark.parametrize(
    ("params", "filename"),
    [
        (RANGE, "powai-launch-results-2025-03-01-to-2025-03-10.csv"),
        (
            {**RANGE, "include": "all"},
            "powai-launch-results-all-calls-2025-03-01-to-2025-03-10.csv",
        ),
        ({}, "powai-launch-results-{today}.csv"),
    ],
)
def test_file_name_carries_the_range(march, team, api_client, params, filename):
    response = api_client(team.member).get(export_url(march, **params))
    filename = filename.format(today=timezone.localdate().isoformat())
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


@pytest.mark.parametrize(
    "query",
    ["from=2025-13-01", "from=2025-03-10&to=2025-03-01", "days=0", "days=7&from=2025-03-01"],
)
def test_a_bad_period_is_the_same_400_as_the_analytics_endpoint(march, team, api_client, query):
    client = api_client(team.member)
    exported = client.get(f"/exports/campaigns/{march.pk}/results?{query}")
    analysed = client.get(f"/analytics/campaigns/{march.pk}/metrics?{query}")
    assert exported.status_code == analysed.status_code == 400
    assert exported.json() == analysed.json()


def test_a_bad_from_names_it(march, team, api_client):
    response = api_client(team.member).get(export_url(march, **{"from": "2025-13-01"}))
    assert response.json()["detail"] == (
        "Invalid input: from: Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
    )


def test_an_unknown_include_is_400_naming_it(march, team, api_client):
    response = api_client(team.member).get(export_url(march, include="some"))
    assert response.status_code == 400
    assert response.json()["detail"] == ('Invalid input: include: "some" is not a valid choice.')


def test_a_period_for_a_lead_list_is_400_saying_why(march, team, api_client):
    response = api_client(team.member).get(export_url(march, "leads", **RANGE))
    assert response.status_code == 400
    reason = (
        "A lead list holds every lead as of now; days, from, to and include apply to results "
        "and transcripts only."
    )
    assert response.json() == {
        "detail": f"Invalid input: from: {reason}",
        "errors": {"from": [reason]},
    }


def test_a_period_that_makes_it_small_enough_is_the_file_not_a_job(
    march, team, api_client, settings
):
    settings.EXPORT_SYNC_MAX_ROWS = 5
    client = api_client(team.member)
    assert client.get(export_url(march, **RANGE)).status_code == 200
    whole = client.get(export_url(march))
    assert whole.status_code == 202
    assert whole.json()["from"] is None
    assert ExportJob.objects.get().include == "finished"


def test_a_large_export_of_a_range_becomes_a_job_of_that_range(march, team, api_client, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 4
    response = api_client(team.member).get(export_url(march, include="all", **RANGE))
    assert response.status_code == 202
    assert (response.json()["from"], response.json()["to"], response.json()["include"]) == (
        "2025-03-01",
        "2025-03-10",
        "all",
    )


def test_query_count_of_a_ranged_export_is_pinned(
    march, team, api_client, django_assert_num_queries
):
    client = api_client(team.member)
    # The token, the campaign, the row count, the member's permissions (user's and groups', to
    # mask phones); the COPY itself runs on the raw connection.
    with django_assert_num_queries(5):
        file_body(client.get(export_url(march, **RANGE)))
    with django_assert_num_queries(6):  # the rows come through the ORM's cursor
        file_body(client.get(export_url(march, format="xlsx", **RANGE)))


# --- export jobs -------------------------------------------------------------------------------


def post_job(client, campaign, **fields):
    return client.post(
        "/exports/jobs", {"campaign_id": campaign.pk, "kind": "results", **fields}, format="json"
    )


def stored_file(job):
    with default_storage.open(job.file.name, "rb") as stored:
        return stored.read()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_job_of_a_range_exports_the_calls_counted_in_calls_made(march, team, api_client, fmt):
    client = api_client(team.member)
    response = post_job(client, march, format=fmt, **RANGE)
    assert response.status_code == 202
    job = ExportJob.objects.get(pk=response.json()["id"])
    job = services.run_export_job(job_id=job.pk, task_id=job.task_id)
    assert job.rows_written == calls_made(client, march, **RANGE) == 5
    assert [row[0] for row in rows_of(stored_file(job), fmt)] == FINISHED_IN_RANGE
    assert job.file.name.endswith(f"/powai-launch-results-2025-03-01-to-2025-03-10.{fmt}")


def test_a_job_shows_and_stores_its_range_and_include(march, team, api_client):
    response = post_job(api_client(team.member), march, format="csv", include="all", **RANGE)
    data = response.json()
    assert (data["from"], data["to"], data["include"]) == ("2025-03-01", "2025-03-10", "all")
    job = ExportJob.objects.get(pk=data["id"])
    assert (str(job.period_from), str(job.period_to), job.include) == (
        "2025-03-01",
        "2025-03-10",
        "all",
    )
    job = services.run_export_job(job_id=job.pk, task_id=job.task_id)
    assert job.rows_written == 8


def test_a_job_of_days_stores_the_dates_it_covered(march, team, api_client):
    response = post_job(api_client(team.member), march, format="csv", days=7)
    today = timezone.localdate()
    assert response.json()["to"] == today.isoformat()
    job = ExportJob.objects.get()
    assert (job.period_to - job.period_from).days == 6


def test_a_job_without_a_period_is_all_time_finished_calls(march, team, api_client):
    response = post_job(api_client(team.member), march, format="csv")
    data = response.json()
    assert (data["from"], data["to"], data["include"]) == (None, None, "finished")
    job = services.run_export_job(job_id=data["id"], task_id=ExportJob.objects.get().task_id)
    assert job.rows_written == 7


def test_a_job_with_a_bad_from_is_400_naming_it_and_stores_nothing(march, team, api_client):
    response = post_job(api_client(team.member), march, format="csv", **{"from": "1 March"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input: from: Date has wrong format. Use one of these formats instead: "
        "YYYY-MM-DD.",
        "errors": {
            "from": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]
        },
    }
    assert ExportJob.objects.count() == 0


def test_a_job_of_a_lead_list_with_a_period_is_400(march, team, api_client):
    response = post_job(api_client(team.member), march, format="csv", kind="leads", days=7)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "days": [
            "A lead list holds every lead as of now; days, from, to and include apply to "
            "results and transcripts only."
        ]
    }
    assert ExportJob.objects.count() == 0


def test_admin_selection_of_calls_exports_each_picked_call_whatever_its_status(march, team):
    picked = CallSession.objects.filter(call_sid__in=["CA-CANCELED", "CA-BUSY"])
    [job] = services.create_jobs_for_selection(user=team.staff, queryset=picked, fmt="csv")
    job = services.run_export_job(job_id=job.pk, task_id=job.task_id)
    assert [row[0] for row in csv_rows(stored_file(job))] == ["CA-BUSY", "CA-CANCELED"]


@pytest.mark.parametrize("kind", ["results", "transcripts"])
@pytest.mark.parametrize("include", ["finished", "all"])
def test_copy_path_and_python_writer_apply_the_same_period(march, team, kind, include):
    scope = {
        "kind": kind,
        "campaign": march,
        "user": team.member,
        "period": Period(first=date(2025, 3, 1), last=date(2025, 3, 10)),
        "include": include,
    }
    copy = b"".join(services.csv_chunks(**scope))
    python = b"".join(writers.iter_csv(source_for(kind).columns, export_rows(**scope)))
    assert copy == python
    assert copy.count(b"\n") == 1 + (5 if include == "finished" else 8)


# --- the pages' export forms -------------------------------------------------------------------


def test_campaign_page_export_form_carries_the_pages_range(march, team, client):
    client.force_login(team.member)
    html = client.get(f"/campaigns/{march.pk}/", RANGE).content.decode()
    form = html[
        html.index('class="export-form"') : html.index("</form>", html.index("export-form"))
    ]
    assert '<input type="hidden" name="from" value="2025-03-01">' in form
    assert '<input type="hidden" name="to" value="2025-03-10">' in form
    assert '<input type="checkbox" name="include" value="all">' in form
    assert '<p class="card-value" data-metric="calls_made" data-format="count">5</p>' in html


def test_export_form_with_the_pages_range_makes_a_job_of_that_range(march, team, client, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 0  # a job, not the file at once
    client.force_login(team.member)
    form = {"campaign_id": march.pk, "kind": "results", "format": "csv", **RANGE}
    response = client.post("/exports/", form)
    job = ExportJob.objects.get()
    assert response["Location"] == f"/exports/?job={job.pk}"
    assert (str(job.period_from), str(job.period_to), job.include) == (
        "2025-03-01",
        "2025-03-10",
        "finished",
    )
    job = services.run_export_job(job_id=job.pk, task_id=job.task_id)
    assert job.rows_written == 5
    html = client.get("/exports/").content.decode()
    assert "1 Mar 2025 – 10 Mar 2025" in html


def test_export_form_of_a_lead_list_ignores_the_pages_range(march, team, client, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 0  # a job, not the file at once
    client.force_login(team.member)
    client.post("/exports/", {"campaign_id": march.pk, "kind": "leads", "format": "csv", **RANGE})
    job = ExportJob.objects.get()
    assert (job.period_from, job.period_to) == (None, None)


def test_export_form_with_a_bad_range_is_400_saying_so(march, team, client):
    client.force_login(team.member)
    form = {"campaign_id": march.pk, "kind": "results", "format": "csv", "from": "2025-03-40"}
    response = client.post("/exports/", form)
    assert response.status_code == 400
    assert (
        "The calls&#x27; from is not valid: Date has wrong format. Use one of these formats "
        "instead: YYYY-MM-DD." in response.content.decode()
    )
    assert ExportJob.objects.count() == 0


def test_overview_quick_export_buttons_carry_a_period_when_given():
    html = render_to_string(
        "analytics/_export_buttons.html",
        {
            "campaign_id": 7,
            "campaign_name": "Powai",
            "period": Period(first=date(2025, 3, 1), last=date(2025, 3, 10)),
        },
    )
    assert '<input type="hidden" name="from" value="2025-03-01">' in html
    assert '<input type="hidden" name="to" value="2025-03-10">' in html
    assert 'name="from"' not in render_to_string(
        "analytics/_export_buttons.html", {"campaign_id": 7, "campaign_name": "Powai"}
    )
