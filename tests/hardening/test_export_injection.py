"""Formula injection stored in a lead comes back neutralised in CSV and XLSX exports."""

import csv
import io

import openpyxl
import pytest

from tests.factories import make_lead

pytestmark = pytest.mark.django_db

PAYLOADS = ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]


@pytest.fixture
def leads(api_client, team):
    # The leads API refuses such names; they can still arrive from older data or other paths.
    for payload in PAYLOADS:
        make_lead(team.campaign, payload)
    return api_client(team.staff)


def exported_names(response, fmt):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
        key = next(k for k in rows[0] if k.lower() in ("name", "lead name", "lead_name"))
        return sorted(row[key] for row in rows)
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    index = next(
        i for i, k in enumerate(header) if str(k).lower() in ("name", "lead name", "lead_name")
    )
    return sorted(row[index] for row in rows)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_typed_as_a_lead_name_is_exported_as_text(leads, team, fmt):
    response = leads.get(f"/exports/campaigns/{team.campaign.pk}/leads?format={fmt}")
    assert response.status_code == 200
    assert exported_names(response, fmt) == sorted(f"'{payload}" for payload in PAYLOADS)
