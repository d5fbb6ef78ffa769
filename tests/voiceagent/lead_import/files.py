"""Lead files for the import tests: CSV and XLSX built in memory from rows, wrapped as uploads."""

import csv
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from voiceagent.models import DoNotCall

HEADER = ["Full Name", "Mobile Number", "E-mail", "City", "Budget", "Property Type",
          "Preferred Locations", "Source"]  # fmt: skip
FORMULA = '=HYPERLINK("http://evil.example","click")'
# The crafted file of the issue: good rows, a bad phone, a duplicate written another way, a DNC
# number, a formula, a missing name, a blank line, a bad email, Devanagari, an extra column.
CRAFTED_ROWS = [
    HEADER,
    ["Asha Rao", "98123 45678", "asha@example.com", "Mumbai", "80 lakh", "Flat", "Powai, Andheri", "Facebook"],
    ["राहुल शर्मा", "+91 98123 45679", "", "पुणे", "1.2 Cr", "villa", "Baner", "Walk-in"],
    ["Bad Phone", "12345", "", "Delhi", "", "", "", ""],
    ["Asha R.", "098123-45678", "", "Thane", "", "", "", "Referral"],
    ["Dee Dnc", "9812345680", "", "Chennai", "", "", "", ""],
    [FORMULA, "9812345681", "", "", "", "", "", ""],
    ["", "9812345682", "", "", "", "", "", ""],
    [],
    ["Kiran", "9812345683", "not-an-email", "", "", "", "", ""],
    ["Meera", "+1 415 555 2671", "meera@example.com", "San Francisco", "", "", "", ""],
]  # fmt: skip
CRAFTED_RESULT = {
    "created": 4,
    "updated": 0,
    "skipped": 0,
    "duplicates": 1,
    "dnc_flagged": 1,
    "invalid_rows": 4,
    "rows": 9,
    "errors": [
        {"row": 4, "field": "phone", "message": "Phone '12345' is not a valid phone number."},
        {
            "row": 7,
            "field": "name",
            "message": "Name starts with '=' like a spreadsheet formula "
            "('=HYPERLINK(\"http://evil.exampl'); remove the leading character.",
        },
        {"row": 8, "field": "name", "message": "Name is empty."},
        {"row": 10, "field": "email", "message": "Email 'not-an-email' is not an email address."},
    ],
    "errors_truncated": False,
    "ignored_columns": ["Source"],
    "columns": {
        "name": "Full Name",
        "phone": "Mobile Number",
        "email": "E-mail",
        "city": "City",
        "budget": "Budget",
        "property_type": "Property Type",
        "preferred_locations": "Preferred Locations",
    },
}
LEAD_FIELDS = ("phone", "name", "email", "city", "budget", "property_type",
               "preferred_locations", "is_dnc", "dnc_reason")  # fmt: skip
CRAFTED_LEADS = [
    ("+919812345678", "Asha R.", "asha@example.com", "Thane", 8_000_000, "apartment",
     "Powai, Andheri", False, ""),
    ("+919812345679", "राहुल शर्मा", "", "पुणे", 12_000_000, "villa", "Baner", False, ""),
    ("+919812345680", "Dee Dnc", "", "Chennai", None, "", "", True, "Asked not to be called"),
    ("+14155552671", "Meera", "meera@example.com", "San Francisco", None, "", "", False, ""),
]  # fmt: skip


def list_dnc_number():
    return DoNotCall.objects.create(phone="+919812345680", reason="Asked not to be called")


def csv_bytes(rows, *, delimiter=",", encoding="utf-8"):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(content, name="leads.csv"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def import_url(campaign, suffix=""):
    return f"/api/campaigns/{campaign.pk}/leads/import{suffix}"


def post_file(client, campaign, content, name="leads.csv", query=""):
    return client.post(
        import_url(campaign) + query, {"file": upload(content, name)}, format="multipart"
    )


def stored_leads(campaign):
    return list(campaign.leads.order_by("id").values_list(*LEAD_FIELDS))
