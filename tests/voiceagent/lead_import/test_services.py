"""Lead import through POST /api/campaigns/{id}/leads/import: counts, merging, DNC, bad files."""

import io
import random
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_campaign, make_lead
from tests.voiceagent.lead_import.files import (
    CRAFTED_LEADS,
    CRAFTED_RESULT,
    CRAFTED_ROWS,
    HEADER,
    csv_bytes,
    import_url,
    list_dnc_number,
    post_file,
    stored_leads,
    xlsx_bytes,
)
from voiceagent.lead_import.files import FileRejected
from voiceagent.lead_import.services import import_leads
from voiceagent.models import CampaignStatus, Lead

pytestmark = pytest.mark.django_db


def test_crafted_csv_imports_good_rows_and_reports_each_bad_one(team, api_client):
    list_dnc_number()
    response = post_file(api_client(team.staff), team.campaign, csv_bytes(CRAFTED_ROWS))
    assert response.status_code == 200
    assert response.json() == CRAFTED_RESULT
    assert stored_leads(team.campaign) == CRAFTED_LEADS


def test_crafted_xlsx_imports_exactly_like_the_csv(team, api_client):
    list_dnc_number()
    content = xlsx_bytes(CRAFTED_ROWS)
    response = post_file(api_client(team.staff), team.campaign, content, "leads.xlsx")
    assert response.status_code == 200
    assert response.json() == CRAFTED_RESULT
    assert stored_leads(team.campaign) == CRAFTED_LEADS


def test_importing_the_same_file_twice_changes_nothing(team, api_client):
    list_dnc_number()
    client = api_client(team.staff)
    post_file(client, team.campaign, csv_bytes(CRAFTED_ROWS))
    before = list(team.campaign.leads.order_by("id").values())
    response = post_file(client, team.campaign, csv_bytes(CRAFTED_ROWS))
    assert response.json() | {"errors": []} == CRAFTED_RESULT | {
        "created": 0,
        "skipped": 4,
        "errors": [],
    }
    assert list(team.campaign.leads.order_by("id").values()) == before


def test_xlsx_numbers_formulas_and_scientific_phones_are_read_as_a_spreadsheet_has_them(team):
    rows = [
        ["Name", "Phone", "Budget (lakhs)"],
        ["Numeric", 9812345678, 80],
        ["Float", 9812345679.0, 1.5],
        ["Formula phone", "=9812345670", None],
        ["Shortened", "9.81235E+09", None],
    ]
    file = io.BytesIO(xlsx_bytes(rows))
    result = import_leads(campaign=team.campaign, file=file, filename="leads.xlsx")
    assert (result.created, result.invalid_rows) == (2, 2)
    assert [e["message"] for e in result.errors] == [
        "Phone '=9812345670' is a spreadsheet formula, not a phone number.",
        "Phone '9.81235E+09' was shortened by a spreadsheet to scientific notation; "
        "format the column as text and export again.",
    ]
    assert list(team.campaign.leads.order_by("id").values_list("phone", "budget")) == [
        ("+919812345678", 8_000_000),
        ("+919812345679", 150_000),
    ]


def test_existing_lead_is_updated_with_the_files_non_empty_values_only(team):
    lead = make_lead(
        team.campaign, "Old name", phone="+919812345678", email="old@example.com", city="Pune"
    )
    file = io.BytesIO(
        csv_bytes([["Name", "Phone", "Email", "City"], ["New name", "9812345678", "", "Mumbai"]])
    )
    result = import_leads(campaign=team.campaign, file=file, filename="leads.csv")
    assert (result.created, result.updated, result.skipped) == (0, 1, 0)
    lead.refresh_from_db()
    assert (lead.name, lead.email, lead.city) == ("New name", "old@example.com", "Mumbai")


def test_existing_lead_whose_number_is_on_the_dnc_list_is_flagged_by_the_import(team):
    lead = make_lead(team.campaign, "Dee", phone="+919812345680")
    list_dnc_number()
    Lead.objects.filter(pk=lead.pk).update(is_dnc=False)
    file = io.BytesIO(csv_bytes([["Name", "Phone"], ["Dee", "9812345680"]]))
    result = import_leads(campaign=team.campaign, file=file, filename="leads.csv")
    assert (result.updated, result.dnc_flagged) == (1, 1)
    lead.refresh_from_db()
    assert (lead.is_dnc, lead.dnc_reason) == (True, "Asked not to be called")


def test_same_phone_in_another_campaign_is_a_separate_lead(team):
    make_lead(team.other_campaign, "Elsewhere", phone="+919812345678")
    file = io.BytesIO(csv_bytes([["Name", "Phone"], ["Here", "9812345678"]]))
    result = import_leads(campaign=team.campaign, file=file, filename="leads.csv")
    assert result.created == 1
    assert Lead.objects.filter(phone="+919812345678").count() == 2


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        (["name", "phone"], ["Asha", "9812345678"], {"name": "name", "phone": "phone"}),
        (["Lead Name", "Phone Number"], ["Asha", "9812345678"],
         {"name": "Lead Name", "phone": "Phone Number"}),
        (["Customer_Name", "MOBILE NO."], ["Asha", "9812345678"],
         {"name": "Customer_Name", "phone": "MOBILE NO."}),
        (["नाम", "मोबाइल"], ["आशा", "9812345678"], {"name": "नाम", "phone": "मोबाइल"}),
        (["First Name", "Last Name", "WhatsApp"], ["Asha", "Rao", "9812345678"],
         {"name": "First Name + Last Name", "phone": "WhatsApp"}),
    ],
)  # fmt: skip
def test_header_names_are_matched_tolerantly(team, header, row, expected):
    file = io.BytesIO(csv_bytes([header, row]))
    result = import_leads(campaign=team.campaign, file=file, filename="leads.csv")
    assert (result.created, result.columns) == (1, expected)


def test_first_and_last_name_columns_are_joined(team):
    file = io.BytesIO(
        csv_bytes([["Last Name", "First Name", "Phone"], ["Rao", "Asha", "9812345678"]])
    )
    import_leads(campaign=team.campaign, file=file, filename="leads.csv")
    assert team.campaign.leads.get().name == "Asha Rao"


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("Name;Phone;City\r\nराहुल;09812345678;पुणे\r\n", "utf-8-sig"),
        ("Name\tPhone\tCity\r\nराहुल\t09812345678\tपुणे\r\n", "utf-16"),
        ("Name,Phone,City\r\nJosé,09812345678,Goa\r\n", "cp1252"),
    ],
)
def test_csv_encodings_and_delimiters_are_detected(team, content, encoding):
    file = io.BytesIO(content.encode(encoding))
    result = import_leads(campaign=team.campaign, file=file, filename="leads.csv")
    lead = team.campaign.leads.get()
    assert (result.created, lead.phone) == (1, "+919812345678")
    assert lead.city in ("पुणे", "Goa")


def test_errors_beyond_the_limit_are_counted_but_not_listed(team, settings):
    settings.LEAD_IMPORT_MAX_ERRORS = 3
    rows = [["Name", "Phone"]] + [[f"Bad {i}", "123"] for i in range(5)] + [["Good", "9812345678"]]
    result = import_leads(
        campaign=team.campaign, file=io.BytesIO(csv_bytes(rows)), filename="leads.csv"
    )
    assert (result.invalid_rows, len(result.errors), result.errors_truncated) == (5, 3, True)
    assert result.created == 1


def test_import_into_a_completed_campaign_is_refused(team, api_client):
    team.campaign.status = CampaignStatus.COMPLETED
    team.campaign.save()
    response = post_file(api_client(team.staff), team.campaign, csv_bytes(CRAFTED_ROWS))
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Campaign {team.campaign.pk} is completed; it accepts no new leads."
    }


# Bad files: a clear 400, never a 500, and nothing stored.


def _refused(client, campaign, content, name):
    response = post_file(client, campaign, content, name)
    assert response.status_code == 400
    assert Lead.objects.count() == 0
    return response.json()["detail"]


@pytest.mark.parametrize(
    ("content", "name", "detail"),
    [
        (b"%PDF-1.4 leads", "leads.pdf", "Unsupported file type '.pdf': upload a .csv or .xlsx file."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1junk", "leads.xls",
         "Legacy Excel .xls files are not supported; save it as .xlsx or CSV."),
        (b"Name,Phone\r\n", "leads.csv", "The file has a header row but no lead rows."),
        (b"\r\n\r\n,,\r\n", "leads.csv", "The file is empty: it has no header row and no leads."),
        (b"Name,City\r\nAsha,Pune\r\n", "leads.csv",
         "No phone column: the header row has Name, City; name the column one of: phone, "
         "phone number, phone no, phone num, mobile, mobile number, mobile no, mobile num."),
        (b"Phone\r\n9812345678\r\n", "leads.csv",
         "No name column: the header row has Phone; name the column one of: name, full name, "
         "fullname, lead name, customer name, client name, contact name, lead."),
        (b"PK\x03\x04" + bytes(range(256)) * 4, "leads.xlsx",
         "The file is not a readable XLSX workbook (BadZipFile)."),
        (b"Name,Phone\r\nAsha,98123", "leads.xlsx", "'leads.xlsx' is not an XLSX workbook (its content is not a ZIP)."),
        (b"PK\x03\x04rest of a zip", "leads.csv", "'leads.csv' is a ZIP or XLSX file, not CSV text; name it .xlsx."),
    ],
)  # fmt: skip
def test_bad_files_are_refused_with_a_clear_reason(team, api_client, content, name, detail):
    assert _refused(api_client(team.staff), team.campaign, content, name) == detail


def test_a_zip_bomb_named_xlsx_is_refused(team, api_client, settings):
    settings.LEAD_IMPORT_MAX_BYTES = 2**20
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 30 * 2**20)
    detail = _refused(api_client(team.staff), team.campaign, bomb.getvalue(), "leads.xlsx")
    assert detail == (
        "The workbook expands to 31,457,280 bytes, more than 20,971,520; save it as CSV or split it."
    )


def test_binary_garbage_is_refused(team, api_client):
    garbage = random.Random(3).randbytes(200_000)
    detail = _refused(api_client(team.staff), team.campaign, garbage, "leads.csv")
    assert detail == "The file holds binary data, not CSV text."


def test_an_empty_upload_is_refused(team, api_client):
    detail = _refused(api_client(team.staff), team.campaign, b"", "leads.csv")
    assert detail == "Invalid input: file: The submitted file is empty."


def test_a_request_without_a_file_is_refused(team, api_client):
    response = api_client(team.staff).post(import_url(team.campaign), {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid input: file: No file was submitted."


def test_a_file_broken_after_valid_rows_imports_nothing(team, api_client):
    # Past the encoding sample: the bad byte is met only while rows are being staged.
    good = csv_bytes([HEADER] + [[f"Lead {i}", f"98{i:08d}"] for i in range(5000)])
    assert len(good) > 64 * 1024
    detail = _refused(
        api_client(team.staff), team.campaign, good + b"Bad,\xff\xfe\r\n", "leads.csv"
    )
    assert detail == (
        "Line 5002: the file is not valid UTF-8 text; save it as 'CSV UTF-8' and upload it again."
    )


def test_utf8_text_with_a_broken_byte_is_refused_not_garbled(team, api_client):
    content = "Name,Phone\r\nराहुल,9812345678\r\n".encode() + b"Bad,\xff\r\n"
    detail = _refused(api_client(team.staff), team.campaign, content, "leads.csv")
    assert detail == (
        "Line 3: the file is not valid UTF-8 text; save it as 'CSV UTF-8' and upload it again."
    )


def test_an_upload_over_50_mb_is_refused_naming_the_limit(team, api_client):
    content = b"Name,Phone\r\n" + b"x" * (50 * 2**20 - 11)
    detail = _refused(api_client(team.staff), team.campaign, content, "leads.csv")
    assert detail == (
        "The file is 52,428,801 bytes; the largest accepted is 52,428,800 bytes "
        "(50 MB, setting LEAD_IMPORT_MAX_BYTES). Split it into smaller files."
    )


def test_an_oversized_request_is_refused_before_its_body_is_read(team, api_client, settings):
    settings.LEAD_IMPORT_MAX_BYTES = 1000
    content = b"Name,Phone\r\n" + b"Asha,9812345678\r\n" * 5000
    detail = _refused(api_client(team.staff), team.campaign, content, "leads.csv")
    assert detail.startswith("The upload is 85,")
    assert detail.endswith(
        "the largest accepted file is 1,000 bytes (0.000953674 MB, setting "
        "LEAD_IMPORT_MAX_BYTES). Split it into smaller files."
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(content=st.binary(min_size=1, max_size=2000), xlsx=st.booleans())
def test_any_bytes_either_import_or_are_refused_never_crash(team, content, xlsx):
    name = "leads.xlsx" if xlsx else "leads.csv"
    try:
        import_leads(campaign=team.campaign, file=io.BytesIO(content), filename=name)
    except FileRejected as exc:
        assert exc.detail


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells=st.lists(st.lists(st.text(max_size=30), min_size=0, max_size=5), min_size=1, max_size=20)
)
def test_any_text_cells_import_or_are_reported_never_crash(team, cells):
    content = csv_bytes([["Name", "Phone", "City", "Budget", "Property type"], *cells])
    try:
        result = import_leads(campaign=team.campaign, file=io.BytesIO(content), filename="x.csv")
    except FileRejected as exc:
        assert exc.detail
    else:
        assert result.rows == (
            result.created + result.updated + result.skipped + result.duplicates
            + result.invalid_rows
        )  # fmt: skip


@pytest.mark.slow
def test_import_memory_does_not_grow_with_the_file(team):
    # Past psycopg's 32 kB COPY buffer at both sizes; the peak is a few hundred kB either way.
    def peak_bytes(rows):
        content = csv_bytes(
            [HEADER]
            + [[f"Lead {i}", f"97{i:08d}", f"l{i}@example.com", "Pune"] for i in range(rows)]
        )
        campaign = make_campaign()
        file = io.BytesIO(content)
        tracemalloc.start()
        try:
            import_leads(campaign=campaign, file=file, filename="leads.csv")
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak_bytes(2_000), peak_bytes(8_000)
    assert large < small * 1.5, (small, large)


# Who may import.


def test_a_non_member_cannot_import_into_another_teams_campaign(team, api_client):
    response = post_file(api_client(team.outsider), team.campaign, csv_bytes(CRAFTED_ROWS))
    assert response.status_code == 404
    assert Lead.objects.count() == 0


def test_a_member_manager_is_read_only_and_may_not_import(team, api_client):
    response = post_file(api_client(team.member), team.campaign, csv_bytes(CRAFTED_ROWS))
    assert response.status_code == 403
    assert Lead.objects.count() == 0


def test_a_member_with_lead_permissions_may_import(team, api_client):
    from django.contrib.auth.models import Permission

    team.member.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_lead", "change_lead"])
    )
    response = post_file(api_client(team.member), team.campaign, csv_bytes(CRAFTED_ROWS))
    assert (response.status_code, response.json()["created"]) == (200, 4)


def test_anonymous_may_not_import(team, api_client):
    response = post_file(api_client(None), team.campaign, csv_bytes(CRAFTED_ROWS))
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_import_path_answers_with_and_without_trailing_slash(team, api_client):
    client = api_client(team.staff)
    content = csv_bytes([["Name", "Phone"], ["Asha", "9812345678"]])
    for suffix in ("", "/"):
        response = client.post(
            import_url(team.campaign, suffix),
            {"file": SimpleUploadedFile("l.csv", content)},
            format="multipart",
        )
        assert response.status_code == 200


def test_a_full_name_column_wins_over_first_and_last_name_columns(team):
    rows = [["First Name", "Name", "Phone"], ["Asha", "Asha Rao", "9812345678"]]
    result = import_leads(
        campaign=team.campaign, file=io.BytesIO(csv_bytes(rows)), filename="x.csv"
    )
    assert (team.campaign.leads.get().name, result.ignored_columns) == ("Asha Rao", ["First Name"])
