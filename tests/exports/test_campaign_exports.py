"""GET /exports/campaigns/{id}/{kind}: the exact file for small exports, a job for large ones."""

import io

import openpyxl
import pytest

from exports.models import ExportJob
from tests.exports.expected import csv_text, expected, xlsx_values
from tests.factories import make_call, make_lead

pytestmark = pytest.mark.django_db

KINDS = ["results", "transcripts", "leads"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

RESULTS_CSV = (
    "\ufeffCall SID,Call date,Initiated at,Lead,Phone,Email,City,Status,Status code,Outcome,"
    "Outcome code,Ended by,Ended by code,Attempt,Lead call attempts,Duration (s),Purpose,Timeline,Interest level,Budget,Stages reached,"
    "Objections,Recording URL,Cost (₹),Script variant\n"
    "CA-ANITA-1,2025-01-15,2025-01-15T09:30:00+05:30,अनिता शर्मा,+91 98XXX XX678,"
    "anita@example.com,Mumbai,Completed,completed,Qualified,qualified,Lead,lead,1,1,125,buy,3 months,high,80 lakh,"
    "greeting > discovery > qualification,price: Too costly; timing,"
    "https://recordings.example/CA-ANITA-1.mp3,2.84,default\n"
    "CA-PAYLOAD-1,2025-01-16,2025-01-16T01:30:00+05:30,"
    '"\'=HYPERLINK(""http://evil.example"",""x"")",+91 98XXX XX002,,\'-Pune,No answer,no_answer,No answer,'
    "no_answer,,,2,2,0,,,,,,,,0.00,warm-open\n"
)


def url(campaign, kind, fmt=None, slash=""):
    query = f"?format={fmt}" if fmt else ""
    return f"/exports/campaigns/{campaign.pk}/{kind}{slash}{query}"


def body(response):
    return b"".join(response.streaming_content)


def read_xlsx(content):
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return workbook, [
        [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook
    ]


def test_results_csv_is_exactly_the_expected_file(crafted, team, api_client):
    response = api_client(team.member).get(url(crafted.campaign, "results", "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body(response).decode("utf-8") == RESULTS_CSV


@pytest.mark.parametrize("kind", KINDS)
def test_csv_of_each_kind_has_the_expected_cells(crafted, team, api_client, kind):
    response = api_client(team.member).get(url(crafted.campaign, kind, "csv"))
    assert response.status_code == 200
    assert body(response).decode("utf-8") == csv_text(*expected(kind, crafted))


@pytest.mark.parametrize("kind", KINDS)
def test_xlsx_of_each_kind_reads_back_with_the_expected_values_and_types(
    crafted, team, api_client, kind
):
    response = api_client(team.member).get(url(crafted.campaign, kind, "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    content = body(response)
    assert int(response["Content-Length"]) == len(content)
    workbook, sheets = read_xlsx(content)
    header, rows = expected(kind, crafted)
    assert workbook.sheetnames == [kind.capitalize()]
    assert sheets == [[header, *xlsx_values(rows)]]


def test_xlsx_numbers_are_numbers_and_phones_text(crafted, team, api_client):
    response = api_client(team.member).get(url(crafted.campaign, "results", "xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    assert sheet["P2"].value == 125 and sheet["P2"].data_type == "n"  # duration
    assert sheet["N3"].value == 2 and sheet["N3"].data_type == "n"  # attempt
    assert sheet["E2"].value == "+91 98XXX XX678" and sheet["E2"].data_type == "s"


def test_xlsx_has_frozen_header_autofilter_and_widths(crafted, team, api_client):
    response = api_client(team.member).get(url(crafted.campaign, "results", "xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:Y3"
    assert sheet.column_dimensions["A"].width == pytest.approx(20.71, abs=0.01)
    # Stages reached and Objections share one width, stored as the one range U:V.
    assert (sheet.column_dimensions["U"].min, sheet.column_dimensions["U"].max) == (21, 22)
    assert sheet.column_dimensions["U"].width == pytest.approx(44.71, abs=0.01)
    assert sheet.column_dimensions["W"].width == pytest.approx(30.71, abs=0.01)
    assert sheet["A1"].font.b is True


@pytest.mark.parametrize(("fmt", "extension"), [("csv", "csv"), ("xlsx", "xlsx")])
def test_attachment_name_is_the_slugged_campaign_kind_and_date(
    crafted, team, api_client, fmt, extension, settings
):
    crafted.campaign.name = 'Powai "launch" / फेज़ 2'
    crafted.campaign.save()
    response = api_client(team.member).get(url(crafted.campaign, "leads", fmt))
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="powai-launch-2-leads-{today}.{extension}"'
    )


def test_format_defaults_to_csv(crafted, team, api_client):
    response = api_client(team.member).get(url(crafted.campaign, "results"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body(response).decode("utf-8") == RESULTS_CSV


@pytest.mark.parametrize("slash", ["", "/"])
def test_path_answers_with_and_without_trailing_slash(crafted, team, api_client, slash):
    response = api_client(team.member).get(url(crafted.campaign, "results", "csv", slash))
    assert response.status_code == 200
    assert body(response).decode("utf-8") == RESULTS_CSV


def test_unknown_format_is_400_naming_it(crafted, team, api_client):
    response = api_client(team.member).get(url(crafted.campaign, "results", "pdf"))
    assert response.status_code == 400
    assert response.json() == {
        "detail": 'Invalid input: format: "pdf" is not a valid choice.',
        "errors": {"format": ['"pdf" is not a valid choice.']},
    }


def test_unknown_kind_is_400_naming_it(crafted, team, api_client):
    response = api_client(team.member).get(url(crafted.campaign, "calls", "csv"))
    assert response.status_code == 400
    assert response.json() == {
        "detail": 'Invalid input: kind: "calls" is not a valid choice.',
        "errors": {"kind": ['"calls" is not a valid choice.']},
    }


def test_campaign_of_another_team_is_404(crafted, team, api_client):
    response = api_client(team.outsider).get(url(crafted.campaign, "results", "csv"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No campaign with that id."}


def test_anonymous_request_is_refused(crafted, api_client):
    response = api_client(None).get(url(crafted.campaign, "results", "csv"))
    # Session authentication comes first, so DRF answers 403 rather than 401.
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_staff_export_any_campaign(crafted, team, api_client):
    response = api_client(team.staff).get(url(crafted.campaign, "results", "csv"))
    # Staff see phones in full (personal_data.phones), the member's file has them masked.
    full = RESULTS_CSV.replace("+91 98XXX XX678", "+91 98123 45678").replace(
        "+91 98XXX XX002", "+91 98000 00002"
    )
    assert body(response).decode("utf-8") == full


def test_export_above_the_sync_limit_becomes_a_job(crafted, team, api_client, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 2
    response = api_client(team.member).get(url(crafted.campaign, "leads", "xlsx"))
    assert response.status_code == 202
    job = ExportJob.objects.get()
    assert (job.user, job.campaign, job.kind, job.format, job.status) == (
        team.member,
        crafted.campaign,
        "leads",
        "xlsx",
        "pending",
    )
    assert response["Location"] == f"http://testserver/exports/jobs/{job.pk}"
    assert response.json()["id"] == job.pk
    assert response.json()["status"] == "pending"


def test_export_at_the_sync_limit_is_still_the_file(crafted, team, api_client, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 3
    response = api_client(team.member).get(url(crafted.campaign, "leads", "csv"))
    assert response.status_code == 200
    assert ExportJob.objects.count() == 0


def _grow(campaign, n):
    for _ in range(n):
        lead = make_lead(campaign)
        make_call(lead)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", KINDS)
def test_query_count_does_not_grow_with_rows(
    crafted, team, api_client, django_assert_max_num_queries, kind, fmt
):
    client = api_client(team.member)
    # The token, the campaign, the row count, the member's two permission reads (phone masking).
    with django_assert_max_num_queries(6) as small:
        body(client.get(url(crafted.campaign, kind, fmt)))
    _grow(crafted.campaign, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body(client.get(url(crafted.campaign, kind, fmt)))


def test_under_asgi_the_csv_streams_from_an_async_iterator(crafted, team):
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=team.member)
    client = AsyncClient()

    async def fetch():
        response = await client.get(
            url(crafted.campaign, "results", "csv"),
            headers={"Authorization": f"Token {token.key}"},
        )
        chunks = [chunk async for chunk in response.streaming_content]
        return response, chunks

    response, chunks = async_to_sync(fetch)()
    assert response.status_code == 200
    assert response.is_async is True
    assert b"".join(chunks).decode("utf-8") == RESULTS_CSV
