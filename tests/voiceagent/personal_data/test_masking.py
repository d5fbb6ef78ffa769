"""Phones masked by role: a manager without view_full_phone sees +91 98XXX XX678 in the API,
pages, CSV and XLSX; staff see +91 98123 45678 (and E.164 in the API's writable `phone`)."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db

NUMBER, FULL, MASKED = "+919812345678", "+91 98123 45678", "+91 98XXX XX678"


@pytest.fixture
def lead(team):
    lead = factories.make_lead(team.campaign, "Asha Rao", phone=NUMBER)
    call = factories.make_call(lead, call_sid="CA-MASK-1")
    factories.make_turn(call, 1, text="Namaste")
    return lead


def page_client(user):
    client = Client()
    client.force_login(user)
    return client


def body(response):
    return b"".join(response.streaming_content)


def test_manager_sees_masked_phone_in_the_leads_api(team, lead, api_client):
    data = api_client(team.member).get(f"/api/leads/{lead.pk}").json()
    assert (data["phone"], data["phone_display"]) == (MASKED, MASKED)
    listed = api_client(team.member).get("/api/leads/").json()["results"][0]
    assert (listed["phone"], listed["phone_display"]) == (MASKED, MASKED)


def test_staff_see_the_full_phone_in_the_leads_api(team, lead, api_client):
    data = api_client(team.staff).get(f"/api/leads/{lead.pk}").json()
    assert (data["phone"], data["phone_display"]) == (NUMBER, FULL)


def test_granted_manager_sees_the_full_phone(team, lead, api_client):
    team.member.user_permissions.add(Permission.objects.get(codename="view_full_phone"))
    data = api_client(team.member).get(f"/api/leads/{lead.pk}").json()
    assert (data["phone"], data["phone_display"]) == (NUMBER, FULL)


def test_analytics_endpoints_mask_phones_for_a_manager(team, lead, api_client):
    client = api_client(team.member)
    conversation = client.get("/analytics/conversations/CA-MASK-1").json()
    assert conversation["lead"]["phone"] == MASKED
    activity = client.get(f"/analytics/leads/activity?campaign_id={team.campaign.pk}").json()
    assert [row["phone"] for row in activity] == [MASKED]
    summary = client.get(f"/dashboard/campaigns/{team.campaign.pk}/summary").json()
    assert [row["phone_display"] for row in summary["recent_activity"]] == [MASKED]
    staff = api_client(team.staff).get("/analytics/conversations/CA-MASK-1").json()
    assert (staff["lead"]["phone"], staff["lead"]["phone_display"]) == (NUMBER, FULL)


def test_manager_cannot_find_a_lead_by_the_digits_of_its_phone(team, lead, api_client):
    found = api_client(team.member).get("/api/leads/?search=45678").json()
    assert found["count"] == 0
    assert api_client(team.staff).get("/api/leads/?search=45678").json()["count"] == 1


def test_pages_mask_phones_for_a_manager_and_show_staff_in_full(team, lead):
    for path in (f"/campaigns/{team.campaign.pk}/", "/calls/CA-MASK-1/"):
        manager_page = page_client(team.member).get(path).content.decode()
        assert MASKED in manager_page and FULL not in manager_page and NUMBER not in manager_page
        staff_page = page_client(team.staff).get(path).content.decode()
        assert FULL in staff_page and MASKED not in staff_page


@pytest.mark.parametrize("kind", ["results", "transcripts", "leads"])
def test_csv_exports_mask_phones_for_a_manager(team, lead, api_client, kind):
    url = f"/exports/campaigns/{team.campaign.pk}/{kind}?format=csv"
    manager_csv = body(api_client(team.member).get(url)).decode("utf-8")
    assert f",{MASKED}," in manager_csv and "98123" not in manager_csv
    staff_csv = body(api_client(team.staff).get(url)).decode("utf-8")
    assert f",{FULL}," in staff_csv


def test_xlsx_export_masks_phones_for_a_manager(team, lead, api_client):
    url = f"/exports/campaigns/{team.campaign.pk}/leads?format=xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(body(api_client(team.member).get(url)))).active
    assert sheet["C2"].value == MASKED
    sheet = openpyxl.load_workbook(io.BytesIO(body(api_client(team.staff).get(url)))).active
    assert sheet["C2"].value == FULL


def test_dnc_list_masks_numbers_for_a_manager(team, api_client):
    factories.make_lead(team.campaign, phone=NUMBER)
    api_client(team.staff).post("/api/dnc/", {"phone": NUMBER, "reason": "asked"}, format="json")
    listed = api_client(team.member).get("/api/dnc/").json()["results"]
    assert [entry["phone"] for entry in listed] == [MASKED]
